"""Dates and meals in residents' words: 今天, 后天, 周三, 下礼拜一, 11月25日, 25号, 中午."""

from __future__ import annotations

import datetime as dt
import re

_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_RELATIVE = (("大后天", 3), ("大前天", -3), ("前天", -2), ("后天", 2), ("明天", 1), ("明日", 1),
             ("明儿", 1), ("今天", 0), ("今日", 0), ("今儿", 0), ("今朝", 0), ("明朝", 1),
             ("昨天", -1), ("昨日", -1), ("当天", 0))
_WEEK = re.compile(r"(下下|下个?|这个?|本|上个?)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_MONTH_DAY = re.compile(r"(\d{1,2})月(\d{1,2})(?:日|号)?")
_DAY_ONLY = re.compile(r"(?<![\d月])(\d{1,2})(?:号|日)(?!楼)")
_SLASH = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})(?!\d)")
_MEALS = (("breakfast", ("早饭", "早餐", "早点", "早上", "早晨", "早饭")),
          ("dinner", ("晚饭", "晚餐", "夜饭", "晚上", "傍晚", "夜里")),
          ("lunch", ("午饭", "中饭", "午餐", "中午", "中觉", "午市")))


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """The day a normalised message refers to, or None if it names none."""
    for word, offset in _RELATIVE:
        if word in text:
            return today + dt.timedelta(days=offset)
    match = _WEEK.search(text)
    if match:
        prefix, day = match.group(1) or "", _WEEKDAY[match.group(2)]
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
    match = _MONTH_DAY.search(text) or _SLASH.search(text)
    if match:
        month, day = int(match.group(1)), int(match.group(2))
        date = _safe_date(today.year, month, day)
        if date is not None and (today - date).days > 180:
            date = _safe_date(today.year + 1, month, day)
        return date
    match = _DAY_ONLY.search(text)
    if match:
        day = int(match.group(1))
        date = _safe_date(today.year, today.month, day)
        if date is not None and date < today:
            year, month = (today.year + 1, 1) if today.month == 12 else (today.year,
                                                                          today.month + 1)
            date = _safe_date(year, month, day)
        return date
    return None


def parse_meal(text: str) -> str | None:
    """breakfast / lunch / dinner if the message names a meal."""
    for meal, words in _MEALS:
        if any(word in text for word in words):
            return meal
    return None
