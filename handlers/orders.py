"""Meal orders from chat: for the resident, for someone they name, or delivered to an elder they
signed up; seen, changed and cancelled until each point's cut-off. A complete order is placed at
once, as understood, and says how to undo it; one put as a question is confirmed first."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from bot.bookings import texts
from bot.bookings.desk import DELIVERY, BookingDesk, OrderSpec, day_words, standing_meals
from bot.conversation.state import OrderDraft
from bot.db.models import DeliveryElder, MealOrder, MealStop, Resident
from bot.db.unit_of_work import UnitOfWork
from bot.messages import Reply
from bot.tickets.desk import TicketDesk
from bot.tickets.routing import TicketRouter
from bot.turn import Outcome, Turn
from handlers.appointments import cancel_codes, cancel_on_days
from handlers.booking_turns import ask, done, expires, resident_of
from handlers.context import DialogueSettings
from handlers.delivery import pause_days
from intents.bookings import (
    CancelMeal,
    MealRequest,
    booking_code,
    portions_of,
    read_days,
    read_dishes,
)
from intents.dates import parse_meal

YES = re.compile(r"^(?:1|确认|对|是|是的|好|好的|可以|行|没错|对的|嗯|订|要|订吧|要的|好额|好呃)\W"
                 r"*$")
NO = re.compile(r"^(?:2|不|不要|不订|不用|算了|不对|错了|不是|勿要|覅)\W*$")
GIVE_UP = re.compile(r"算了|不订了|不要订了|不用订了|不订|过两天再说|以后再说|先不订|勿订了|不要了")
_LETTER = re.compile(r"(?<![a-z])([ab])(?![a-z])")


# -- asking how ---------------------------------------------------------------------------------
async def how_to_order(turn: Turn, uow: UnitOfWork, bookings: BookingDesk) -> Outcome:
    """怎么订饭 / 订餐几点截止: how, and each point's cut-offs."""
    lines = []
    for rules in bookings.rules.points:
        times = "，".join(f"{texts.MEAL_NAMES[m]}{c.words}" for m, c in rules.cutoffs.items())
        lines.append(f"{bookings.point_name(rules.point)}：{times}")
    cutoff = bookings.rules.delivery_cutoff
    if cutoff is not None:
        lines.append(f"送餐上门：{cutoff.words}")
    return turn.reply(texts.HOW_TO_ORDER, texts.CUTOFFS.format(lines="\n".join(lines)))


