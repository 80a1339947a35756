"""Staff side of bookings, from their phone: the kitchen's counts and delivery list, the day's
counter appointments (已办结 / 未到), delivery sign-ups to approve, and closing a meal point or
marking a dish sold out (new orders refused, the residents who ordered told)."""

from __future__ import annotations

import datetime as dt

from bot.bookings import texts
from bot.bookings.desk import DELIVERY, BookingDesk, day_words, weekday_words
from bot.db.models import MealStop
from bot.db.unit_of_work import UnitOfWork
from bot.turn import Outcome, Turn
from intents.bookings import (
    ClosePoint,
    DayAppointments,
    DecideSignup,
    DeliveryList,
    KitchenCounts,
    MarkAppointment,
    SoldOut,
)

_STATE_NAMES = {"done": "已办结", "no_show": "未到"}


def _meals(turn: Turn, day: dt.date, meal: str | None) -> tuple[str, ...]:
    """The meals a count or list is for: the one said; today, the next one; another day,
    lunch and dinner."""
    if meal is not None:
        return (meal,)
    if day == turn.today:
        return ("dinner",) if turn.now.hour >= 13 else ("lunch",)
    return ("lunch", "dinner")


async def counts(turn: Turn, uow: UnitOfWork, bookings: BookingDesk) -> Outcome:
    """订餐统计 / 明天午餐统计: portions per meal point, per set and dish."""
    command = turn.staff_booking
    assert isinstance(command, KitchenCounts)
    replies = []
    for meal in _meals(turn, command.day, command.meal):
        tally = await bookings.counts(uow, command.day, meal)
        lines = "\n".join(texts.KITCHEN_POINT.format(
            point=bookings.point_name(point), parts="，".join(
                f"{what} {n}份" for what, n in sorted(parts.items())))
            for point, parts in sorted(tally.items(), key=lambda p: p[0] == DELIVERY))
        total = sum(sum(parts.values()) for parts in tally.values())
        replies.append(_sheet(command.day, meal, lines, texts.KITCHEN_COUNTS,
                              texts.KITCHEN_NONE, total=total))
    return turn.reply(*replies)


async def delivery_list(turn: Turn, uow: UnitOfWork, bookings: BookingDesk) -> Outcome:
    """送餐名单: by building and floor, for the volunteers who carry the meals."""
    command = turn.staff_booking
    assert isinstance(command, DeliveryList)
    replies = []
    for meal in _meals(turn, command.day, command.meal):
        rows = await bookings.deliveries(uow, command.day, meal)
        lines = "\n".join(texts.DELIVERY_LINE.format(
            building=b, room=r, name=n, what=what, portions=p, note=note)
            for b, r, n, what, p, note in rows)
        replies.append(_sheet(command.day, meal, lines, texts.DELIVERY_LIST,
                              texts.DELIVERY_NONE, count=len(rows)))
    return turn.reply(*replies)


def _sheet(day: dt.date, meal: str, lines: str, template: str, empty: str,
           **figures: int) -> str:
    """One meal's sheet for staff in chat, or the line saying there is nothing."""
    words = {"day": day_words(day), "meal": texts.MEAL_NAMES[meal]}
    return template.format(lines=lines, **words, **figures) if lines else empty.format(**words)


async def day_appointments(turn: Turn, uow: UnitOfWork, bookings: BookingDesk) -> Outcome:
    """预约名单 / 今天的预约 / 礼拜三的预约."""
    command = turn.staff_booking
    assert isinstance(command, DayAppointments)
    found = await uow.appointments.on(command.day)
    day = day_words(command.day)
    if not found:
        return turn.reply(texts.DAY_LIST_NONE.format(day=day))
    people = await uow.appointments.residents([a.resident_id for a in found if a.resident_id])
    lines = "\n".join(texts.DAY_LIST_LINE.format(
        start=a.start, code=a.code, item=bookings.appointment_words(a)[2],
        name=(people[a.resident_id].name if a.resident_id in people else "") or "居民",
        state=texts.STATE_NAMES.get(a.state, "")) for a in found)
    example = next((a.code for a in found if a.state == "booked"), found[0].code)
    return turn.reply(texts.DAY_LIST.format(day=day, count=len(found), lines=lines,
                                            code=example))


