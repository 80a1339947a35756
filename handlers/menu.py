"""Answers about the canteen: menus by date and meal, hours, prices, delivery, meal points."""

from __future__ import annotations

import datetime as dt
import re

from bot.conversation.state import Choice
from bot.kb.model import Canteen, MealPoint
from bot.kb.opening_days import opening_days
from bot.messages import Reply
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
POINTS_TITLE = "食堂和助餐点一共{count}处："
POINT_LINE = "{n}. {name}：{address}，{meals}"
POINT_DETAIL = "{name}\n地址：{address}\n开放：{days}\n{meals}"
OPEN_DAY = "{day}{point}开。{meals}"
CLOSED_DAY = "{day}{point}不开。它的开放日：{days}。"
CLOSED_ALTERNATIVE = "可以到{canteen}，{canteen_days}开。"
HOLIDAY = "{day}是节假日。"
ASK_DAY = "您问的是哪一天的菜单？请说日期，比如“12月3日”“下周三”“明天”。"
NO_CANTEEN = "食堂的资料暂时没有，请打 {phone} 问一下。"
DISH_ON = "{dish}：{days}有。"
DISH_DAY = "{day}{meal}"
DISH_NOT_SOON = "最近的菜单（到{last}）里没有{dish}。新一周的菜单一般周五前公布，到时候可以再问我。"
DISH_UNKNOWN = "菜单里没有找到这个菜。可以问我某一天的菜单，比如“明天中午吃什么”。"
DIET = "{note}"

# A dish is found by any part of it three characters long or more (狮子头 finds 红烧狮子头).
_DISH_PART = 3
_DISH_DAYS_SHOWN = 3


def _day(date: dt.date) -> str:
    return DAY.format(month=date.month, day=date.day, weekday=WEEKDAY_NAMES[date.weekday()])


def _serves(point: MealPoint, date: dt.date, public_holiday: bool = False) -> bool:
    """Whether a point opens that day."""
    days = opening_days(point.days)
    return date.weekday() in days.weekdays and not (public_holiday and days.closed_on_holidays)


def _meal_hours(point: MealPoint, meal: str) -> str:
    return point.hours.get(meal, "")


def _meals_line(point: MealPoint) -> str:
    return "，".join(f"{MEAL_NAMES.get(m, m)} {point.hours.get(m, '')}".strip()
                    for m in point.meals)


def _main_point(canteen: Canteen) -> MealPoint | None:
    return next((p for p in canteen.points if p.kind == "canteen"),
                canteen.points[0] if canteen.points else None)


def _end_of(hours: str) -> dt.time | None:
    """"11:00-12:30" -> 12:30."""
    match = re.search(r"(\d{1,2})[:：](\d{2})\s*$", hours)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return dt.time(int(match.group(1)), int(match.group(2)))


def _meal_now(ctx: HandlerContext, point: MealPoint | None) -> str:
    """The meal "今天吃什么" means: dinner once lunch is over, lunch before."""
    if ctx.now is None or point is None or ctx.now.date() != ctx.today:
        return "lunch"
    lunch_end = _end_of(point.hours.get("lunch", ""))
    if lunch_end is not None and ctx.now.time() > lunch_end and "dinner" in point.meals:
        return "dinner"
    return "lunch"


async def answer_menu(ctx: HandlerContext, c: Classification) -> HandlerResult:
    """Route a canteen question by its topic."""
    canteen = ctx.knowledge.canteen
    main = _main_point(canteen)
    if main is None:
        return HandlerResult(Reply(NO_CANTEEN.format(phone=ctx.knowledge.station.phone)))
    point = (canteen.point(c.meal_point) if c.meal_point else None)
    if c.topic == "hours" or (c.topic == "open" and c.date is None):
        return HandlerResult(Reply(fit(_hours(canteen, c.meal_point), ctx.max_chars)))
    if c.topic == "price":
        return HandlerResult(Reply(fit(_prices(canteen), ctx.max_chars)))
    if c.topic == "delivery":
        first, second = _delivery(ctx, canteen)
        return HandlerResult(Reply(fit(first, ctx.max_chars)),
                             more=(Reply(fit(second, ctx.max_chars)),))
    if c.topic == "points":
        text = _point_detail(point) if point is not None else _points(canteen)
        return HandlerResult(Reply(fit(text, ctx.max_chars)))
    if c.topic == "dish":
        return HandlerResult(Reply(fit(_dish_days(ctx, canteen, c.normalised), ctx.max_chars)))
    if c.topic == "diet":
        return HandlerResult(Reply(fit(DIET.format(note=canteen.diet), ctx.max_chars)))
    if c.topic == "open" and c.date is not None:
        return HandlerResult(Reply(fit(_open_on(ctx, canteen, point or main, c.date),
                                       ctx.max_chars)))
    if c.date_unreadable:
        return HandlerResult(Reply(ASK_DAY))
    date = c.date or ctx.today
    meal = c.meal or (_meal_now(ctx, point or main) if date == ctx.today else "lunch")
    also = tuple(date + dt.timedelta(days=n) for n in range(1, max(c.days, 1)))
    return await menu_for(ctx, date, meal, c.meal_point, also=also)


