"""When a meal point opens, read from its `days` text in canteen.toml ("每天",
"周一至周五（周末和节假日不开）", "工作日"): the menu answers and the booking rules both ask."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_EVERY_DAY = ("每天", "天天", "每日", "全年", "一周七天")
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
_DAY_RANGE = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])\s*(?:至|到|~|～|-|－|—)\s*"
                        r"(?:周|星期|礼拜)?([一二三四五六日天])")
_DAY_LIST = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天](?:[、，,和及]?[一二三四五六日天])*)")
_HOLIDAYS_CLOSED = re.compile(r"节假日[^，。；,;]*?(不开|休息|除外|关门|不供应|停)")


@dataclass(frozen=True)
class OpeningDays:
    """The weekdays (0 = Monday) a meal point opens, and whether public holidays close it."""

    weekdays: frozenset[int]
    closed_on_holidays: bool


def opening_days(days: str) -> OpeningDays:
    """Read a point's `days` text; text it cannot read means every day (never a false no)."""
    closed_on_holidays = bool(_HOLIDAYS_CLOSED.search(days)) or "工作日" in days
    main = _BRACKETS.sub("", days)
    if any(word in main for word in _EVERY_DAY):
        return OpeningDays(frozenset(range(7)), closed_on_holidays)
    weekdays: set[int] = set()
    if "工作日" in main:
        weekdays |= set(range(5))
    for match in _DAY_RANGE.finditer(main):
        first, last = _DAY_INDEX[match.group(1)], _DAY_INDEX[match.group(2)]
        weekdays |= set(range(first, last + 1)) if first <= last else (
            set(range(first, 7)) | set(range(last + 1)))
    main = _DAY_RANGE.sub("", main)
    for match in _DAY_LIST.finditer(main):
        weekdays |= {_DAY_INDEX[ch] for ch in match.group(1) if ch in _DAY_INDEX}
    if "周末" in main:
        weekdays |= {5, 6}
    return OpeningDays(frozenset(weekdays or range(7)), closed_on_holidays)