# -- ordering -----------------------------------------------------------------------------------
async def order_meal(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, desk: TicketDesk,
                     router: TicketRouter, settings: DialogueSettings) -> Outcome:
    """明天中午订两份A套餐 / 帮我妈订礼拜一到礼拜五的饭送上门 / 明天的改成B套餐."""
    request = turn.booking
    assert isinstance(request, MealRequest)
    phone = bookings.knowledge.station.phone
    if not bookings.rules.points:
        return turn.reply(texts.NO_ORDERS_HERE.format(phone=phone))
    resident = await resident_of(desk, turn, uow)
    if request.days.unreadable:
        return turn.reply(texts.DAY_UNREADABLE)
    refusal = _days_refusal(bookings, request.days.dates, turn.today)
    if refusal:
        return turn.reply(refusal)
    if request.change:
        return await _change(turn, uow, bookings, resident, request, settings)
    if request.portions is not None and request.portions > bookings.rules.max_portions:
        return turn.reply(texts.PORTIONS_TOO_MANY.format(most=bookings.rules.max_portions,
                                                         phone=phone))
    draft = OrderDraft("day", expires(turn, settings), request.days.dates, request.meal,
                       request.choice, (), 1 if request.portions is None else request.portions,
                       None, request.diner)
    by_room = turn.actor is not None and bool(turn.place.building_name and turn.place.room)
    if request.delivery or request.diner or by_room:
        elder = await _elder_for(turn, uow, router, resident, request.diner,
                                 strict=not request.delivery)
        if request.delivery:
            if elder is None and turn.actor is not None and not turn.actor.is_staff \
                    and (request.diner or by_room):
                return turn.reply(texts.NOT_YOUR_ELDER.format(
                    name=request.diner or f"{turn.place.building_name}{turn.place.room}"))
            if elder is None:
                who = texts.NOT_SIGNED_FOR.format(name=request.diner) if request.diner else ""
                return turn.reply(who + texts.DELIVERY_NEEDS_SIGNUP.format(
                    eligible=bookings.canteen.delivery.eligible))
            if elder.state != "approved":
                return turn.reply(texts.DELIVERY_PENDING.format(name=elder.name,
                                                                code=elder.code))
            draft = replace(draft, point=DELIVERY, choice=draft.choice or elder.choice,
                            meal=draft.meal or (elder.meal if elder.meal != "both" else None))
        if elder is not None and elder.state == "approved":
            draft = replace(draft, elder=elder.id, diner=elder.name)
    else:       # an elder signed up for delivery, ordering for themselves: the subsidy counts
        own = [e for e in await uow.deliveries.of_resident(resident.id)
               if e.state == "approved" and not e.kin and e.name == resident.name]
        if own:
            draft = replace(draft, elder=own[0].id)
    if draft.point is None:
        unknown = bookings.unknown_point(turn.standard)
        if unknown:
            return turn.reply(texts.UNKNOWN_POINT_RESIDENT.format(
                name=unknown, points="、".join(p.name for p in bookings.canteen.points)))
        named = bookings.point_named(turn.standard)
        draft = replace(draft, point=named.id if named else None)
    dishes = _dishes_named(turn.standard, bookings, draft)
    elsewhere = [d for d in read_dishes(turn.standard, bookings.canteen.dishes())
                 if not any(d in x or x in d for x in dishes)]
    if dishes and not elsewhere:
        draft = replace(draft, choice="dishes", dishes=dishes, meal=draft.meal or "lunch")
    elif draft.days and (elsewhere or read_dishes(turn.standard, bookings.canteen.dishes())):
        menu = bookings.canteen.menu.get(draft.days[0])
        if menu is not None:     # dishes of another day's menu
            said = elsewhere or read_dishes(turn.standard, bookings.canteen.dishes())
            return turn.reply(texts.DISHES_NOT_THAT_DAY.format(
                named="、".join(said), day=day_words(draft.days[0]),
                dishes="、".join(menu.dishes(draft.meal or "lunch"))))
    if request.mix:              # 两份A一份B: one order per set
        return await _order_mix(turn, uow, bookings, resident, draft, request.mix)
    if request.asks:             # 明天能订两份A套餐吗: said as a question, confirmed first
        draft = replace(draft, awaiting="confirm")
    return await _advance(turn, uow, bookings, resident, draft)


def _days_refusal(bookings: BookingDesk, days: tuple[dt.date, ...], today: dt.date) -> str:
    """A day in the past or beyond the days orders are taken for ("" when none): asked before
    anything else about the order."""
    return next((r for r in (bookings.day_refusal(day, today) for day in days) if r), "")


