"""What an engine build keeps on disk: the same answers from a cache as without one, and a
damaged or stale cache file costs only the computing."""

from __future__ import annotations

import datetime as dt
import marshal
from pathlib import Path

import pytest

from bot.kb.model import Knowledge
from bot.kb.phrasebook import build_phrasebook
from intents.build_memo import BuildMemo
from intents.engine import IntentEngine
from intents.tokens import DomainTokenizer

TODAY = dt.date(2026, 11, 23)
QUESTIONS = ("敬老卡怎么办", "阿拉姆妈退休工资要换张卡打，哪能弄", "残急人证丢了咋补",
             "楼道灯坏了", "明天中午吃什么", "我腿不好 能不能有人帮我去药房配个药")


def test_a_memo_answers_from_its_file_and_writes_only_what_is_new(tmp_path: Path) -> None:
    path = tmp_path / "yizhan-build-aaaa.marshal"
    calls: list[str] = []

    def upper(text: str) -> str:
        calls.append(text)
        return text.upper()

    first = BuildMemo(path)
    assert first.through("upper", upper)("ab") == "AB"
    first.save()
    second = BuildMemo(path)
    assert second.through("upper", upper)("ab") == "AB"      # from the file
    assert calls == ["ab"]
    # A memo of other knowledge replaces the earlier one's file.
    other = BuildMemo(tmp_path / "yizhan-build-bbbb.marshal")
    other.through("upper", upper)("cd")
    other.save()
    assert [p.name for p in tmp_path.iterdir()] == ["yizhan-build-bbbb.marshal"]


@pytest.mark.parametrize("content", [
    b"\x00not marshal",
    marshal.dumps({"upper": []}),              # a table of another shape
    marshal.dumps({"upper": {1: "AB"}}),       # keys that are no texts
    marshal.dumps({"upper": {"ab": ["A"]}}),   # values of another kind
    marshal.dumps(["upper"]),
])
def test_a_damaged_or_misshapen_memo_is_computed_afresh(tmp_path: Path, content: bytes
                                                        ) -> None:
    path = tmp_path / "yizhan-build-aaaa.marshal"
    path.write_bytes(content)
    assert BuildMemo(path).through("upper", str.upper)("ab") == "AB"


def test_an_engine_built_from_its_caches_answers_as_one_built_without(
        knowledge: Knowledge, tmp_path: Path) -> None:
    phrasebook = build_phrasebook(knowledge)
    fresh = IntentEngine(phrasebook, cache_dir=tmp_path)
    [memo] = tmp_path.glob("yizhan-build-*.marshal")
    written = memo.stat().st_mtime_ns
    cached = IntentEngine(phrasebook, cache_dir=tmp_path)
    # The second build found everything in the memo: it computed nothing new to write.
    assert memo.stat().st_mtime_ns == written
    for question in QUESTIONS:
        assert cached.classify(question, TODAY) == fresh.classify(question, TODAY)
    # Damaged caches (a full disk, a crash mid-write elsewhere) are read around, not trusted.
    for path in [*tmp_path.glob("yizhan-build-*"), *tmp_path.glob("yizhan-prefix-*")]:
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    mended = IntentEngine(phrasebook, cache_dir=tmp_path)
    for question in QUESTIONS:
        assert mended.classify(question, TODAY) == fresh.classify(question, TODAY)


def test_the_compact_prefix_dictionary_segments_as_jiebas_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jieba

    first = DomainTokenizer(("敬老卡",), (), cache_dir=tmp_path)     # writes the compact file
    assert list(tmp_path.glob("yizhan-prefix-*.bin"))

    def not_jiebas_own(self: object, dictionary: object = None) -> None:
        raise AssertionError("jieba's own dictionary was read, not the compact one")

    with monkeypatch.context() as patched:
        patched.setattr(jieba.Tokenizer, "initialize", not_jiebas_own)
        second = DomainTokenizer(("敬老卡",), (), cache_dir=tmp_path)    # reads it
    assert second._tokenizer.FREQ == first._tokenizer.FREQ
    assert second._tokenizer.total == first._tokenizer.total
    for text in (*QUESTIONS, "老年综合津贴在哪里领", "户口簿丢了去派出所补办"):
        assert second.tokens(text) == first.tokens(text)
        assert second.words(text) == first.words(text)


def test_a_compact_dictionary_of_another_source_file_is_not_used(tmp_path: Path) -> None:
    DomainTokenizer((), (), cache_dir=tmp_path)
    [dictionary] = tmp_path.glob("jieba-dict-*.txt")
    # The source dictionary rewritten (another filter, a copied folder): the compact file made
    # from the old one no longer speaks for it.
    dictionary.write_text(dictionary.read_text(encoding="utf-8") + "驿站助手 99999 n\n",
                          encoding="utf-8")
    assert "驿站助手" in DomainTokenizer((), (), cache_dir=tmp_path).words("驿站助手你好")