async def menu_for(ctx: HandlerContext, date: dt.date, meal: str, point_id: str | None,
                   also: tuple[dt.date, ...] = ()) -> HandlerResult:
    """The menu of one day and meal at one point (the canteen by default); `also` offers the
    same meal of other days (the Sunday of a weekend) as follow-ups."""
    canteen = ctx.knowledge.canteen
    main = _main_point(canteen)
    if main is None:
        return HandlerResult(Reply(NO_CANTEEN.format(phone=ctx.knowledge.station.phone)))
    point = (canteen.point(point_id) if point_id else None) or main
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
    if not _serves(point, date, ctx.knowledge.public_holiday(date)):
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
    others = tuple(Choice("menu", f"{other.isoformat()}|{meal}|{point.id}",
                          FOLLOW_OTHER_MEAL.format(day=WEEKDAY_NAMES[other.weekday()],
                                                   meal=meal_name)) for other in also)
    others += tuple(Choice("menu", f"{date.isoformat()}|{m}|{point.id}",
                           FOLLOW_OTHER_MEAL.format(day="", meal=MEAL_NAMES[m]))
                    for m in ("breakfast", "lunch", "dinner") if m != meal and m in point.meals)
    follow = numbered(others) if others else ""
    text = fit(text, ctx.max_chars - len(follow) - 1) + ("\n" + follow if follow else "")
    return HandlerResult(Reply(text, tuple(c.label for c in others)), others)


def _open_on(ctx: HandlerContext, canteen: Canteen, point: MealPoint, date: dt.date) -> str:
    """Whether a point opens on a day ("礼拜六食堂开吗"), with its hours or an alternative."""
    holiday = ctx.knowledge.public_holiday(date)
    prefix = HOLIDAY.format(day=_day(date)) if holiday else ""
    if _serves(point, date, holiday):
        return prefix + OPEN_DAY.format(day="" if holiday else _day(date), point=point.name,
                                        meals=_meals_line(point))
    text = prefix + CLOSED_DAY.format(day="" if holiday else _day(date), point=point.name,
                                      days=point.days)
    main = _main_point(canteen)
    if main is not None and main.id != point.id and _serves(main, date, holiday):
        text += CLOSED_ALTERNATIVE.format(canteen=main.name, canteen_days=main.days)
    return text


def dishes_named(canteen: Canteen, text: str) -> tuple[str, ...]:
    """The menu's dishes a message names, whole or by a part of three characters or more."""
    found = []
    for dish in canteen.dishes():
        size = min(_DISH_PART, len(dish))
        if any(dish[i:i + size] in text for i in range(len(dish) - size + 1)):
            found.append(dish)
    return tuple(found)


def _dish_days(ctx: HandlerContext, canteen: Canteen, text: str) -> str:
    """When a dish is next on the menu ("狮子头啥辰光有"), from today on."""
    dishes = dishes_named(canteen, text)
    if not dishes:
        return DISH_UNKNOWN
    days: dict[str, list[str]] = {}
    for date in sorted(d for d in canteen.menu if d >= ctx.today):
        menu = canteen.menu[date]
        for meal in ("breakfast", "lunch", "dinner"):
            for dish in menu.dishes(meal):
                if dish in dishes and len(days.setdefault(dish, [])) < _DISH_DAYS_SHOWN:
                    days[dish].append(DISH_DAY.format(day=_day(date), meal=MEAL_NAMES[meal]))
    dates = sorted(canteen.menu)
    last = _day(dates[-1]) if dates else ""
    lines = [DISH_ON.format(dish=dish, days="、".join(days[dish])) if days.get(dish)
             else DISH_NOT_SOON.format(dish=dish, last=last) for dish in dishes]
    return "\n".join(dict.fromkeys(lines))


def _point_detail(point: MealPoint) -> str:
    text = POINT_DETAIL.format(name=point.name, address=point.address, days=point.days,
                               meals=_meals_line(point))
    return text + ("\n" + point.note if point.note else "")


def _hours(canteen: Canteen, point_id: str | None) -> str:
    points = [p for p in canteen.points if point_id in (None, p.id)]
    lines = [HOURS_TITLE] + [HOURS_LINE.format(name=p.name, days=p.days, meals=_meals_line(p))
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
    lines = [POINTS_TITLE.format(count=len(canteen.points))] + [POINT_LINE.format(
        n=n, name=p.name, address=p.address,
        meals="、".join(MEAL_NAMES.get(m, m) for m in p.meals)) for n, p in enumerate(
        canteen.points, start=1)]
    return "\n".join(lines)


def follow_up_choice(value: str) -> tuple[dt.date, str, str | None]:
    """Decode a menu follow-up ("2026-11-24|dinner|canteen")."""
    date, meal, point = value.split("|")
    return dt.date.fromisoformat(date), meal, point or None