async def continue_order(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, desk: TicketDesk,
                         settings: DialogueSettings) -> Outcome:
    """An answer to what the order still needed: the day, the place, A or B (and how many),
    or yes to an order said as a question."""
    draft = turn.state.draft
    assert isinstance(draft, OrderDraft)
    resident = await resident_of(desk, turn, uow)
    draft = replace(draft, expires_at=expires(turn, settings))
    text = turn.standard
    if GIVE_UP.search(text) or (draft.awaiting == "confirm" and NO.match(text)):
        return done(turn, texts.NOT_ORDERED)
    if draft.awaiting == "confirm" and YES.match(text):
        return await _place(turn, uow, bookings, resident, draft)
    days = read_days(text, turn.today, ())
    if days.unreadable and draft.awaiting == "day":
        return turn.reply(texts.DAY_UNREADABLE)
    if days.dates and not draft.replaces:
        refusal = _days_refusal(bookings, days.dates, turn.today)
        if refusal:
            return turn.reply(refusal)
        draft = replace(draft, days=days.dates)
    portions = portions_of(text)
    if portions is not None:
        draft = replace(draft, portions=portions)
    letter = _LETTER.search(text)
    if letter:
        draft = replace(draft, choice=letter.group(1).upper(), dishes=())
    if draft.awaiting == "point" and turn.picks is not None and draft.days:
        stops = await _stops(uow, draft.days)
        points = bookings.orderable_points(draft.days[0], draft.meal or "lunch", stops)
        if 1 <= turn.picks <= len(points):
            draft = replace(draft, point=points[turn.picks - 1].id)
    named = bookings.point_named(text)
    if named is not None and draft.point != DELIVERY:
        draft = replace(draft, point=named.id)
    dishes = _dishes_named(text, bookings, draft)
    if dishes:
        draft = replace(draft, choice="dishes", dishes=dishes)
    meal = parse_meal(text)
    if meal is not None and not (meal == "lunch" and "套餐" in text):
        draft = replace(draft, meal=meal)
    if draft.awaiting == "confirm":
        return await _advance(turn, uow, bookings, resident, draft)
    return await _advance(turn, uow, bookings, resident, replace(draft, awaiting="day"))


def _dishes_named(text: str, bookings: BookingDesk, draft: OrderDraft) -> tuple[str, ...]:
    if not draft.days:
        return ()
    menu = bookings.canteen.menu.get(draft.days[0])
    if menu is None:
        return ()
    return read_dishes(text, menu.dishes(draft.meal or "lunch"))


async def _elder_for(turn: Turn, uow: UnitOfWork, router: TicketRouter, resident: Resident,
                     diner: str, strict: bool = False) -> DeliveryElder | None:
    """The elder an order is for: one this resident signed up (the one named, by name or by
    how the family calls them; for a delivery, unless `strict`, the only one). A volunteer or
    leader may order by name for an elder signed up in a building they look after, staff for
    any (帮9号楼王阿婆订明天中午一份A套餐送上门)."""
    elders = await uow.deliveries.of_resident(resident.id)
    building, room = turn.place.building_name, turn.place.room
    if turn.actor is not None and (diner or (building and room)):
        theirs = None if turn.actor.is_staff else set(router.buildings_of(turn.actor.name))
        others = [e for e in await uow.deliveries.approved()
                  if (not diner or diner in e.name or e.name in diner or bool(room))
                  and (building is None or e.building == building)
                  and (not room or e.room == room)
                  and (theirs is None or e.building in theirs)]
        if len(others) == 1 and not any(e.id == others[0].id for e in elders):
            return others[0]
    named = [e for e in elders if diner and (diner in e.name or e.name in diner
                                             or (e.kin and e.kin == diner))]
    if named or strict:
        return named[0] if named else None
    return elders[0] if len(elders) == 1 else None


async def _stops(uow: UnitOfWork, days: tuple[dt.date, ...]) -> list[MealStop]:
    return await uow.stops.between(min(days), max(days)) if days else []


