"""Dates and meals in residents' words: 今天, 后天, 周三, 下礼拜一, 下周末, 11月25日, 12/3, 25号,
holidays named in the knowledge base (圣诞节), and 中午 / 晚饭.

`read_day` also says when a message names a day that cannot be read (2月30号, an unlisted
festival), so that the caller can ask which day was meant instead of assuming today.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_RELATIVE = (("大后天", 3), ("大前天", -3), ("前天", -2), ("后天", 2), ("明天", 1), ("明日", 1),
             ("明儿", 1), ("今天", 0), ("今日", 0), ("今儿", 0), ("今朝", 0), ("明朝", 1),
             ("昨天", -1), ("昨日", -1), ("当天", 0))
_WEEK = re.compile(r"(下下|下个?|这个?|本|上个?)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_WEEKEND = re.compile(r"(下下|下个?|这个?|本|上个?)?(?:周末|礼拜天礼拜六|星期六星期天)")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})(?:日|号)?")
_RELATIVE_MONTH = re.compile(r"(下个?月|这个?月|本月)(\d{1,2})(?:日|号)")
_DAY_ONLY = re.compile(r"(?<![\d月])(\d{1,2})(?:号|日)(?!楼)")
# A festival the knowledge base does not list (冬至节, 情人节): a day, but not one we can read.
_FESTIVAL = re.compile(r"[\u4e00-\u9fff]{1,3}节(?![假日目约省奏课])")
# Shanghainese too (早浪向, 中浪, 夜快); the two 11-yuan sets (套餐) are lunch, unless another
# meal is named.
_MEALS = (("breakfast", ("早饭", "早餐", "早点", "早上", "早晨", "早浪")),
          ("dinner", ("晚饭", "晚餐", "夜饭", "晚上", "傍晚", "夜里", "夜快")),
          ("lunch", ("午饭", "中饭", "午餐", "中午", "中觉", "午市", "中浪", "套餐")))


@dataclass(frozen=True)
class NamedDay:
    """A holiday or festival: the names residents use and the dates it falls on."""

    names: tuple[str, ...]
    dates: tuple[dt.date, ...]


@dataclass(frozen=True)
class DayReference:
    """The day a message names: `date` (the first of `days` days), or unreadable."""

    date: dt.date | None
    days: int = 1                 # 2 for a weekend (Saturday and Sunday)
    unreadable: bool = False      # a day is named but cannot be read (2月30号, 情人节)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _next_month(today: dt.date, months: int = 1) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 + months
    return index // 12, index % 12 + 1


def _week(prefix: str, day: int, today: dt.date) -> dt.date:
    monday = today - dt.timedelta(days=today.weekday())
    if prefix.startswith("下下"):
        return monday + dt.timedelta(days=14 + day)
    if prefix.startswith("下"):
        return monday + dt.timedelta(days=7 + day)
    if prefix.startswith("上"):
        return monday + dt.timedelta(days=day - 7)
    if prefix:  # 这周 / 本周
        return monday + dt.timedelta(days=day)
    target = monday + dt.timedelta(days=day)
    return target if target >= today else target + dt.timedelta(days=7)


def _holiday(text: str, today: dt.date, holidays: Sequence[NamedDay]) -> dt.date | None:
    """The next date (today included) of a holiday the message names; the last past one if
    every listed date is over."""
    for holiday in holidays:
        if any(name and name in text for name in holiday.names) and holiday.dates:
            coming = sorted(d for d in holiday.dates if d >= today)
            return coming[0] if coming else max(holiday.dates)
    return None


def read_day(text: str, today: dt.date, holidays: Sequence[NamedDay] = ()
             ) -> DayReference | None:
    """The day a normalised message refers to; None if it names none."""
    for word, offset in _RELATIVE:
        if word in text:
            return DayReference(today + dt.timedelta(days=offset))
    match = _WEEKEND.search(text)
    if match:
        return DayReference(_week(match.group(1) or "", 5, today), days=2)
    match = _WEEK.search(text)
    if match:
        return DayReference(_week(match.group(1) or "", _WEEKDAY[match.group(2)], today))
    holiday = _holiday(text, today, holidays)
    if holiday is not None:
        return DayReference(holiday)
    match = _RELATIVE_MONTH.search(text)
    if match:
        months = 1 if match.group(1).startswith("下") else 0
        year, month = _next_month(today, months)
        date = _safe_date(year, month, int(match.group(2)))
        return DayReference(date, unreadable=date is None)
    match = _MONTH_DAY.search(text)
    if match:
        month, day = int(match.group(1)), int(match.group(2))
        date = _safe_date(today.year, month, day)
        if date is not None and (today - date).days > 180:
            date = _safe_date(today.year + 1, month, day)
        return DayReference(date, unreadable=date is None)
    match = _DAY_ONLY.search(text)
    if match:
        day = int(match.group(1))
        date = _safe_date(today.year, today.month, day)
        if date is None or date < today:  # 5号 after the 5th, 31号 in a 30-day month
            date = _safe_date(*_next_month(today), day)
        return DayReference(date, unreadable=date is None)
    if _FESTIVAL.search(text):
        return DayReference(None, unreadable=True)
    return None


def parse_date(text: str, today: dt.date, holidays: Sequence[NamedDay] = ()) -> dt.date | None:
    """The day a normalised message refers to, or None if it names none (or none readable)."""
    found = read_day(text, today, holidays)
    return found.date if found else None


def parse_meal(text: str) -> str | None:
    """breakfast / lunch / dinner if the message names a meal."""
    for meal, words in _MEALS:
        if any(word in text for word in words):
            return meal
    return None


def named_days(entries: Iterable[tuple[Iterable[str], Iterable[dt.date]]]) -> tuple[NamedDay, ...]:
    """Holidays as the date reader wants them, longest names first (平安夜 before 平安)."""
    days = [NamedDay(tuple(sorted(names, key=len, reverse=True)), tuple(sorted(dates)))
            for names, dates in entries]
    return tuple(sorted(days, key=lambda d: -max((len(n) for n in d.names), default=0)))
