"""The domain tokenizer: terms found in the knowledge's phrases, cached between starts."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from intents.tokens import DomainTokenizer, default_cache_dir, discover_terms

PHRASES = ["敬老卡申领", "敬老卡挂失补领", "敬老卡账户变更", "办敬老卡要带什么", "残疾人证新办",
           "残疾人证换领", "残疾人证挂失补领", "残疾人证迁移"]


def test_terms_recurring_across_phrases_are_found(tmp_path: Path) -> None:
    tokenizer = DomainTokenizer((), PHRASES, cache_dir=tmp_path)
    assert "敬老卡" in tokenizer.terms        # in 4 phrases, beside different words
    assert "敬老卡" in tokenizer.tokens("我想办敬老卡")


def test_found_terms_are_cached_and_found_afresh_when_the_phrases_change(
        tmp_path: Path) -> None:
    first = DomainTokenizer((), PHRASES, cache_dir=tmp_path)
    cached = sorted(tmp_path.glob("yizhan-terms-*.txt"))
    assert len(cached) == 1
    assert set(cached[0].read_text(encoding="utf-8").split()) == discover_terms(
        PHRASES, first.words)
    # The cache is what a second start reads: a term written into it is used.
    cached[0].write_text("敬老卡\n残疾人证\n居保\n", encoding="utf-8")
    assert "居保" in DomainTokenizer((), PHRASES, cache_dir=tmp_path).terms
    # Other phrases (a knowledge edit) are discovered afresh, in a file of their own.
    edited = DomainTokenizer((), [*PHRASES, "居住证签注", "居住证新办", "居住证挂失"],
                             cache_dir=tmp_path)
    assert "居保" not in edited.terms
    assert len(list(tmp_path.glob("yizhan-terms-*.txt"))) == 2


def test_the_default_cache_folder_is_this_users_own(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    folder = default_cache_dir()
    assert folder.parent == tmp_path and folder.stat().st_mode & 0o777 == 0o700
    assert default_cache_dir() == folder
    # A folder of that name anyone may write into (made first by someone else) is not used.
    folder.chmod(0o777)
    elsewhere = default_cache_dir()
    assert elsewhere != folder and elsewhere.stat().st_mode & 0o077 == 0