async def _advance(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, resident: Resident,
                   draft: OrderDraft) -> Outcome:
    """Ask what is missing; place the order when nothing is (or confirm it, if asked)."""
    if not draft.days:
        return ask(turn, replace(draft, awaiting="day"), texts.ASK_DAY)
    meal = draft.meal or "lunch"
    draft = replace(draft, meal=meal)
    day = draft.days[0]
    stops = await _stops(uow, draft.days)
    if draft.point is None:
        points = bookings.orderable_points(day, meal, stops)
        home = bookings.home_point(resident.building, meal, day)
        if home is not None and home in points:
            draft = replace(draft, point=home.id)
        elif len(points) == 1:
            draft = replace(draft, point=points[0].id)
        elif not points:
            return done(turn, texts.CLOSED_DAY.format(day=day_words(day), point="食堂和助餐点",
                                                      alternatives=""))
        else:
            lines = "\n".join(f"{n}. {p.name}" for n, p in enumerate(points, start=1))
            return ask(turn, replace(draft, awaiting="point"),
                       texts.ASK_POINT.format(points=lines))
    if draft.choice is None:
        if meal != "lunch":
            draft = replace(draft, choice="A")
        else:
            menu = bookings.canteen.menu.get(day)
            if menu is None:
                return done(turn, texts.NO_MENU.format(day=day_words(day)))
            rules = bookings.rules.orders_at(draft.point or "")
            dishes = texts.ASK_WHAT_DISHES.format(price=bookings.canteen.prices.dish) \
                if rules is not None and rules.choose_dishes else ""
            shown = f"A：{'、'.join(menu.set_a)}\nB：{'、'.join(menu.set_b)}"
            return ask(turn, replace(draft, awaiting="what"), texts.ASK_WHAT.format(
                day=day_words(day), meal=texts.MEAL_NAMES[meal], menu=shown, dishes=dishes))
    if draft.choice == "dishes" and draft.point != DELIVERY:
        rules = bookings.rules.orders_at(draft.point or "")
        if rules is None or not rules.choose_dishes:
            return ask(turn, replace(draft, awaiting="what", choice=None, dishes=()),
                       texts.DISHES_NOT_HERE.format(point=bookings.point_name(draft.point
                                                                               or "")))
    spec = await _spec(uow, draft)
    skipped: list[dt.date] = []
    if len(spec.days) > 1:     # 礼拜一到礼拜五: the days that can still be ordered
        usable = [d for d in spec.days
                  if bookings.refusal(replace(spec, days=(d,)), turn.now, stops) is None]
        if usable:
            skipped = [d for d in spec.days if d not in usable]
            draft, spec = replace(draft, days=tuple(usable)), replace(spec, days=tuple(usable))
    refusal = bookings.refusal(spec, turn.now, stops)
    if refusal is not None:
        if texts.SOLD_OUT_MARK in refusal:
            return ask(turn, replace(draft, awaiting="what", choice=None, dishes=()), refusal)
        return done(turn, refusal)
    note = texts.DAYS_SKIPPED.format(days="、".join(day_words(d) for d in skipped)) \
        if skipped else ""
    if draft.awaiting == "confirm":
        owed, _ = bookings.owed(spec)
        summary = bookings.days_summary(spec, await _delivery_place(uow, draft))
        return ask(turn, draft, texts.CONFIRM_ORDER.format(summary=summary,
                                                            owed=owed * len(spec.days)))
    return await _place(turn, uow, bookings, resident, draft, note)


async def _spec(uow: UnitOfWork, draft: OrderDraft) -> OrderSpec:
    elder = await uow.deliveries.get(draft.elder) if draft.elder is not None else None
    return OrderSpec(draft.days, draft.meal or "lunch", draft.choice or "A", draft.dishes,
                     draft.portions, draft.point or "", draft.diner, elder)


async def _delivery_place(uow: UnitOfWork, draft: OrderDraft) -> str:
    if draft.point != DELIVERY or draft.elder is None:
        return ""
    elder = await uow.deliveries.get(draft.elder)
    return f"{elder.building}{elder.room}" if elder is not None else ""


async def _place(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, resident: Resident,
                 draft: OrderDraft, note: str = "") -> Outcome:
    """Write the order (replacing what it changes), checked once more against the cut-off."""
    spec = await _spec(uow, draft)
    stops = await _stops(uow, draft.days)
    refusal = bookings.refusal(spec, turn.now, stops)
    if refusal is not None:
        return done(turn, refusal)
    old = [o for o in [await uow.orders.by_code(f"F{i:04d}") for i in draft.replaces] if o]
    for order in old:
        if order.state != "active" or not bookings.open_for_change(order, turn.now):
            return done(turn, _too_late(bookings, order))
    before = [o for o in await uow.orders.of_resident(resident.id, min(spec.days))
              if o.day in spec.days and o.meal == spec.meal and o not in old
              and o.diner == spec.diner]
    placed = await bookings.place(uow, resident, spec, turn.now, old)
    return done(turn, _placed_text(bookings, placed, spec, old, before,
                                   await _delivery_place(uow, draft)) + note,
                booked=tuple(o.code for o in placed))


