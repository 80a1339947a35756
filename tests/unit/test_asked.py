"""asked.toml: questions residents asked, each under the item or FAQ that answered it. The file
loads with its mistakes reported by line, and a message that reads like an entry's questions
ranks that entry, in words none of its aliases use."""

from __future__ import annotations

import dataclasses
import datetime as dt
from array import array
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.kb.loader import KnowledgeLoader
from bot.kb.model import Knowledge
from bot.kb.phrasebook import build_phrasebook
from intents.chargrams import CentroidIndex, GramTable, gram_code
from intents.engine import AFFAIRS, IntentEngine
from tests.support import copy_knowledge

TODAY = dt.date(2026, 11, 23)


def test_a_message_is_nearest_the_centroid_of_questions_like_it() -> None:
    index = CentroidIndex([(0, "敬老卡怎么办"), (0, "老人卡在哪里办"), (2, "医保怎么报销"),
                           (2, "看病的钱能报多少")])
    scores = index.similarity("老人卡哪里办", range(3))
    assert max(scores, key=scores.__getitem__) == 0
    assert 1 not in scores                         # an entry nobody asked about scores nothing
    assert scores[0] > scores[2] >= 0.0
    reimbursed = index.similarity("看病能报吗", range(3))
    assert reimbursed[2] > reimbursed[0]
    assert index.similarity("", range(3)) == {}
    assert index.similarity("绿豆汤", range(3)) == {}   # no n-gram any question has
    assert index.similarity("老人卡哪里办", [2]) == {2: scores[2]}   # only the entries asked


def test_an_index_read_back_from_its_parts_reads_the_same() -> None:
    """The grams no centroid holds are kept compactly, but still count in a message's norm: an
    index rebuilt from its parts (the cache) gives the same cosines to the last bit."""
    words = "敬老卡社保医疗看病报销发票老人补贴申请挂失居住证户口迁移残疾失业登记养老金"
    questions = [(n % 3, words[n % 30:] + words[:n % 30] + "怎么办") for n in range(60)]
    questions += [(2, "𠮷野家的发票能报吗")]   # 𠮷: beyond 16 bits, kept by its string
    index = CentroidIndex(questions)
    again = CentroidIndex.from_parts(index.sizes, *index.parts())
    # ... and one with every gram's idf in one dict, as before the table: the same to the bit
    idf, centroids, codes, which, values = index.parts()
    code_array, which_array = array("q"), array("H")
    code_array.frombytes(codes)
    which_array.frombytes(which)
    whole = dict(idf)
    for code, n in zip(code_array, which_array, strict=True):
        length = code >> (16 * 3) if code >> 48 else code >> 32 if code >> 32 else code >> 16
        whole["".join(chr((code >> (16 * (length - 1 - k))) & 0xFFFF)
                      for k in range(length))] = values[n]
    one_dict = CentroidIndex.from_parts(index.sizes, whole, centroids, b"", b"", ())
    for text in ("老人卡哪里办", "看病能报吗", "𠮷野家", "敬老卡看病", "社保看病报销补贴怎么办"):
        assert again.similarity(text, range(3)) == index.similarity(text, range(3))
        assert one_dict.similarity(text, range(3)) == index.similarity(text, range(3))
    assert len(index.rest) > 0 and "𠮷" in index.idf
    assert index.rest.get("绿豆汤") is None and index.rest.get("") is None


def test_a_gram_table_finds_only_its_grams() -> None:
    table = GramTable.of({"社保": 2.5, "卡": 1.0, "敬老卡": 2.5})
    assert (table.get("社保"), table.get("卡"), table.get("敬老卡")) == (2.5, 1.0, 2.5)
    assert table.get("社") is None and table.get("社保卡") is None
    assert gram_code("𠮷") is None and gram_code("一二三四") is None
    with pytest.raises(TypeError):
        GramTable.from_parts(b"", b"\x01\x00", (1.0,))


def test_questions_count_once_however_often_a_word_repeats() -> None:
    index = CentroidIndex([(0, "社保卡社保卡社保卡丢了"), (1, "社保卡密码忘了")])
    lost = index.similarity("社保卡丢了", [0, 1])
    assert lost[0] > lost[1]


def _engine(knowledge: Knowledge, asked: tuple[tuple[str, str], ...]) -> IntentEngine:
    book = dataclasses.replace(build_phrasebook(knowledge), asked=asked)
    return IntentEngine(book, dataclasses.replace(load_settings(None).engine, weight_asked=0.5))


