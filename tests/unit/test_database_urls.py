"""SQLite paths in database URLs are made absolute against the project root."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.db.urls import resolve_url


def test_a_relative_sqlite_path_becomes_absolute(tmp_path: Path) -> None:
    url = resolve_url("sqlite+aiosqlite:///var/data/yizhan.db", tmp_path)
    assert url == f"sqlite+aiosqlite:///{tmp_path}/var/data/yizhan.db"
    assert (tmp_path / "var" / "data").is_dir()


@pytest.mark.parametrize("url", [
    "sqlite+aiosqlite:////srv/yizhan.db",
    "sqlite+aiosqlite:///:memory:",
    "sqlite://",
    "postgresql+asyncpg://user:pw@db/station",
])
def test_other_urls_are_kept(url: str, tmp_path: Path) -> None:
    assert resolve_url(url, tmp_path) == url


def test_a_query_is_kept(tmp_path: Path) -> None:
    assert resolve_url("sqlite:///a.db?timeout=5", tmp_path) == f"sqlite:///{tmp_path}/a.db?timeout=5"
