"""Residents' bookings: meal orders (for themselves or an elder they signed up), delivery for
elders and its pauses, counter appointments. Every question asked is a typed draft in the
conversation state; every change is written in the message's unit of work."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from bot.bookings import texts
from bot.bookings.desk import (
    DELIVERY,
    BookingDesk,
    OrderSpec,
    age_of,
    day_words,
    reason_of,
    weekday_words,
)
from bot.conversation.state import AppointmentDraft, OrderDraft, SignupDraft
from bot.db.models import Appointment, DeliveryElder, MealOrder, Resident
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import AffairsItem
from bot.messages import Reply
from bot.tickets.desk import TicketDesk
from bot.tickets.routing import TicketRouter
from bot.turn import Outcome, Turn
from handlers.context import DialogueSettings
from intents.bookings import (
    AppointmentRequest,
    CancelAppointment,
    CancelMeal,
    DeliveryPause,
    DeliverySignup,
    MealRequest,
    half_day,
    number,
    read_days,
    read_dishes,
    time_of_day,
)
from intents.dates import parse_meal, read_day
from intents.engine import AFFAIRS

_YES = re.compile(r"^(?:1|确认|对|是|是的|好|好的|可以|行|没错|对的|嗯|订|要)\W*$")
_NO = re.compile(r"^(?:2|不|不要|不订|不用|算了|不对|错了|不是)\W*$")
_WEEKDAYS_ONLY = re.compile(r"(?:只要|就|只)?(?:礼拜|星期|周)([一二三四五六日天])(?:到|至|-)(?:礼"
                            r"拜|星期|周)?([一二三四五六日天])")
_DAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def _expires(turn: Turn, settings: DialogueSettings) -> dt.datetime:
    return turn.now + dt.timedelta(minutes=settings.session_minutes)


def _ask(turn: Turn, draft: OrderDraft | SignupDraft | AppointmentDraft, text: str) -> Outcome:
    return Outcome([Reply(text)], turn.state.with_draft(draft).with_choices(None))


def _done(turn: Turn, *lines: str) -> Outcome:
    return Outcome(turn.privately([Reply(line) for line in lines]),
                   turn.state.with_draft(None).with_choices(None))


async def _resident(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Resident:
    return await desk.sender(uow, turn.message.platform, turn.message.user_id, turn.resident,
                             turn.phone)


# -- meal orders --------------------------------------------------------------------------------
async def how_to_order(turn: Turn, uow: UnitOfWork) -> Outcome:
    """怎么订饭."""
    return turn.reply(texts.HOW_TO_ORDER)


async def order_meal(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, desk: TicketDesk,
                     settings: DialogueSettings) -> Outcome:
    """明天中午订两份A套餐 / 帮我妈订礼拜一到礼拜五的饭送上门 / 明天的改成B套餐."""
    request = turn.booking
    assert isinstance(request, MealRequest)
    if not bookings.rules.points:
        return turn.reply(texts.NO_ORDERS_HERE.format(phone=bookings.knowledge.station.phone))
    resident = await _resident(turn, uow, desk)
    if request.days.unreadable:
        return turn.reply(texts.DAY_UNREADABLE)
    replaces: tuple[int, ...] = ()
    base = OrderDraft("day", _expires(turn, settings), request.days.dates, request.meal,
                      request.choice, (), request.portions if request.portions is not None
                      else 1, None, request.diner)
    if request.change:
        mine = await uow.orders.of_resident(resident.id, turn.today)
        chosen = [o for o in mine if (not request.days.dates or o.day in request.days.dates)
                  and (request.meal is None or o.meal == request.meal)]
        if not chosen:
            return turn.reply(texts.CHANGE_NONE)
        first = chosen[0]
        same = [o for o in chosen if o.point == first.point and o.meal == first.meal]
        for order in same:
            if not bookings.open_for_change(order, turn.now):
                return turn.reply(_too_late(bookings, order, turn))
        replaces = tuple(o.id for o in same)
        base = OrderDraft("what", base.expires_at, tuple(o.day for o in same), first.meal,
                          request.choice or first.choice,
                          () if request.choice else tuple(d for d in first.dishes.split("、")
                                                          if d),
                          request.portions if request.portions is not None else first.portions,
                          first.point, first.diner, first.elder_id, replaces)
    if request.delivery or (request.diner and not request.change):
        found = await _elder_for(turn, uow, resident, request.diner,
                                 strict=not request.delivery)
        if request.delivery or found is not None:
            if found is None:
                return turn.reply(texts.DELIVERY_NEEDS_SIGNUP.format(
                    eligible=bookings.canteen.delivery.eligible))
            if found.state != "approved":
                return turn.reply(texts.DELIVERY_PENDING.format(name=found.name,
                                                                code=found.code))
            base = replace(base, point=DELIVERY, elder=found.id, diner=found.name,
                           choice=base.choice or found.choice, meal=base.meal or found.meal)
    if base.point is None:
        named = bookings.point_named(turn.clean)
        base = replace(base, point=named.id if named else None)
    dishes = _dishes_named(turn, bookings, base)
    if dishes:
        base = replace(base, choice="dishes", dishes=dishes, meal=base.meal or "lunch")
    elif base.days and read_dishes(turn.clean, bookings.canteen.dishes()):
        menu = bookings.canteen.menu.get(base.days[0])
        if menu is not None:     # dishes of another day's menu
            return turn.reply(texts.DISHES_UNKNOWN.format(
                day=day_words(base.days[0]), dishes="、".join(menu.dishes(base.meal or "lunch"))))
    return await _advance_order(turn, uow, bookings, resident, base)


async def continue_order(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, desk: TicketDesk,
                         settings: DialogueSettings) -> Outcome:
    """An answer to what the order still needed (the day, the place, A or B)."""
    draft = turn.state.draft
    assert isinstance(draft, OrderDraft)
    resident = await _resident(turn, uow, desk)
    draft = replace(draft, expires_at=_expires(turn, settings))
    text = turn.clean
    days = read_days(text, turn.today)
    if days.unreadable and draft.awaiting == "day":
        return turn.reply(texts.DAY_UNREADABLE)
    if days.dates and not draft.replaces:
        draft = replace(draft, days=days.dates)
    portions = re.search(r"(\d+|[一两二三四五六七八九十])\s*份", text)
    if portions:
        draft = replace(draft, portions=number(portions.group(1)) or 0)
    choice = re.search(r"(?<![a-z])([ab])(?![a-z])", text)
    if choice:
        draft = replace(draft, choice=choice.group(1).upper(), dishes=())
    if draft.awaiting == "point" and turn.picks is not None and draft.days:
        points = bookings.orderable_points(draft.days[0], draft.meal or "lunch")
        if 1 <= turn.picks <= len(points):
            draft = replace(draft, point=points[turn.picks - 1].id)
    named = bookings.point_named(text)
    if named is not None and draft.point != DELIVERY:
        draft = replace(draft, point=named.id)
    dishes = _dishes_named(turn, bookings, draft)
    if dishes:
        draft = replace(draft, choice="dishes", dishes=dishes)
    meal = parse_meal(text)
    if meal is not None and not (meal == "lunch" and "套餐" in text):
        draft = replace(draft, meal=meal)
    return await _advance_order(turn, uow, bookings, resident, replace(draft, awaiting="day"))


def _dishes_named(turn: Turn, bookings: BookingDesk, draft: OrderDraft) -> tuple[str, ...]:
    if not draft.days:
        return ()
    menu = bookings.canteen.menu.get(draft.days[0])
    if menu is None:
        return ()
    return read_dishes(turn.clean, menu.dishes(draft.meal or "lunch"))


async def _elder_for(turn: Turn, uow: UnitOfWork, resident: Resident, diner: str,
                     strict: bool = False) -> DeliveryElder | None:
    """The elder an order is for: one this resident signed up (the one named, or for a
    delivery, unless `strict`, the only one); a volunteer, leader or staff member may order for
    any elder signed up, by name (帮9号楼王阿婆订明天中午一份A套餐送上门)."""
    elders = await uow.deliveries.of_resident(resident.id)
    if turn.actor is not None and diner:
        building = turn.place.building_name
        others = [e for e in await uow.deliveries.approved()
                  if (diner in e.name or e.name in diner)
                  and (building is None or e.building == building)]
        if len(others) == 1 and not any(e.id == others[0].id for e in elders):
            return others[0]
    named = [e for e in elders if diner and (diner in e.name or e.name in diner)]
    if named or strict:
        return named[0] if named else None
    return elders[0] if len(elders) == 1 else None


async def _advance_order(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                         resident: Resident, draft: OrderDraft) -> Outcome:
    if not draft.days:
        return _ask(turn, replace(draft, awaiting="day"), texts.ASK_DAY)
    meal = draft.meal or "lunch"
    draft = replace(draft, meal=meal)
    day = draft.days[0]
    if draft.point is None:
        home = bookings.home_point(resident.building, meal, day)
        points = bookings.orderable_points(day, meal)
        if home is not None:
            draft = replace(draft, point=home.id)
        elif len(points) == 1:
            draft = replace(draft, point=points[0].id)
        elif not points:
            return _done(turn, texts.CLOSED_DAY.format(day=day_words(day), point="食堂和助餐点",
                                                       alternatives=""))
        else:
            lines = "\n".join(f"{n}. {p.name}" for n, p in enumerate(points, start=1))
            return _ask(turn, replace(draft, awaiting="point"),
                        texts.ASK_POINT.format(points=lines))
    if draft.choice is None:
        if meal != "lunch":
            draft = replace(draft, choice="A")
        else:
            menu = bookings.canteen.menu.get(day)
            if menu is None:
                return _done(turn, texts.NO_MENU.format(day=day_words(day)))
            rules = bookings.rules.orders_at(draft.point or "")
            dishes = texts.ASK_WHAT_DISHES.format(price=bookings.canteen.prices.dish) \
                if rules is not None and rules.choose_dishes else ""
            shown = f"A：{'、'.join(menu.set_a)}\nB：{'、'.join(menu.set_b)}"
            return _ask(turn, replace(draft, awaiting="what"), texts.ASK_WHAT.format(
                day=day_words(day), meal=texts.MEAL_NAMES[meal], menu=shown, dishes=dishes))
    if draft.choice == "dishes" and draft.point != DELIVERY:
        rules = bookings.rules.orders_at(draft.point or "")
        if rules is None or not rules.choose_dishes:
            return _ask(turn, replace(draft, awaiting="what", choice=None, dishes=()),
                        texts.DISHES_NOT_HERE.format(point=bookings.point_name(draft.point
                                                                                or "")))
    spec = await _spec(uow, draft)
    skipped: list[dt.date] = []
    if len(spec.days) > 1:     # 礼拜一到礼拜五: the days that can still be ordered
        usable = [d for d in spec.days if bookings.refusal(replace(spec, days=(d,)),
                                                          turn.now) is None]
        if usable:
            skipped = [d for d in spec.days if d not in usable]
            draft = replace(draft, days=tuple(usable))
            spec = replace(spec, days=tuple(usable))
    refusal = bookings.refusal(spec, turn.now)
    if refusal is not None:
        if draft.portions < 1 or draft.portions > bookings.rules.max_portions:
            if draft.portions > bookings.rules.max_portions:
                return _done(turn, refusal)
            return _ask(turn, replace(draft, awaiting="what"), refusal)
        return _done(turn, refusal)
    note = texts.DAYS_SKIPPED.format(days="、".join(day_words(d) for d in skipped)) \
        if skipped else ""
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
    """A complete order is placed at once, the way it was understood, with how to change or
    cancel it until the cut-off (a question back would cost an elder a turn)."""
    spec = await _spec(uow, draft)
    old = [o for o in [await uow.orders.by_code(f"F{i:04d}") for i in draft.replaces] if o]
    for order in old:
        if order.state != "active" or not bookings.open_for_change(order, turn.now):
            return _done(turn, _too_late(bookings, order, turn))
    placed = await bookings.place(uow, resident, spec, turn.now, old)
    place = await _delivery_place(uow, draft)
    total = sum(o.owed for o in placed)
    first = placed[0]
    deadline = texts.CHANGE_UNTIL.format(
        cutoff=bookings.cutoff_words(first.point, first.meal, first.day),
        when=f"{first.day.month}月{first.day.day}日")
    codes = "、".join(o.code for o in placed)
    summary = "\n".join(bookings.summary(o, place=place) for o in placed)
    if old:
        return _done(turn, texts.ORDER_CHANGED.format(codes=codes, summary=summary,
                                                      owed=total, deadline=deadline))
    _, discount = bookings.owed(spec)
    hint = texts.ELDER_DISCOUNT.format(amount=discount) if discount else texts.SUBSIDY_HINT
    return _done(turn, texts.ORDER_DONE.format(codes=codes, summary=summary, owed=total,
                                               payment_hint=hint, deadline=deadline) + note)


def _too_late(bookings: BookingDesk, order: MealOrder, turn: Turn) -> str:
    return texts.PAST_CUTOFF_CHANGE.format(
        code=order.code, day=day_words(order.day), meal=texts.MEAL_NAMES.get(order.meal, ""),
        cutoff=bookings.cutoff_words(order.point, order.meal, order.day),
        phone=bookings.knowledge.station.phone)


async def my_orders(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                    desk: TicketDesk) -> Outcome:
    """我的订餐."""
    resident = await _resident(turn, uow, desk)
    mine = await uow.orders.of_resident(resident.id, turn.today)
    if not mine:
        return turn.reply(texts.MY_ORDERS_NONE)
    lines = "\n".join(texts.MY_ORDER_LINE.format(code=o.code, summary=bookings.summary(o),
                                                 owed=o.owed) for o in mine)
    return Outcome(turn.privately([Reply(texts.MY_ORDERS.format(lines=lines))]), turn.state)


async def cancel_meal(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                      desk: TicketDesk) -> Outcome:
    """取消明天的饭 / 退掉 F0012 (until the cut-off)."""
    request = turn.booking
    assert isinstance(request, CancelMeal)
    resident = await _resident(turn, uow, desk)
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
                  and (request.meal is None or o.meal == request.meal)]
        if not chosen:
            standing = [e for e in await uow.deliveries.of_resident(resident.id)
                        if e.state == "approved"]
            if request.days.dates and standing:   # 取消明天的饭: that day is not delivered
                return await _pause(turn, uow, bookings, standing[0], request.days.dates)
            return turn.reply(texts.CANCEL_NONE)
        if not request.days.dates and len(chosen) > 1:
            lines = "\n".join(texts.MY_ORDER_LINE.format(code=o.code,
                                                         summary=bookings.summary(o),
                                                         owed=o.owed) for o in chosen)
            return turn.reply(texts.CANCEL_WHICH.format(code=chosen[0].code, lines=lines))
    late = [o for o in chosen if not bookings.open_for_change(o, turn.now)]
    if late:
        return turn.reply(_too_late(bookings, late[0], turn))
    for order in chosen:
        order.state, order.updated_at, order.note = "cancelled", turn.now, "resident"
    return Outcome(turn.privately([Reply(texts.CANCELLED.format(
        codes="、".join(o.code for o in chosen),
        summary="；".join(bookings.summary(o) for o in chosen)))]),
        turn.state.with_draft(None))


# -- delivery for elders ------------------------------------------------------------------------
async def sign_up_delivery(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                           desk: TicketDesk, settings: DialogueSettings) -> Outcome:
    """报名送餐 / 每天中午一份A套餐送到9号楼302."""
    request = turn.booking
    assert isinstance(request, DeliverySignup)
    resident = await _resident(turn, uow, desk)
    draft = SignupDraft("elder", _expires(turn, settings), request.diner or resident.name,
                        meal=request.meal or "lunch", choice=request.choice or "A",
                        portions=request.portions or 1)
    draft = _read_elder(turn, draft, resident, bookings)
    if draft.building is None and draft.age is None and not draft.reason:
        return _ask(turn, draft, texts.SIGNUP_START.format(
            eligible=bookings.canteen.delivery.eligible))
    return await _advance_signup(turn, uow, bookings, resident, draft)


async def continue_signup(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                          desk: TicketDesk, router: TicketRouter,
                          settings: DialogueSettings) -> Outcome:
    """An answer while an elder is being signed up for delivery."""
    draft = turn.state.draft
    assert isinstance(draft, SignupDraft)
    resident = await _resident(turn, uow, desk)
    draft = replace(draft, expires_at=_expires(turn, settings))
    if draft.awaiting == "confirm":
        if _NO.match(turn.clean):
            return _done(turn, texts.NOT_SIGNED_UP)
        if _YES.match(turn.clean):
            return await _file_signup(turn, uow, router, resident, draft)
        weekdays = _WEEKDAYS_ONLY.search(turn.clean)
        if weekdays:
            first, last = _DAY_INDEX[weekdays.group(1)], _DAY_INDEX[weekdays.group(2)]
            draft = replace(draft, weekdays="".join(str(d) for d in range(first, last + 1)))
        choice = re.search(r"(?<![a-z])([ab])(?![a-z])", turn.clean)
        if choice:
            draft = replace(draft, choice=choice.group(1).upper())
        if "晚" in turn.clean or "夜饭" in turn.clean:
            draft = replace(draft, meal="dinner")
    draft = _read_elder(turn, draft, resident, bookings)
    return await _advance_signup(turn, uow, bookings, resident, draft)


def _read_elder(turn: Turn, draft: SignupDraft, resident: Resident,
                bookings: BookingDesk) -> SignupDraft:
    text = turn.clean
    building = turn.place.building_name
    found = next((b for b in bookings.knowledge.roster.buildings if b.name == building), None)
    room = turn.place.room or ""
    if found is not None:
        draft = replace(draft, building=found.name, room=room or draft.room)
    elif room and draft.building:
        draft = replace(draft, room=room)
    age = age_of(text)
    if age is not None:
        draft = replace(draft, age=age)
    reason = reason_of(text)
    if reason:
        draft = replace(draft, reason=reason)
    name = re.match(r"^\s*([\u4e00-\u9fff]{1,4}?)[，,\s]", turn.surface)
    if draft.awaiting == "elder" and name and not re.search(r"\d|楼|岁|住", name.group(1)):
        draft = replace(draft, name=name.group(1).removeprefix("我"))
    return draft


async def _advance_signup(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                          resident: Resident, draft: SignupDraft) -> Outcome:
    missing = [word for word, lacking in (
        (texts.SIGNUP_MISSING_PLACE, draft.building is None or not draft.room),
        (texts.SIGNUP_MISSING_AGE, draft.age is None),
        (texts.SIGNUP_MISSING_REASON, not draft.reason)) if lacking]
    if missing:
        return _ask(turn, replace(draft, awaiting="elder"),
                    texts.SIGNUP_MISSING.format(missing="、".join(missing)))
    verdict = bookings.eligibility(draft.age, draft.reason)
    if verdict == "no":
        short = bookings.canteen.delivery.eligible.split("，可以")[0]
        return _done(turn, texts.SIGNUP_NOT_ELIGIBLE.format(
            eligible_short=short, name=draft.name or "老人",
            phone=bookings.knowledge.station.phone))
    meal = draft.meal if draft.meal in bookings.rules.delivery_meals else "lunch"
    price = bookings.unit_price(meal, draft.choice, ())
    return _ask(turn, replace(draft, awaiting="confirm", meal=meal), texts.SIGNUP_CONFIRM.format(
        name=draft.name or "老人", place=f"{draft.building}{draft.room}", age=draft.age,
        reason=draft.reason, weekdays=weekday_words(draft.weekdays),
        meal=texts.MEAL_NAMES[meal], choice=draft.choice, portions=draft.portions,
        price=price, fee=bookings.rules.delivery_fee))


async def _file_signup(turn: Turn, uow: UnitOfWork, router: TicketRouter,
                       resident: Resident, draft: SignupDraft) -> Outcome:
    elder = await uow.deliveries.add(DeliveryElder(
        resident_id=resident.id, name=draft.name or "老人", building=draft.building or "",
        room=draft.room, age=draft.age, reason=draft.reason, state="pending",
        meal=draft.meal, choice=draft.choice, portions=draft.portions,
        weekdays=draft.weekdays, created_at=turn.now))
    standing = (f"{weekday_words(elder.weekdays)}{texts.MEAL_NAMES[elder.meal]}"
                f"套餐{elder.choice}×{elder.portions}")
    text = texts.SIGNUP_TO_STAFF.format(code=elder.code, name=elder.name,
                                        place=f"{elder.building}{elder.room}", age=elder.age,
                                        reason=elder.reason, standing=standing,
                                        who=resident.name or "居民")
    for name in router.on_duty(turn.now):
        uow.outbox.add(f"{elder.code}:signup:{name}", f"staff:{name}", text,
                       (f"批准送餐 {elder.code}",))
    return _done(turn, texts.SIGNUP_DONE.format(code=elder.code))


async def pause_delivery(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                         desk: TicketDesk) -> Outcome:
    """下礼拜我去女儿家，停一个礼拜 / 恢复送餐."""
    request = turn.booking
    assert isinstance(request, DeliveryPause)
    resident = await _resident(turn, uow, desk)
    elders = [e for e in await uow.deliveries.of_resident(resident.id) if e.state == "approved"]
    if not elders:
        return turn.reply(texts.PAUSE_NONE)
    elder = elders[0]
    if request.resume:
        pauses = await uow.deliveries.pauses(elder, turn.today)
        if not pauses:
            return turn.reply(texts.RESUME_NONE.format(name=elder.name))
        start = bookings.first_delivery(turn.now, elder.meal)
        for pause in pauses:
            pause.last = max(pause.first, start) - dt.timedelta(days=1) \
                if pause.first < start else pause.first - dt.timedelta(days=1)
        return turn.reply(texts.RESUMED.format(name=elder.name, day=day_words(start)))
    if not request.days.dates:
        return turn.reply(texts.PAUSE_WHEN)
    return await _pause(turn, uow, bookings, elder, request.days.dates)


async def _pause(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, elder: DeliveryElder,
                 days: tuple[dt.date, ...]) -> Outcome:
    """Stop an elder's standing delivery on these days (from the first still open)."""
    first = days[0]
    earliest = bookings.first_delivery(turn.now, elder.meal)
    note = ""
    if first < earliest:
        note = texts.PAUSE_TOO_LATE.format(day=day_words(first))
        first = earliest
    last = days[-1]
    if last < first:
        return turn.reply(texts.PAUSE_TOO_LATE.format(day=day_words(days[0])))
    uow.deliveries.pause(elder, first, last)
    uow.mark_changed()
    resume = day_words(last + dt.timedelta(days=1))
    if first == last:
        return turn.reply(texts.PAUSED_ONE_DAY.format(name=elder.name, day=day_words(first),
                                                      resume=resume) + note)
    return turn.reply(texts.PAUSED.format(name=elder.name, first=day_words(first),
                                          last=day_words(last), resume=resume) + note)