def test_the_questions_asked_choose_among_close_items(knowledge: Knowledge) -> None:
    """A lost 敬老卡 is 挂失补领 by its words. Questions that (oddly, on purpose) put the same
    story under 申领 move the answer there: only what residents asked explains the change."""
    asked = (("A082", "敬老卡让鹦鹉叼走了"), ("A082", "鹦鹉把我的敬老卡衔跑了"),
             ("A082", "家里鹦鹉叼了敬老卡飞掉了"))
    message = "阿拉敬老卡拨鹦鹉叼脱了"
    without = _engine(knowledge, ()).classify(message, TODAY)
    assert (without.intent, without.item) == (AFFAIRS, "A083")
    with_questions = _engine(knowledge, asked).classify(message, TODAY)
    assert (with_questions.intent, with_questions.item) == (AFFAIRS, "A082")


def test_questions_do_not_pull_a_message_to_an_item_it_does_not_name(knowledge: Knowledge
                                                                      ) -> None:
    """Questions about 居住证 that read like the message (已经挂失了，现在要补) do not make a
    question about 社保卡 one about 居住证."""
    asked = (("A132", "居住证已经挂失了，现在要补一张"), ("A132", "已经挂失了现在要补一张"))
    result = _engine(knowledge, asked).classify("社保卡已经挂失了 现在要补一张", TODAY)
    assert (result.intent, result.item) == (AFFAIRS, "A029")


def test_the_real_file_loads_every_question(knowledge: Knowledge) -> None:
    keys = {key for key, _ in knowledge.asked}
    assert len(knowledge.asked) > 1000 and {f"A{n:03d}" for n in range(1, 189)} <= keys
    texts = [text for _, text in knowledge.asked]
    assert len(texts) == len(set(texts))


def _problems(root: Path) -> list[str]:
    loader = KnowledgeLoader(root)
    loader.load()
    return [str(p) for p in loader.problems if p.severity == "error"]


def test_mistakes_in_the_file_are_reported_with_their_line(tmp_path: Path) -> None:
    root = copy_knowledge(tmp_path)
    path = root / "asked.toml"
    lines = path.read_text("utf-8").splitlines()
    first = next(line for line in lines if line.startswith("    "))     # A001's first question
    at = lines.index("A002 = [") + 1
    lines.insert(at, first)                                   # ... under A002 as well
    lines += ['A999 = ["这个编号没有"]', '"station.hours" = ["FAQ 不算"]', 'A000 = "不是列表"']
    path.write_text("\n".join(lines) + "\n", "utf-8")
    problems = _problems(root)
    n = len(lines)
    assert any(f"asked.toml:{n - 2}:" in p and "A999" in p for p in problems), problems
    assert any(f"asked.toml:{n - 1}:" in p and "station.hours" in p for p in problems), problems
    assert any(f"asked.toml:{n}:" in p and "A000" in p for p in problems), problems
    assert any(f"asked.toml:{at}:" in p and "A001" in p for p in problems), problems


@pytest.mark.parametrize("content", [None, ""])
def test_the_file_is_optional(tmp_path: Path, content: str | None) -> None:
    root = copy_knowledge(tmp_path)
    if content is None:
        (root / "asked.toml").unlink()
    else:
        (root / "asked.toml").write_text(content, "utf-8")
    assert _problems(root) == []
    loader = KnowledgeLoader(root)
    assert loader.load().asked == ()


def test_the_centroids_are_cached_and_a_broken_cache_is_rebuilt(knowledge: Knowledge,
                                                                 tmp_path: Path) -> None:
    book = build_phrasebook(knowledge)
    settings = load_settings(None).engine
    first = IntentEngine(book, settings, tmp_path)
    [cached] = tmp_path.glob("yizhan-asked-*")
    message = "阿拉敬老卡寻不着了哪能办"
    expected = first.classify(message, TODAY)
    assert IntentEngine(book, settings, tmp_path).classify(message, TODAY) == expected
    cached.write_bytes(b"not marshal at all")
    assert IntentEngine(book, settings, tmp_path).classify(message, TODAY) == expected
    # a knowledge edit (another question) is read afresh, under another name; the earlier
    # knowledge's file goes
    more = dataclasses.replace(book, asked=(*book.asked, ("A083", "老人卡弄丢脱了")))
    IntentEngine(more, settings, tmp_path)
    [edited] = tmp_path.glob("yizhan-asked-*")
    assert edited.name != cached.name


