"""Handlers on hand-made classifications: texts, menu days, meal points, item handling."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.kb.model import Canteen, Knowledge, MealPoint
from bot.kb.opening_days import opening_days
from handlers.affairs import answer_item, clarify, handling_text
from handlers.context import HandlerContext
from handlers.conversation import fall_back, greet
from handlers.menu import answer_menu, menu_for
from intents.engine import (
    FALLBACK,
    GREETING,
    MENU,
    NUMBER,
    PROMPT,
    THANKS,
    Candidate,
    Classification,
)
from tests.support import NOW, ZONE

MONDAY = dt.date(2026, 11, 23)
SATURDAY = dt.date(2026, 11, 28)


def context(knowledge: Knowledge, now: dt.datetime = NOW) -> HandlerContext:
    return HandlerContext(knowledge, now.date(), now=now)


def menu(topic: str = "dishes", date: dt.date | None = None, meal_point: str | None = None,
         days: int = 1, date_unreadable: bool = False) -> Classification:
    return Classification("q", MENU, topic=topic, date=date, meal_point=meal_point, days=days,
                          date_unreadable=date_unreadable)


# -- meal points' days --------------------------------------------------------------------

@pytest.mark.parametrize(("days", "weekdays", "holidays_closed"), [
    ("每天", set(range(7)), False),
    ("周一至周五（周末和节假日不开）", set(range(5)), True),
    ("周一到周六", set(range(6)), False),
    ("工作日", set(range(5)), True),
    ("周一、三、五", {0, 2, 4}, False),
    ("周末", {5, 6}, False),
    ("看情况", set(range(7)), False),
])
def test_opening_days(days: str, weekdays: set[int], holidays_closed: bool) -> None:
    found = opening_days(days)
    assert found.weekdays == weekdays
    assert found.closed_on_holidays == holidays_closed


async def test_saturday_canteen_open(knowledge: Knowledge) -> None:
    reply = (await answer_menu(context(knowledge), menu(
        "open", date=SATURDAY, meal_point="canteen"))).reply.text
    assert "周六" in reply and "开" in reply and "不开" not in reply
    canteen = knowledge.canteen.point("canteen")
    assert canteen is not None and canteen.hours["lunch"] in reply


async def test_saturday_meal_point_closed(knowledge: Knowledge) -> None:
    reply = (await answer_menu(context(knowledge), menu(
        "open", date=SATURDAY, meal_point="meiyuan"))).reply.text
    assert "不开" in reply
    assert "长者食堂" in reply                      # where to go instead


async def test_a_public_holiday_closes_a_weekday_point(knowledge: Knowledge) -> None:
    new_year = dt.date(2027, 1, 1)                  # a Friday, public holiday in calendar.toml
    assert knowledge.public_holiday(new_year)
    reply = (await answer_menu(context(knowledge), menu(
        "open", date=new_year, meal_point="meiyuan"))).reply.text
    assert "节假日" in reply and "不开" in reply
    assert "（（" not in reply and "））" not in reply


async def test_a_meal_point_address(knowledge: Knowledge) -> None:
    reply = (await answer_menu(context(knowledge), menu("points", meal_point="meiyuan"))
             ).reply.text
    point = knowledge.canteen.point("meiyuan")
    assert point is not None
    assert point.address in reply and point.hours["lunch"] in reply
    assert "桂花苑" not in reply


async def test_an_unreadable_day_asks_which_day(knowledge: Knowledge) -> None:
    reply = (await answer_menu(context(knowledge), menu(date_unreadable=True))).reply.text
    assert "哪一天" in reply
    assert "11月23日" not in reply                  # not silently today


async def test_a_weekend_offers_the_sunday(knowledge: Knowledge) -> None:
    result = await answer_menu(context(knowledge), menu(date=SATURDAY, days=2))
    assert "周六" in result.reply.text
    assert result.choices[0].ref.startswith("2026-11-29|lunch")
    assert "周日" in result.choices[0].label


async def test_today_in_the_evening_is_dinner(knowledge: Knowledge) -> None:
    evening = dt.datetime(2026, 11, 23, 17, 30, tzinfo=ZONE)
    reply = (await answer_menu(context(knowledge, evening), menu())).reply.text
    assert "晚餐" in reply
    assert knowledge.canteen.menu[MONDAY].dinner[0] in reply
    morning = (await answer_menu(context(knowledge), menu())).reply.text
    assert "午餐" in morning


async def test_no_meal_points_is_no_crash(knowledge: Knowledge) -> None:
    empty = dataclasses.replace(knowledge, canteen=dataclasses.replace(
        knowledge.canteen, points=()))
    ctx = context(empty)
    phone = knowledge.station.phone
    assert phone in (await answer_menu(ctx, menu())).reply.text
    assert phone in (await menu_for(ctx, MONDAY, "lunch", None)).reply.text


async def test_a_point_without_meals_is_no_crash(knowledge: Knowledge) -> None:
    bare = MealPoint("bare", "空点", "meal_point", "某处", (), (), "每天", {})
    canteen: Canteen = dataclasses.replace(knowledge.canteen,
                                           points=(*knowledge.canteen.points, bare))
    ctx = context(dataclasses.replace(knowledge, canteen=canteen))
    assert (await answer_menu(ctx, menu("hours", meal_point="bare"))).reply.text
    assert (await menu_for(ctx, MONDAY, "lunch", "bare")).reply.text


async def test_a_dish_says_its_next_days(knowledge: Knowledge) -> None:
    ctx = context(knowledge)
    dish = knowledge.canteen.menu[MONDAY].set_a[0]                 # on today's lunch
    asked = Classification(dish[-3:] + "啥辰光有", MENU, topic="dish",
                           normalised=dish[-3:] + "什么时候有")
    reply = (await answer_menu(ctx, asked)).reply.text
    assert reply.startswith(dish) and "11月23日（周一）午餐" in reply
    later = [d for d in sorted(knowledge.canteen.menu) if d >= MONDAY
             and dish in knowledge.canteen.menu[d].dishes("lunch")]
    assert reply.count("午餐") == min(3, len(later))             # the next few, no more


async def test_a_dish_not_on_the_coming_menu(knowledge: Knowledge) -> None:
    last = max(knowledge.canteen.menu)
    ctx = context(knowledge, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(9),
                                                 tzinfo=ZONE))
    dish = knowledge.canteen.menu[MONDAY].set_a[0]
    reply = (await answer_menu(ctx, Classification("q", MENU, topic="dish", normalised=dish))
             ).reply.text
    assert "没有" + dish in reply and "周五前公布" in reply


async def test_a_diet_question_gets_the_canteen_note(knowledge: Knowledge) -> None:
    reply = (await answer_menu(context(knowledge), menu("diet"))).reply.text
    assert reply == knowledge.canteen.diet


async def test_hours_without_a_point_give_every_point(knowledge: Knowledge) -> None:
    reply = (await answer_menu(context(knowledge), menu("hours"))).reply.text
    assert all(p.name in reply for p in knowledge.canteen.points)


async def test_how_many_points(knowledge: Knowledge) -> None:
    reply = (await answer_menu(context(knowledge), menu("points"))).reply.text
    assert f"一共{len(knowledge.canteen.points)}处" in reply


# -- affairs texts --------------------------------------------------------------------------

async def test_information_only_items_do_not_say_where_to_apply(knowledge: Knowledge) -> None:
    item = next(i for i in knowledge.items if i.handling == "仅咨询")
    reply = (await answer_item(context(knowledge), item.id)).reply.text
    assert "在哪咨询" in reply and "在哪办" not in reply
    assert item.department in reply
    assert "（以承办部门为准）" not in reply


@pytest.mark.parametrize(("handling", "limit", "expected"), [
    ("当场办结", "当场", "当场办结：材料齐全，当场就能办好。"),
    ("当场办结", "当场（次月发放生效）", "当场办结：材料齐全，当场就能办好，次月发放生效。"),
    ("当场受理", "20个工作日", "窗口当场收材料，20个工作日内办好。"),
    ("当场受理", "20个工作日后领卡", "窗口当场收材料，20个工作日后领卡。"),
    ("收受分离", "30个工作日", "驿站收材料，交给主管部门办理，30个工作日内办好。"),
])
def test_handling_reads_naturally(knowledge: Knowledge, handling: str, limit: str,
                                  expected: str) -> None:
    item = dataclasses.replace(knowledge.items[0], handling=handling, time_limit=limit)
    assert handling_text(item) == expected


async def test_a_clarification_ends_with_a_way_out(knowledge: Knowledge) -> None:
    candidates = tuple(Candidate(i.id, 0.5, "affairs.ask", i.name) for i in knowledge.items[:3])
    text = (await clarify(context(knowledge), candidates)).reply.text
    last = text.splitlines()[-1]
    assert "都不是" in last and knowledge.station.phone in last


# -- conversation texts -------------------------------------------------------------------

@pytest.mark.parametrize(("topic", "expected"), [(THANKS, "不客气"), (PROMPT, "请问您想问什么")])
async def test_thanks_and_prompt(knowledge: Knowledge, topic: str, expected: str) -> None:
    text = (await greet(context(knowledge), Classification("x", GREETING, topic=topic,
                                                          normalised="x"))).reply.text
    assert expected in text
    assert "表情" not in text


async def test_a_bare_number_with_nothing_pending(knowledge: Knowledge) -> None:
    text = (await fall_back(context(knowledge), Classification(
        "2", FALLBACK, topic=NUMBER, normalised="2"))).reply.text
    assert "中文" not in text
    assert "没有" in text