# -- counter appointments -----------------------------------------------------------------------
async def appoint(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, desk: TicketDesk,
                  settings: DialogueSettings) -> Outcome:
    """我想预约办敬老卡 / 礼拜三上午有空位吗 / 改约到礼拜四."""
    request = turn.booking
    assert isinstance(request, AppointmentRequest)
    phone = bookings.knowledge.station.phone
    if bookings.rules.capacity <= 0:
        return turn.reply(texts.NO_APPOINTMENTS.format(phone=phone))
    resident = await _resident(turn, uow, desk)
    moves: int | None = None
    item = _item_of(turn, bookings)
    if request.move:
        mine = await uow.appointments.of_resident(resident.id, turn.today)
        if not mine:
            return turn.reply(texts.APPOINTMENT_NONE)
        moves = mine[0].id
        item = bookings.knowledge.item(mine[0].item_id)
    draft = turn.state.draft
    if item is None and isinstance(draft, AppointmentDraft) and draft.item:
        item = bookings.knowledge.item(draft.item)
        moves = moves or draft.moves
    base = AppointmentDraft("item", _expires(turn, settings), item.id if item else None,
                            moves=moves)
    if item is None:
        return _ask_item(turn, bookings, base)
    return await _offer_slots(turn, uow, bookings, base, item, request)