async def mark_appointment(turn: Turn, uow: UnitOfWork, bookings: BookingDesk) -> Outcome:
    """办结 Y0007 / 未到 Y0007, on its day or after (a wrong mark can be put right); the
    resident who did not come is told they may book again."""
    command = turn.staff_booking
    assert isinstance(command, MarkAppointment) and turn.actor is not None
    booking = await uow.appointments.by_code(command.code)
    if booking is None or booking.state == "cancelled":
        return turn.reply(texts.MARK_NOT_FOUND.format(code=command.code))
    if booking.state == command.state:
        return turn.reply(texts.MARK_NOT_BOOKED.format(code=booking.code,
                                                       state=_STATE_NAMES[booking.state]))
    if booking.day > turn.today:
        return turn.reply(texts.MARK_TOO_EARLY.format(code=booking.code,
                                                      day=day_words(booking.day)))
    booking.state, booking.updated_at = command.state, turn.now
    booking.marked_by = turn.actor.label
    _, start, item = bookings.appointment_words(booking)
    if booking.resident_id is not None:
        text = (texts.NO_SHOW if command.state == "no_show" else texts.DONE_APPOINTMENT).format(
            start=start, item=item, code=booking.code)
        uow.outbox.add(f"{booking.code}:{command.state}", f"resident:{booking.resident_id}",
                       text)
    return turn.reply(texts.MARKED.format(code=booking.code, state=_STATE_NAMES[command.state]))


async def decide_signup(turn: Turn, uow: UnitOfWork, bookings: BookingDesk) -> Outcome:
    """批准送餐 S0003 / 不批准 S0003 原因 / 送餐登记 (those waiting)."""
    command = turn.staff_booking
    assert isinstance(command, DecideSignup) and turn.actor is not None
    if command.code is None:
        waiting = await uow.deliveries.waiting()
        if not waiting:
            return turn.reply(texts.WAITING_NONE)
        return turn.reply(texts.WAITING_SIGNUPS.format(lines="\n".join(
            f"{e.code} {e.name} {e.building}{e.room} {e.age}岁 {e.reason}" for e in waiting)))
    elder = await uow.deliveries.by_code(command.code)
    if elder is None:
        return turn.reply(texts.ELDER_NOT_FOUND.format(code=command.code))
    if elder.state != "pending":
        return turn.reply(texts.ELDER_DECIDED.format(
            code=elder.code, state=texts.ELDER_STATES[elder.state]))
    elder.state = "approved" if command.approve else "declined"
    elder.decided_at, elder.decided_by = turn.now, turn.actor.label
    start = day_words(bookings.first_delivery(turn.now, elder.meal))
    if elder.resident_id is not None:
        text = (texts.SIGNUP_APPROVED.format(
            name=elder.name, code=elder.code, weekdays=weekday_words(elder.weekdays),
            meal=texts.MEAL_NAMES[elder.meal], choice=elder.choice, portions=elder.portions,
            start=start, place=f"{elder.building}{elder.room}") if command.approve
            else texts.SIGNUP_DECLINED.format(name=elder.name, code=elder.code,
                                              why=f"{command.why}。" if command.why else "",
                                              phone=bookings.knowledge.station.phone))
        uow.outbox.add(f"{elder.code}:{elder.state}", f"resident:{elder.resident_id}", text)
    if command.approve:
        return turn.reply(texts.ELDER_APPROVED.format(code=elder.code, name=elder.name,
                                                      start=start))
    return turn.reply(texts.ELDER_DECLINED.format(code=elder.code, name=elder.name))