def _placed_text(bookings: BookingDesk, placed: list[MealOrder], spec: OrderSpec,
                 old: list[MealOrder], before: list[MealOrder], place: str) -> str:
    total = sum(o.owed for o in placed)
    first = placed[0]
    deadline = texts.CHANGE_UNTIL.format(
        cutoff=bookings.cutoff_words(first.point, first.meal, first.day),
        when=f"{first.day.month}月{first.day.day}日",
        change="改成B套餐" if first.meal == "lunch" else "改成2份")
    codes = "、".join(o.code for o in placed)
    summary = "\n".join(bookings.summary(o, place=place) for o in placed)
    if old:
        gone = [o.code for o in old if o.state == "cancelled"]
        return texts.ORDER_CHANGED.format(codes=codes, summary=summary, owed=total,
                                          deadline=deadline) + (
            texts.ORDER_REPLACED.format(old="、".join(gone)) if gone else "")
    _, discount = bookings.owed(spec)
    hint = texts.ELDER_DISCOUNT.format(amount=discount) if discount else texts.SUBSIDY_HINT
    text = texts.ORDER_DONE.format(codes=codes, summary=summary, owed=total,
                                   payment_hint=hint, deadline=deadline)
    if before:
        text += texts.ALSO_ORDERED.format(codes="、".join(o.code for o in before))
    if spec.elder is not None and spec.point == DELIVERY and any(
            str(d.weekday()) in spec.elder.weekdays and spec.meal in standing_meals(spec.elder)
            for d in spec.days):
        text += texts.ON_TOP_OF_STANDING.format(name=spec.elder.name)
    return text


async def _order_mix(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, resident: Resident,
                     draft: OrderDraft, mix: tuple[tuple[str, int], ...]) -> Outcome:
    """两份A套餐一份B套餐: each set is its own order; all or none."""
    if not draft.days:
        return ask(turn, replace(draft, awaiting="day"), texts.ASK_DAY)
    meal = draft.meal or "lunch"
    if draft.point is None:
        home = bookings.home_point(resident.building, meal, draft.days[0])
        points = bookings.orderable_points(draft.days[0], meal, await _stops(uow, draft.days))
        chosen = home if home is not None else (points[0] if len(points) == 1 else None)
        if chosen is None:
            return turn.reply(texts.MIX_NEEDS_POINT)
        draft = replace(draft, point=chosen.id)
    stops = await _stops(uow, draft.days)
    specs = []
    for letter, portions in mix:
        spec = await _spec(uow, replace(draft, meal=meal, choice=letter, dishes=(),
                                        portions=portions))
        refusal = bookings.refusal(spec, turn.now, stops)
        if refusal is not None:
            return done(turn, refusal)
        specs.append(spec)
    placed: list[MealOrder] = []
    for spec in specs:
        placed += await bookings.place(uow, resident, spec, turn.now)
    text = _placed_text(bookings, placed, specs[0], [], [], await _delivery_place(uow, draft))
    return done(turn, text, booked=tuple(o.code for o in placed))