def test_a_clarification_is_answered_when_one_choice_reads_like_its_questions(
        knowledge: Knowledge) -> None:
    """老人补贴 could be three subsidies: the bot asks. When residents' questions about one of
    them read like the message far more than the others', it answers that one and offers the
    others beside it (不是这个？)."""
    message = "老人补贴哪能申请"
    asked_nothing = _engine(knowledge, ()).classify(message, TODAY)
    assert asked_nothing.clarify and asked_nothing.item is None
    offered = [c.item for c in asked_nothing.candidates[:3]]
    assert "A089" in offered
    asked = (("A089", "老人补贴哪能申请呀"), ("A089", "老人的补贴哪能去申请"))
    book = dataclasses.replace(build_phrasebook(knowledge), asked=asked)
    settings = dataclasses.replace(load_settings(None).engine, weight_asked=0.0)
    answered = IntentEngine(book, settings).classify(message, TODAY)
    assert (answered.intent, answered.item, answered.clarify) == (AFFAIRS, "A089", False)
    assert answered.alternatives
    assert {a.item for a in answered.alternatives} <= set(offered) - {"A089"}
    # One card's items, no action said (社保卡有问题): still the resident's to say.
    card = dataclasses.replace(book, asked=(("A027", "社保卡有问题了哪能办呀"),
                                            ("A027", "社保卡出问题了哪能弄")))
    assert IntentEngine(card, settings).classify("社保卡有问题哪能办", TODAY).clarify
    never = dataclasses.replace(settings, asked_pick_floor=0.0, asked_answer_floor=0.0)
    assert IntentEngine(book, never).classify(message, TODAY).clarify


def test_a_situation_no_item_names_is_answered_when_it_reads_like_one_items_questions(
        knowledge: Knowledge) -> None:
    """A story told in a resident's own words (the parrot took the green card) names no item:
    on its words alone the bot cannot say. When it reads like the questions residents asked
    about one item, far more than like any other item's, that item is the answer; when two
    items' questions read alike, it is not."""
    message = "鹦鹉把那张绿颜色的卡叼到隔壁阳台上去了"
    # weight_asked 0: only the rule under test reads the questions
    settings = dataclasses.replace(load_settings(None).engine, asked_answer_floor=0.2,
                                   asked_answer_ratio=1.4, weight_asked=0.0)
    book = build_phrasebook(knowledge)
    alone = IntentEngine(dataclasses.replace(book, asked=()), settings).classify(message, TODAY)
    assert alone.item is None
    story = ("鹦鹉把绿颜色的卡叼走了", "绿颜色那张卡被鹦鹉叼到阳台上", "家里鹦鹉叼了那张绿卡")
    asked = tuple(("A083", text) for text in story)
    answered = IntentEngine(dataclasses.replace(book, asked=asked), settings).classify(
        message, TODAY)
    assert (answered.intent, answered.item, answered.clarify) == (AFFAIRS, "A083", False)
    assert answered.candidates[0].item == "A083"
    # the same story under two items: which one is still for the resident to say
    both = (*asked, *(("A029", text + "呀") for text in story))
    unsure = IntentEngine(dataclasses.replace(book, asked=both), settings).classify(
        message, TODAY)
    assert unsure.item is None
    never = dataclasses.replace(settings, asked_answer_floor=0.0)
    assert IntentEngine(dataclasses.replace(book, asked=asked), never).classify(
        message, TODAY).item is None


def test_a_weak_answer_reading_like_another_items_questions_becomes_a_choice(
        knowledge: Knowledge) -> None:
    """A lost 老人卡 is 敬老卡挂失补领 by its words. When the message reads far more like the
    questions residents asked about another item (here, on purpose, 社保卡补领), the bot does
    not bet on either: both are offered, the words' answer first."""
    message = "老人卡让鹦鹉叼走了 哪能再弄一张"
    # weight_asked 0: the questions do not move the ranking, only the rule under test reads them
    settings = dataclasses.replace(load_settings(None).engine, weight_asked=0.0,
                                   asked_answer_floor=0.0, asked_doubt_floor=0.25,
                                   asked_doubt_ratio=1.3, asked_doubt_score=0.6)
    book = build_phrasebook(knowledge)
    alone = IntentEngine(dataclasses.replace(book, asked=()), settings).classify(message, TODAY)
    assert (alone.item, alone.clarify) == ("A083", False) and alone.score < 0.6
    asked = tuple(("A029", text) for text in ("鹦鹉叼走了再弄一张", "让鹦鹉叼走了哪能再弄",
                                              "鹦鹉把卡叼走了要再弄一张"))
    doubted = IntentEngine(dataclasses.replace(book, asked=asked), settings).classify(
        message, TODAY)
    assert (doubted.intent, doubted.item, doubted.clarify) == (AFFAIRS, None, True)
    assert [c.item for c in doubted.candidates[:2]] == ["A083", "A029"]
    assert len(doubted.candidates) >= 3 and not doubted.alternatives
    # a strong answer is not doubted, and neither is any when the rule is off
    strong = dataclasses.replace(settings, asked_doubt_score=alone.score)
    assert IntentEngine(dataclasses.replace(book, asked=asked), strong).classify(
        message, TODAY).item == "A083"
    never = dataclasses.replace(settings, asked_doubt_floor=0.0)
    assert IntentEngine(dataclasses.replace(book, asked=asked), never).classify(
        message, TODAY).item == "A083"