async def close_point(turn: Turn, uow: UnitOfWork, bookings: BookingDesk) -> Outcome:
    """停餐 梅园助餐点 明天 下大雪: the point is closed those days (new orders refused), its
    orders are cancelled and each resident who ordered is told (nothing is owed).
    取消停餐 梅园助餐点 明天: it opens again."""
    command = turn.staff_booking
    assert isinstance(command, ClosePoint) and turn.actor is not None
    point = bookings.point_named(command.where)
    if point is None:
        return turn.reply(texts.UNKNOWN_POINT.format(
            points="、".join(p.name for p in bookings.canteen.points)))
    days = command.days.dates or (turn.today,)
    when = "、".join(day_words(d) for d in days)
    if command.reopen:
        lifted = sum([await uow.stops.lift(day, point.id, command.meal) for day in days])
        uow.mark_changed()
        text = texts.REOPENED if lifted else texts.REOPEN_NONE
        return turn.reply(text.format(day=when, point=point.name))
    if any(day < turn.today for day in days):
        return turn.reply(texts.CLOSE_PAST.format(day=day_words(min(days))))
    cancelled = 0
    for day in days:
        uow.stops.add(MealStop(day=day, meal=command.meal or "", point=point.id, dish="",
                               why=command.why[:64], by=turn.actor.label, created_at=turn.now))
    uow.mark_changed()
    stops = await uow.stops.between(min(days), max(days))
    for day in days:
        for order in await uow.orders.on(day, command.meal, point.id):
            others = [p.name for p in bookings.orderable_points(day, order.meal, stops)
                      if p.id != point.id]
            order.state, order.updated_at = "cancelled", turn.now
            order.note = f"closed:{command.why}"[:128]
            cancelled += 1
            if order.resident_id is not None:
                uow.outbox.add(f"{order.code}:closed", f"resident:{order.resident_id}",
                               texts.POINT_CLOSED_NOTICE.format(
                                   day=day_words(day), meal=texts.MEAL_NAMES[order.meal],
                                   point=point.name,
                                   why=f"因{command.why}" if command.why else "",
                                   code=order.code,
                                   alternatives=texts.ALTERNATIVES.format(
                                       points="、".join(others)) if others else ""))
    meal = texts.MEAL_NAMES.get(command.meal or "", "")
    return turn.reply(texts.POINT_CLOSED_DONE.format(day=when, meal=meal, point=point.name,
                                                     count=cancelled))


async def sold_out(turn: Turn, uow: UnitOfWork, bookings: BookingDesk) -> Outcome:
    """售罄 红烧肉 / 售罄 A套餐: the next day it is on the menu (today when it is), new orders
    holding it are refused, and residents whose order holds it are told."""
    command = turn.staff_booking
    assert isinstance(command, SoldOut) and turn.actor is not None
    day = command.day or _next_day_serving(bookings, command.dish, turn.today)
    menu = bookings.canteen.menu.get(day)
    served = (*menu.dishes("lunch"), *menu.dishes("dinner"), *menu.breakfast) if menu else ()
    dish = command.dish if command.dish.startswith("套餐") else next(
        (d for d in served if d in command.dish or command.dish in d), "")
    if not dish:
        return turn.reply(texts.SOLD_OUT_UNKNOWN.format(dish=command.dish, day=day_words(day)))
    uow.stops.add(MealStop(day=day, meal=command.meal or "", point="", dish=dish[:32],
                           why="售罄", by=turn.actor.label, created_at=turn.now))
    uow.mark_changed()
    told = 0
    for order in await uow.orders.on(day, command.meal):
        if dish.startswith("套餐"):
            holds = order.choice in ("A", "B") and f"套餐{order.choice}" == dish
        elif order.choice == "dishes":
            holds = dish in order.dishes.split("、")
        else:
            holds = menu is not None and dish in (
                (menu.set_b if order.choice == "B" else menu.set_a) if order.meal == "lunch"
                else menu.dishes(order.meal))
        if holds and order.resident_id is not None:
            uow.outbox.add(f"{order.code}:sold_out:{dish}", f"resident:{order.resident_id}",
                           texts.SOLD_OUT_NOTICE.format(day=day_words(day),
                                                        meal=texts.MEAL_NAMES[order.meal],
                                                        dish=dish, code=order.code))
            told += 1
    return turn.reply(texts.SOLD_OUT_DONE_DAY.format(
        day=day_words(day), meal=texts.MEAL_NAMES.get(command.meal or "", ""), dish=dish)
        + texts.SOLD_OUT_DONE.format(count=told, dish=dish))


def _next_day_serving(bookings: BookingDesk, dish: str, today: dt.date) -> dt.date:
    """Today, or the next day whose menu has the dish (a set is served every open day)."""
    if dish.startswith("套餐"):
        return today
    for offset in range(bookings.rules.days_ahead + 1):
        day = today + dt.timedelta(days=offset)
        menu = bookings.canteen.menu.get(day)
        if menu is not None and any(dish in d or d in dish for d in (
                *menu.dishes("lunch"), *menu.dishes("dinner"), *menu.breakfast)):
            return day
    return today


async def not_staff(turn: Turn, uow: UnitOfWork) -> Outcome:
    """办结 Y0002 from a resident or a leader: only station staff mark appointments and approve
    delivery."""
    return turn.reply(texts.STAFF_ONLY)