def _ask_item(turn: Turn, bookings: BookingDesk, draft: AppointmentDraft) -> Outcome:
    """Which item: the engine's candidates when it could not tell (敬老卡: 申领, 挂失补领,
    账户变更), else an open question."""
    c = turn.appointment_item
    items = [i for i in (bookings.knowledge.item(x.item) for x in c.candidates
                         if c.clarify and x.intent == AFFAIRS) if i is not None]
    if not items:
        return _ask(turn, replace(draft, awaiting="item", offered=()), texts.ASK_ITEM)
    lines = "\n".join(f"{n}. {i.name}" for n, i in enumerate(items, start=1))
    return _ask(turn, replace(draft, awaiting="item", offered=tuple(i.id for i in items)),
                texts.ASK_WHICH_ITEM.format(items=lines))


def _item_of(turn: Turn, bookings: BookingDesk) -> AffairsItem | None:
    c = turn.appointment_item
    if c.intent == AFFAIRS and c.item is not None:
        return bookings.knowledge.item(c.item)
    return None


async def _offer_slots(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                       draft: AppointmentDraft, item: AffairsItem,
                       request: AppointmentRequest | None) -> Outcome:
    phone = bookings.knowledge.station.phone
    if not bookings.needs_counter(item):
        return _done(turn, texts.NO_COUNTER.format(item=item.name, phone=phone))
    day = request.day if request else None
    lead = ""
    if day is not None:
        last = turn.today + dt.timedelta(days=bookings.rules.appointment_days)
        if day < turn.today or day > last:
            lead = texts.APPOINTMENT_DAY_BAD.format(day=day_words(day),
                                                    days=bookings.rules.appointment_days)
            day = None
        elif not bookings.slot_starts(day, item):
            lead = (texts.SLOTS_SATURDAY.format(item=item.name)
                    if day.weekday() == 5 and bookings.calendar.opening(day) is not None
                    else texts.SLOTS_CLOSED.format(day=day_words(day)))
    slots = await bookings.free_slots(uow, item, turn.now, day,
                                      request.half if request else None,
                                      request.time if request else None)
    if day is not None and (not slots or slots[0].day != day):
        half = {"am": "上午", "pm": "下午"}.get(request.half or "", "") if request else ""
        lead = lead or texts.SLOTS_DAY_NONE.format(day=day_words(day), half=half)
        slots = [s for s in slots if s.day != day] or await bookings.free_slots(
            uow, item, turn.now, day + dt.timedelta(days=1))
    if not slots:
        return _done(turn, lead, texts.SLOTS_NONE.format(days=bookings.rules.appointment_days,
                                                         phone=phone))
    if request is not None and request.time is not None and not request.only_asks:
        wanted = request.time.strftime("%H:%M")
        if slots[0].day == day and slots[0].start == wanted:
            return await _book(turn, uow, bookings, draft, item, slots[0].day, slots[0].start)
        lead = lead or texts.TIME_TAKEN.format(start=wanted)
    lines = "\n".join(texts.SLOT_LINE.format(n=n, day=day_words(s.day), start=s.start,
                                             free=s.free) for n, s in enumerate(slots, start=1))
    text = texts.SLOTS.format(item=item.name, window=bookings.window_of(item), slots=lines)
    offered = replace(draft, awaiting="slot", item=item.id,
                      offered=tuple(s.key for s in slots))
    return Outcome([Reply(t) for t in (lead, text) if t],
                   turn.state.with_draft(offered).with_choices(None))


