"""Answers about the canteen: menus by date and meal, hours, prices, delivery, meal points."""

from __future__ import annotations

import datetime as dt

from bot.kb.model import Canteen, MealPoint
from bot.messages import Reply
from bot.sessions import Choice
from handlers.context import HandlerContext, HandlerResult, fill, fit, numbered
from intents.engine import Classification

# User-facing text of this feature, in one place.
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
MEAL_NAMES = {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}
DAY = "{month}月{day}日（{weekday}）"
LUNCH = ("{day}午餐，{point}：\n套餐A {price_a}元：{set_a}\n套餐B {price_b}元：{set_b}"
         "\n供应时间 {hours}")
OTHER_MEAL = "{day}{meal}，{point}（{price}元）：{dishes}\n供应时间 {hours}"
SHARED_MENU = "各助餐点午餐和食堂同一份菜单。"
NO_MENU = "还没有{day}的菜单。现在能查 {first} 到 {last}，新一周的菜单一般周五前公布。"
CLOSED = "{day}食堂休息，不供应{meal}。"
POINT_NO_MEAL = "{point}不供应{meal}，{alternatives}供应。"
POINT_CLOSED_DAY = "{point}{days}开放，{day}不开。可以到{canteen}（{canteen_days}）。"
SUBSIDY = "老人优惠：{subsidy}"
FOLLOW_OTHER_MEAL = "看{day}{meal}"
HOURS_LINE = "{name}：{meals}（{days}）"
HOURS_TITLE = "食堂和助餐点开放时间："
PRICES = ("价格：午餐两个套餐，套餐A {a}元、套餐B {b}元；早餐 {breakfast}元；晚餐 {dinner}元。"
          "\n{subsidy}\n付款：{payment}")
DELIVERY = "老人送餐服务\n谁能送：{eligible}\n怎么报名：{signup}"
DELIVERY_MORE = "送餐费用：{fee}\n送到时间：{hours}\n订餐：{deadline}"
POINTS_TITLE = "食堂和助餐点："
POINT_LINE = "{n}. {name}：{address}，{meals}"


def _day(date: dt.date) -> str:
    return DAY.format(month=date.month, day=date.day, weekday=WEEKDAY_NAMES[date.weekday()])


def _serves(point: MealPoint, date: dt.date) -> bool:
    """Whether a point opens that day (its `days` text, read plainly)."""
    days = point.days
    if "每天" in days or "天天" in days:
        return True
    if "工作日" in days or "周一至周五" in days or "周一到周五" in days:
        return date.weekday() < 5
    return True


def _meal_hours(point: MealPoint, meal: str) -> str:
    return point.hours.get(meal, "")


async def answer_menu(ctx: HandlerContext, c: Classification) -> HandlerResult:
    """Route a canteen question by its topic."""
    canteen = ctx.knowledge.canteen
    if c.topic == "hours":
        return HandlerResult(Reply(fit(_hours(canteen, c.meal_point), ctx.max_chars)))
    if c.topic == "price":
        return HandlerResult(Reply(fit(_prices(canteen), ctx.max_chars)))
    if c.topic == "delivery":
        first, second = _delivery(ctx, canteen)
        return HandlerResult(Reply(fit(first, ctx.max_chars)),
                             more=(Reply(fit(second, ctx.max_chars)),))
    if c.topic == "points":
        return HandlerResult(Reply(fit(_points(canteen), ctx.max_chars)))
    return await menu_for(ctx, c.date or ctx.today, c.meal or "lunch", c.meal_point)


async def menu_for(ctx: HandlerContext, date: dt.date, meal: str,
                   point_id: str | None) -> HandlerResult:
    """The menu of one day and meal at one point (the canteen by default)."""
    canteen = ctx.knowledge.canteen
    main = next((p for p in canteen.points if p.kind == "canteen"), canteen.points[0])
    point = canteen.point(point_id) if point_id else main
    point = point or main
    day = _day(date)
    menu = canteen.menu.get(date)
    if menu is None:
        dates = sorted(canteen.menu)
        first, last = (_day(dates[0]), _day(dates[-1])) if dates else ("", "")
        return HandlerResult(Reply(NO_MENU.format(day=day, first=first, last=last)))
    meal_name = MEAL_NAMES[meal]
    if meal not in point.meals:
        alternatives = "、".join(p.name for p in canteen.points if meal in p.meals)
        return HandlerResult(Reply(POINT_NO_MEAL.format(point=point.name, meal=meal_name,
                                                        alternatives=alternatives)))
    if not _serves(point, date):
        return HandlerResult(Reply(POINT_CLOSED_DAY.format(
            point=point.name, days=point.days, day=day, canteen=main.name,
            canteen_days=main.days)))
    dishes = menu.dishes(meal)
    if not dishes:
        return HandlerResult(Reply(CLOSED.format(day=day, meal=meal_name)))
    prices = canteen.prices
    if meal == "lunch":
        text = LUNCH.format(day=day, point=point.name, price_a=prices.set_a,
                            price_b=prices.set_b, set_a="、".join(menu.set_a),
                            set_b="、".join(menu.set_b), hours=_meal_hours(point, meal))
        if point.kind != "canteen":
            text += "\n" + SHARED_MENU
    else:
        price = prices.breakfast if meal == "breakfast" else prices.dinner
        text = OTHER_MEAL.format(day=day, meal=meal_name, point=point.name, price=price,
                                 dishes="、".join(dishes), hours=_meal_hours(point, meal))
    others = tuple(Choice("menu", f"{date.isoformat()}|{m}|{point.id}",
                          FOLLOW_OTHER_MEAL.format(day="", meal=MEAL_NAMES[m]))
                   for m in ("breakfast", "lunch", "dinner") if m != meal and m in point.meals)
    follow = numbered(others) if others else ""
    text = fit(text, ctx.max_chars - len(follow) - 1) + ("\n" + follow if follow else "")
    return HandlerResult(Reply(text, tuple(c.label for c in others)), others)


def _hours(canteen: Canteen, point_id: str | None) -> str:
    points = [p for p in canteen.points if point_id in (None, p.id)]
    lines = [HOURS_TITLE] + [HOURS_LINE.format(
        name=p.name, days=p.days,
        meals="，".join(f"{MEAL_NAMES[m]} {p.hours.get(m, '')}" for m in p.meals))
        for p in points]
    return "\n".join(lines)


def _prices(canteen: Canteen) -> str:
    p = canteen.prices
    return PRICES.format(a=p.set_a, b=p.set_b, breakfast=p.breakfast, dinner=p.dinner,
                         subsidy=SUBSIDY.format(subsidy=p.subsidy), payment=p.payment)


def _delivery(ctx: HandlerContext, canteen: Canteen) -> tuple[str, str]:
    d = canteen.delivery
    values = ctx.knowledge.station.placeholders()
    return (DELIVERY.format(eligible=fill(d.eligible, values), signup=fill(d.signup, values)),
            DELIVERY_MORE.format(fee=fill(d.fee, values), hours=d.hours,
                                 deadline=fill(d.order_deadline, values)))


def _points(canteen: Canteen) -> str:
    lines = [POINTS_TITLE] + [POINT_LINE.format(
        n=n, name=p.name, address=p.address,
        meals="、".join(MEAL_NAMES[m] for m in p.meals)) for n, p in enumerate(
        canteen.points, start=1)]
    return "\n".join(lines)


def follow_up_choice(value: str) -> tuple[dt.date, str, str | None]:
    """Decode a menu follow-up ("2026-11-24|dinner|canteen")."""
    date, meal, point = value.split("|")
    return dt.date.fromisoformat(date), meal, point or None


