"""Two reports of one building are one problem ("me too") only where their places can meet."""

from __future__ import annotations

import pytest

from bot.tickets.desk import same_spot


@pytest.mark.parametrize(("first", "second", "same"), [
    ("3楼楼道", "3楼", True),
    ("3楼楼道", "6楼楼道", False),             # two stairwell lights
    ("1单元3楼", "2单元3楼", False),           # the same floor of two stairwells
    ("1单元3楼", "1单元3楼楼道", True),
    ("1单元", "3楼", True),                   # nothing says they differ
    ("301室", "302室", False),
    (None, "2单元5楼", True),
])
def test_same_spot(first: str | None, second: str, same: bool) -> None:
    assert same_spot(first, second) is same