async def _change(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, resident: Resident,
                  request: MealRequest, settings: DialogueSettings) -> Outcome:
    """明天的改成B套餐 / 改成3份 / F0012 改成B: the orders it is about are replaced by new ones
    (the same days, point and person), until the cut-off."""
    mine = await uow.orders.of_resident(resident.id, turn.today)
    code = booking_code(turn.standard)
    recent = turn.state.recent.codes if turn.state.recent else ()
    moved_to: tuple[dt.date, ...] = ()
    if code is not None and code[0] == "F":
        chosen = [o for o in mine if o.code == code[1]]
    elif request.days.dates:
        chosen = [o for o in mine if o.day in request.days.dates
                  and (request.meal is None or o.meal == request.meal)]
        if not chosen and any(o.code in recent for o in mine):
            chosen = [o for o in mine if o.code in recent]    # 改成礼拜三的: moved
            moved_to = request.days.dates
    elif any(o.code in recent for o in mine):
        chosen = [o for o in mine if o.code in recent]
    else:
        chosen = mine
    if not chosen:
        return turn.reply(texts.CHANGE_NONE)
    groups = {(o.point, o.meal, o.diner, o.choice, o.dishes) for o in chosen}
    if len(groups) > 1 or len({o.day for o in chosen}) < len(chosen):
        lines = "\n".join(texts.MY_ORDER_LINE.format(code=o.code, summary=bookings.summary(o),
                                                     owed=o.owed) for o in chosen)
        return turn.reply(texts.CHANGE_WHICH.format(code=chosen[0].code, lines=lines))
    for order in chosen:
        if not bookings.open_for_change(order, turn.now):
            return turn.reply(_too_late(bookings, order))
    first = chosen[0]
    dishes = () if request.choice else tuple(d for d in first.dishes.split("、") if d)
    portions = first.portions + request.more if request.more else (
        first.portions if request.portions is None else request.portions)
    named = bookings.point_named(turn.standard)
    point = named.id if named is not None and first.point != DELIVERY else first.point
    if moved_to:
        refusal = _days_refusal(bookings, moved_to, turn.today)
        if refusal:
            return turn.reply(refusal)
    draft = OrderDraft("what", expires(turn, settings), moved_to or tuple(o.day for o in chosen),
                       request.meal or first.meal if moved_to else first.meal,
                       request.choice or first.choice, dishes, portions, point, first.diner,
                       first.elder_id, tuple(o.id for o in chosen))
    new_dishes = _dishes_named(turn.standard, bookings, draft)
    if new_dishes:
        draft = replace(draft, choice="dishes", dishes=new_dishes)
    return await _advance(turn, uow, bookings, resident, draft)


async def adjust_recent(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, desk: TicketDesk,
                        settings: DialogueSettings) -> Outcome:
    """"两份" or "B" (哦不对，要B的) right after an order: the order just placed changes."""
    request = MealRequest(read_days("", turn.today), None, _letter(turn.standard),
                          portions_of(turn.standard), change=True)
    resident = await resident_of(desk, turn, uow)
    return await _change(turn, uow, bookings, resident, request, settings)


def _letter(text: str) -> str | None:
    found = _LETTER.search(text)
    return found.group(1).upper() if found else None


def _too_late(bookings: BookingDesk, order: MealOrder) -> str:
    return texts.PAST_CUTOFF_CHANGE.format(
        code=order.code, day=day_words(order.day), meal=texts.MEAL_NAMES.get(order.meal, ""),
        cutoff=bookings.cutoff_words(order.point, order.meal, order.day),
        phone=bookings.knowledge.station.phone)


# -- seeing and cancelling -----------------------------------------------------------------------
async def my_orders(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                    desk: TicketDesk) -> Outcome:
    """我的订餐 / 我妈的订餐: the resident's orders and those placed for the elders they signed
    up, deliveries with the elder's address."""
    resident = await resident_of(desk, turn, uow)
    elders = {e.id: e for e in await uow.deliveries.of_resident(resident.id)}
    mine = await uow.orders.of_resident(resident.id, turn.today, tuple(elders))
    if not mine:
        return turn.reply(texts.MY_ORDERS_NONE)
    lines = "\n".join(texts.MY_ORDER_LINE.format(
        code=o.code, owed=o.owed, summary=bookings.summary(o, place=_address(elders, o)))
        for o in mine)
    return Outcome(turn.privately([Reply(texts.MY_ORDERS.format(lines=lines))]), turn.state)


def _address(elders: dict[int, DeliveryElder], order: MealOrder) -> str:
    elder = elders.get(order.elder_id or 0)
    return f"{elder.building}{elder.room}" if elder is not None else ""