async def continue_appointment(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                               desk: TicketDesk, settings: DialogueSettings) -> Outcome:
    """The item asked for, a slot's number, or another day (礼拜四下午呢)."""
    draft = turn.state.draft
    assert isinstance(draft, AppointmentDraft)
    draft = replace(draft, expires_at=_expires(turn, settings))
    if draft.awaiting == "item" or draft.item is None:
        item = _item_of(turn, bookings)
        if turn.picks is not None and 1 <= turn.picks <= len(draft.offered):
            item = bookings.knowledge.item(draft.offered[turn.picks - 1])
        if item is None:
            return _ask_item(turn, bookings, draft)
        return await _offer_slots(turn, uow, bookings, replace(draft, item=item.id), item,
                                  _as_request(turn))
    item = bookings.knowledge.item(draft.item)
    assert item is not None
    if turn.picks is not None and 1 <= turn.picks <= len(draft.offered):
        day, start = draft.offered[turn.picks - 1].split(" ")
        return await _book(turn, uow, bookings, draft, item, dt.date.fromisoformat(day), start)
    return await _offer_slots(turn, uow, bookings, draft, item, _as_request(turn))


def _as_request(turn: Turn) -> AppointmentRequest | None:
    found = read_day(turn.clean, turn.today)
    half, time = half_day(turn.clean), time_of_day(turn.clean)
    if found is None and half is None:
        return None
    return AppointmentRequest(found.date if found else None, False, half, time)


