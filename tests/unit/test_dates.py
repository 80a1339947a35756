"""Dates and meals in residents' words, resolved against a fixed today."""

from __future__ import annotations

import datetime as dt

import pytest

from intents.dates import DayReference, NamedDay, named_days, parse_date, parse_meal, read_day

MONDAY = dt.date(2026, 11, 23)      # the tests' "today": Monday 23 November 2026
WEDNESDAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(("text", "expected"), [
    ("今天", dt.date(2026, 11, 23)),
    ("明天", dt.date(2026, 11, 24)),
    ("后天", dt.date(2026, 11, 25)),
    ("大后天", dt.date(2026, 11, 26)),
    ("今天中午吃什么", dt.date(2026, 11, 23)),
    ("明天早饭", dt.date(2026, 11, 24)),
    ("后天夜饭有啥菜", dt.date(2026, 11, 25)),
    ("大后天早餐有豆浆吗", dt.date(2026, 11, 26)),
])
def test_relative_days(text: str, expected: dt.date) -> None:
    assert parse_date(text, MONDAY) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("周三", dt.date(2026, 11, 25)),
    ("星期三", dt.date(2026, 11, 25)),
    ("礼拜三", dt.date(2026, 11, 25)),
    ("周日", dt.date(2026, 11, 29)),
    ("星期天", dt.date(2026, 11, 29)),
    ("周一", dt.date(2026, 11, 23)),          # today itself
    ("下周一", dt.date(2026, 11, 30)),
    ("下礼拜三", dt.date(2026, 12, 2)),
    ("下个星期五", dt.date(2026, 12, 4)),
    ("这周五", dt.date(2026, 11, 27)),
    ("下下周一", dt.date(2026, 12, 7)),
])
def test_weekdays(text: str, expected: dt.date) -> None:
    assert parse_date(text, MONDAY) == expected


def test_a_past_weekday_rolls_to_next_week() -> None:
    assert parse_date("周一", WEDNESDAY) == dt.date(2026, 11, 30)
    assert parse_date("星期二", WEDNESDAY) == dt.date(2026, 12, 1)
    assert parse_date("周三", WEDNESDAY) == WEDNESDAY


@pytest.mark.parametrize(("text", "expected"), [
    ("11月25日", dt.date(2026, 11, 25)),
    ("11月25号", dt.date(2026, 11, 25)),
    ("12月1号", dt.date(2026, 12, 1)),
    ("12月1号中午有饺子吗", dt.date(2026, 12, 1)),
    ("25号", dt.date(2026, 11, 25)),
    ("25日晚饭菜单", dt.date(2026, 11, 25)),
    ("23号", dt.date(2026, 11, 23)),
])
def test_month_and_day(text: str, expected: dt.date) -> None:
    assert parse_date(text, MONDAY) == expected


def test_day_of_month_in_the_past_rolls_to_next_month() -> None:
    assert parse_date("5号", MONDAY) == dt.date(2026, 12, 5)
    assert parse_date("22号", MONDAY) == dt.date(2026, 12, 22)


def test_december_rolls_over_to_january() -> None:
    late_december = dt.date(2026, 12, 28)
    assert parse_date("3号", late_december) == dt.date(2027, 1, 3)
    assert parse_date("1月5号", late_december) == dt.date(2027, 1, 5)
    assert parse_date("下周一", late_december) == dt.date(2027, 1, 4)
    assert parse_date("明天", dt.date(2026, 12, 31)) == dt.date(2027, 1, 1)


def test_a_month_long_past_means_next_year() -> None:
    assert parse_date("1月20号", MONDAY) == dt.date(2027, 1, 20)


@pytest.mark.parametrize("text", ["2月30日", "2月30号", "13月1日", "11月31号", "11月0日"])
def test_invalid_dates_are_none(text: str) -> None:
    assert parse_date(text, MONDAY) is None


@pytest.mark.parametrize("text", ["", "吃什么", "敬老卡怎么办", "9号楼楼道灯坏了", "12号楼"])
def test_no_date(text: str) -> None:
    assert parse_date(text, MONDAY) is None


@pytest.mark.parametrize(("text", "meal"), [
    ("早饭吃什么", "breakfast"),
    ("早餐", "breakfast"),
    ("明天早上吃啥", "breakfast"),
    ("中午吃什么", "lunch"),
    ("午饭", "lunch"),
    ("中饭几块钱", "lunch"),
    ("晚饭吃什么", "dinner"),
    ("晚餐", "dinner"),
    ("夜饭有啥菜", "dinner"),
    ("礼拜六中浪吃啥", "lunch"),              # Shanghainese
    ("早浪向有啥吃", "breakfast"),
    ("明天套餐A有什么", "lunch"),             # the two sets are lunch
    ("晚饭有套餐吗", "dinner"),
])
def test_meals(text: str, meal: str) -> None:
    assert parse_meal(text) == meal


@pytest.mark.parametrize("text", ["", "吃什么", "明天", "菜单", "敬老卡怎么办"])
def test_no_meal(text: str) -> None:
    assert parse_meal(text) is None


# -- days that used to be read as "today" ---------------------------------------------------

def test_a_day_this_month_does_not_have_is_next_months() -> None:
    assert parse_date("31号", MONDAY) == dt.date(2026, 12, 31)      # November has 30 days


def test_next_month_and_this_month() -> None:
    assert parse_date("下个月3号", MONDAY) == dt.date(2026, 12, 3)
    assert parse_date("这个月28号", MONDAY) == dt.date(2026, 11, 28)


@pytest.mark.parametrize(("text", "saturday"), [
    ("下周末", dt.date(2026, 12, 5)),
    ("这周末", dt.date(2026, 11, 28)),
    ("周末吃什么", dt.date(2026, 11, 28)),
])
def test_a_weekend_is_its_saturday_and_two_days(text: str, saturday: dt.date) -> None:
    found = read_day(text, MONDAY)
    assert found == DayReference(saturday, days=2)


CHRISTMAS = NamedDay(("圣诞节", "圣诞"), (dt.date(2025, 12, 25), dt.date(2026, 12, 25)))


def test_holidays_from_the_knowledge_base() -> None:
    assert parse_date("圣诞节吃什么", MONDAY, (CHRISTMAS,)) == dt.date(2026, 12, 25)
    assert parse_date("圣诞吃什么", MONDAY, (CHRISTMAS,)) == dt.date(2026, 12, 25)


@pytest.mark.parametrize("text", ["2月30号", "13月1日", "情人节", "圣诞节"])
def test_a_named_day_that_cannot_be_read_says_so(text: str) -> None:
    found = read_day(text, MONDAY)          # no holidays listed: 圣诞节 is unknown here
    assert found is not None
    assert found.date is None and found.unreadable


def test_holidays_longest_name_first() -> None:
    days = named_days([(("平安",), (dt.date(2026, 1, 1),)),
                       (("平安夜",), (dt.date(2026, 12, 24),))])
    assert parse_date("平安夜", MONDAY, days) == dt.date(2026, 12, 24)
