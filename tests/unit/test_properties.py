"""Properties over arbitrary text: nothing a resident types can crash the bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.kb.model import Knowledge
from intents.engine import (
    AFFAIRS,
    FALLBACK,
    FAQ,
    GREETING,
    HANDOFF,
    MENU,
    REPORT,
    WISH,
    IntentEngine,
)
from intents.normalise import TextNormaliser
from tests.conftest import new_station

INTENTS = {AFFAIRS, FAQ, REPORT, MENU, WISH, GREETING, HANDOFF, FALLBACK}
TODAY = dt.date(2026, 11, 23)
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# Residents' text: Chinese (common and rare), digits of every width, punctuation, emoji and
# the words the engine reacts to, mixed.
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
CJK_EXT_A = st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF)
DIGITS = st.sampled_from(list("0123456789０１２３４５６７８９一二三四五六七八九十百千两零〇"))
PUNCTUATION = st.sampled_from(list("，。！？、；：“”‘’（）《》【】…—～·,.!?;:()[]{}<>/\\|\"' \t\n"))
EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
WORDS = st.sampled_from([
    "社保卡", "敬老卡", "居住证", "低保", "怎么办", "明天", "中午", "吃什么", "下周一", "号楼",
    "楼道灯坏了", "煤气味", "转人工", "你好", "请问", "阿姨", "微心愿", "我想学", "食堂", "梅园",
    "套餐", "几点", "多少钱", "送餐", "月", "号", "周三", "礼拜", "残急人证", "掛失", "辦理",
])
MIXED = st.lists(st.one_of(CJK, CJK_EXT_A, DIGITS, PUNCTUATION, EMOJI, WORDS),
                 max_size=200).map("".join)
ANY_TEXT = st.text(max_size=2000)


def check_classification(engine: IntentEngine, text: str) -> None:
    c = engine.classify(text, TODAY)
    assert c.intent in INTENTS
    assert c.text == text
    assert 0.0 <= c.score <= 1.5
    for candidate in c.candidates:
        assert 0.0 <= candidate.score <= 1.5
        assert candidate.intent in INTENTS
    if c.clarify:
        assert c.item is None
    assert c.as_json()["intent"] == c.intent


@SETTINGS
@given(text=ANY_TEXT)
def test_classify_any_text(engine: IntentEngine, text: str) -> None:
    check_classification(engine, text)


@SETTINGS
@given(text=MIXED)
def test_classify_residents_text(engine: IntentEngine, text: str) -> None:
    check_classification(engine, text)


@SETTINGS
@given(text=st.one_of(ANY_TEXT, MIXED))
def test_normaliser_never_raises(engine: IntentEngine, knowledge: Knowledge, text: str) -> None:
    corrected = engine.normaliser.normalise(text)
    plain = TextNormaliser(knowledge.lexicon.fillers, knowledge.lexicon.homophones).normalise(text)
    for result in (corrected, plain):
        assert result.original == text
        assert result.core == result.core.strip()
        assert len(result.core) <= len(result.clean)


@SETTINGS
@given(text=st.one_of(ANY_TEXT, MIXED))
def test_basic_normalisation_is_idempotent(engine: IntentEngine, text: str) -> None:
    once = engine.normaliser.basic(text)
    assert engine.normaliser.basic(once) == once


@SETTINGS
@given(texts=st.lists(st.one_of(MIXED, ANY_TEXT, st.sampled_from(["1", "2", "3", "9", "第2个"])),
                      min_size=1, max_size=3))
def test_dialogue_always_replies(knowledge: Knowledge, engine: IntentEngine,
                                 migrated_sqlite: Path, texts: list[str]) -> None:
    async def talk() -> list[str]:
        with tempfile.TemporaryDirectory() as folder:
            station = new_station(knowledge, engine, migrated_sqlite, Path(folder))
            try:
                conversation = station.person()
                return [await conversation.say(text) for text in texts]
            finally:
                await station.assistant.close()

    for reply in asyncio.run(talk()):
        assert reply.strip()
        assert len(reply) <= 400