async def cancel_meal(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                      desk: TicketDesk) -> Outcome:
    """取消明天的饭 / 退掉 F0012 (until the cut-off); 取消礼拜四的 (an order or an
    appointment); a day of an elder's standing delivery stops it that day."""
    request = turn.booking
    assert isinstance(request, CancelMeal)
    resident = await resident_of(desk, turn, uow)
    mine = await uow.orders.of_resident(resident.id, turn.today)
    if request.code is not None:
        order = await uow.orders.by_code(request.code)
        if order is None or order.state != "active":
            return turn.reply(texts.CANCEL_NONE)
        if order.resident_id != resident.id:
            return turn.reply(texts.NOT_YOURS)
        chosen = [order]
    else:
        chosen = [o for o in mine if (not request.days.dates or o.day in request.days.dates)
                  and (request.meal is None or o.meal == request.meal)
                  and (request.choice is None or o.choice == request.choice)]
        if not chosen:
            if request.anything and request.days.dates:
                cancelled = await cancel_on_days(bookings, turn, uow, resident,
                                                 request.days.dates)
                if cancelled is not None:
                    return cancelled
            standing = [e for e in await uow.deliveries.of_resident(resident.id)
                        if e.state == "approved"]
            if request.days.dates and standing:   # 取消明天的饭: that day is not delivered
                return await pause_days(bookings, turn, uow, standing[0], request.days.dates)
            return turn.reply(texts.CANCEL_NONE_ANY if request.anything else texts.CANCEL_NONE)
        if not request.days.dates and len(chosen) > 1:
            lines = "\n".join(texts.MY_ORDER_LINE.format(code=o.code,
                                                         summary=bookings.summary(o),
                                                         owed=o.owed) for o in chosen)
            return turn.reply(texts.CANCEL_WHICH.format(code=chosen[0].code, lines=lines))
    outcome = _cancel(turn, bookings, chosen)
    signed = {e.id: e for e in await uow.deliveries.of_resident(resident.id)
              if e.state == "approved"}
    stopped = [(signed[o.elder_id], o.day) for o in chosen if o.point == DELIVERY
               and o.elder_id is not None and o.elder_id in signed and o.state == "cancelled"
               and str(o.day.weekday()) in signed[o.elder_id].weekdays
               and o.meal in standing_meals(signed[o.elder_id])]
    for elder, day in stopped:                 # 取消礼拜三的饭: the standing one too
        paused = await pause_days(bookings, turn, uow, elder, (day,))
        outcome = Outcome(outcome.replies + paused.replies, outcome.state)
    return outcome


def _cancel(turn: Turn, bookings: BookingDesk, chosen: list[MealOrder]) -> Outcome:
    late = [o for o in chosen if not bookings.open_for_change(o, turn.now)]
    if late:
        return turn.reply(_too_late(bookings, late[0]))
    for order in chosen:
        order.state, order.updated_at, order.note = "cancelled", turn.now, "resident"
    return done(turn, texts.CANCELLED.format(
        codes="、".join(o.code for o in chosen),
        summary="；".join(bookings.summary(o) for o in chosen)), booked=())


async def undo_recent(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                      desk: TicketDesk) -> Outcome:
    """"取消" / "订错了" / "刚才那个不要了" right after booking: what was just booked is
    cancelled (orders until their cut-off; an appointment)."""
    assert turn.state.recent is not None
    resident = await resident_of(desk, turn, uow)
    codes = turn.state.recent.codes
    orders = [o for o in [await uow.orders.by_code(c) for c in codes if c.startswith("F")]
              if o is not None and o.state == "active" and o.resident_id == resident.id]
    if orders:
        return _cancel(turn, bookings, orders)
    outcome = await cancel_codes(bookings, turn, uow, resident,
                                 [c for c in codes if c.startswith("Y")])
    return outcome if outcome is not None else done(turn, texts.CANCEL_NONE, booked=())