async def _book(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, draft: AppointmentDraft,
                item: AffairsItem, day: dt.date, start: str) -> Outcome:
    resident = await uow.residents.get_or_create(turn.message.platform, turn.message.user_id)
    booking = await uow.appointments.book(resident.id, item.id, day, start,
                                          bookings.rules.capacity, turn.now)
    if booking is None:
        lead = texts.SLOT_FULL
        outcome = await _offer_slots(turn, uow, bookings, draft, item, AppointmentRequest(day))
        return Outcome([Reply(lead), *outcome.replies], outcome.state)
    old: Appointment | None = None
    if draft.moves is not None:
        old = await uow.appointments.by_code(f"Y{draft.moves:04d}")
        if old is not None and old.state == "booked" and old.resident_id == resident.id:
            old.state, old.updated_at = "cancelled", turn.now
    words = bookings.appointment_words(booking)
    if old is not None:
        return _done(turn, texts.MOVED.format(code=booking.code, day=words[0], start=words[1],
                                              item=words[2], old=old.code))
    return _done(turn, texts.BOOKED.format(code=booking.code, day=words[0], start=words[1],
                                           item=words[2], window=bookings.window_of(item),
                                           materials=bookings.materials(item)))


async def my_appointments(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                          desk: TicketDesk) -> Outcome:
    """我的预约."""
    resident = await _resident(turn, uow, desk)
    mine = await uow.appointments.of_resident(resident.id, turn.today)
    if not mine:
        return turn.reply(texts.MY_APPOINTMENTS_NONE)
    lines = "\n".join(texts.APPOINTMENT_LINE.format(
        code=a.code, day=bookings.appointment_words(a)[0], start=a.start,
        item=bookings.appointment_words(a)[2]) for a in mine)
    return Outcome(turn.privately([Reply(texts.MY_APPOINTMENTS.format(lines=lines))]),
                   turn.state)


async def cancel_appointment(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                             desk: TicketDesk) -> Outcome:
    """取消预约 / 取消 Y0007."""
    request = turn.booking
    assert isinstance(request, CancelAppointment)
    resident = await _resident(turn, uow, desk)
    mine = await uow.appointments.of_resident(resident.id, turn.today)
    if request.code is not None:
        mine = [a for a in mine if a.code == request.code]
    if not mine:
        return turn.reply(texts.APPOINTMENT_NONE)
    if len(mine) > 1:
        lines = "\n".join(texts.APPOINTMENT_LINE.format(
            code=a.code, day=bookings.appointment_words(a)[0], start=a.start,
            item=bookings.appointment_words(a)[2]) for a in mine)
        return turn.reply(texts.APPOINTMENT_WHICH.format(code=mine[0].code, lines=lines))
    booking = mine[0]
    booking.state, booking.updated_at = "cancelled", turn.now
    words = bookings.appointment_words(booking)
    return _done(turn, texts.APPOINTMENT_CANCELLED.format(code=booking.code, day=words[0],
                                                          start=words[1], item=words[2]))
