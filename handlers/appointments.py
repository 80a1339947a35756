"""Counter appointments: a slot for an affairs item that needs the counter, from the station's
opening hours and each slot's seats; seen, moved and cancelled; a code and the whole list of
what to bring, repeated the day before (by the scheduler)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from bot.bookings import texts
from bot.bookings.desk import BookingDesk, Slot, day_words
from bot.conversation.state import AppointmentDraft
from bot.db.models import Appointment, Resident
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import AffairsItem
from bot.messages import Reply
from bot.tickets.desk import TicketDesk
from bot.turn import Outcome, Turn
from handlers.booking_turns import ask, done, expires, resident_of
from handlers.context import DialogueSettings
from intents.bookings import AppointmentRequest, CancelAppointment, half_day, time_of_day
from intents.dates import read_day
from intents.engine import AFFAIRS

_HALF_NAMES = {"am": "上午", "pm": "下午"}
_ACTION = re.compile(r"挂失|补|换|变更|注销|暂停|恢复|转移|更正|修改|延期|续|迁|解除|查询|打印")
_GIVE_UP = re.compile(r"算了|不约了|不预约了|勿约了|过两天再说|以后再说|先不约")


async def appoint(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, desk: TicketDesk,
                  settings: DialogueSettings) -> Outcome:
    """我想预约办敬老卡 / 礼拜三上午有空位吗 / 改约到礼拜四."""
    request = turn.booking
    assert isinstance(request, AppointmentRequest)
    phone = bookings.knowledge.station.phone
    if bookings.rules.capacity <= 0:
        return turn.reply(texts.NO_APPOINTMENTS.format(phone=phone))
    if request.day_unreadable:
        return turn.reply(texts.APPOINTMENT_DAY_UNREADABLE)
    resident = await resident_of(desk, turn, uow)
    moves: int | None = None
    item = _item_of(turn, bookings)
    if request.move:
        mine = _upcoming(await uow.appointments.of_resident(resident.id, turn.today), turn)
        if not mine:
            return turn.reply(texts.APPOINTMENT_NONE)
        moves = mine[0].id
        item = bookings.knowledge.item(mine[0].item_id)
    draft = turn.state.draft
    if item is None and isinstance(draft, AppointmentDraft) and draft.item:
        item = bookings.knowledge.item(draft.item)
        moves = moves or draft.moves
    base = AppointmentDraft("item", expires(turn, settings), item.id if item else None,
                            moves=moves, day=request.day, half=request.half,
                            time=request.time.strftime("%H:%M") if request.time else None)
    if item is None:
        return _ask_item(turn, bookings, base)
    return await _offer_slots(turn, uow, bookings, base, item, request)


async def elsewhere(turn: Turn, uow: UnitOfWork, bookings: BookingDesk) -> Outcome:
    """预约挂号 / 预约疫苗: not the station's counter; say what can be booked here."""
    return turn.reply(texts.NOT_OUR_APPOINTMENT.format(phone=bookings.knowledge.station.phone))


def _ask_item(turn: Turn, bookings: BookingDesk, draft: AppointmentDraft) -> Outcome:
    """Which item: the engine's candidates when it could not tell (敬老卡: 申领, 挂失补领,
    账户变更), else an open question. The day asked for is kept."""
    c = turn.appointment_item
    lead = ""
    if draft.day is not None or draft.time is not None:
        lead = texts.KEPT_WHEN.format(when=_when_words(draft))
    if c.intent == AFFAIRS and c.item is not None and c.alternatives:
        ids = [c.item, *(x.item for x in c.alternatives)]
    elif c.clarify:
        ids = [x.item for x in c.candidates if x.intent == AFFAIRS]
    else:
        ids = list(draft.offered) if draft.awaiting == "item" else []
    items = [i for i in (bookings.knowledge.item(x) for x in ids) if i is not None]
    if not items:
        return ask(turn, replace(draft, awaiting="item", offered=()), texts.ASK_ITEM, lead)
    lines = "\n".join(f"{n}. {i.name}" for n, i in enumerate(items, start=1))
    return ask(turn, replace(draft, awaiting="item", offered=tuple(i.id for i in items)),
               texts.ASK_WHICH_ITEM.format(items=lines), lead)


def _when_words(draft: AppointmentDraft) -> str:
    """"11月26日（周四）下午 14:00": the day and time asked for, as far as said."""
    day = day_words(draft.day) if draft.day else ""
    return f"{day}{_HALF_NAMES.get(draft.half or '', '')} {draft.time or ''}".strip()


def _item_of(turn: Turn, bookings: BookingDesk) -> AffairsItem | None:
    """The item an appointment is for, when the message says it plainly (an answer with close
    siblings beside it, 办医保, is asked by number instead)."""
    c = turn.appointment_item
    if c.intent != AFFAIRS or c.item is None:
        return None
    item = bookings.knowledge.item(c.item)
    others = [o for o in (bookings.knowledge.item(x.item) for x in c.alternatives)
              if o is not None]
    if item is None or not others:
        return item
    if all(o.name[:3] == item.name[:3] for o in others):
        # One card, several actions: the action said, else applying for it (办敬老卡)
        if _ACTION.search(turn.appointment_subject):
            return item
        return next((i for i in (item, *others) if i.name.endswith("申领")), None)
    return None


def _upcoming(bookings_: list[Appointment], turn: Turn) -> list[Appointment]:
    """Appointments not yet past (a missed 9:00 one is kept for staff to mark)."""
    now = turn.now.strftime("%H:%M")
    return [a for a in bookings_ if a.day > turn.today or (a.day == turn.today
                                                           and a.start > now)]


def _time_lead(bookings: BookingDesk, item: AffairsItem, turn: Turn, day: dt.date,
               wanted: str) -> str:
    """Why the time asked for is not offered: out of hours, past, or full."""
    starts = bookings.slot_starts(day, item)
    if starts and not starts[0] <= wanted <= starts[-1]:
        hours = bookings.calendar.opening(day)
        span = f"{hours[0].strftime('%H:%M')}-{hours[1].strftime('%H:%M')}" if hours else ""
        return texts.TIME_OUT_OF_HOURS.format(start=wanted, hours=span)
    if day == turn.today and wanted <= turn.now.strftime("%H:%M"):
        return texts.TIME_PASSED.format(start=wanted)
    return texts.TIME_TAKEN.format(start=wanted)


async def _offer_slots(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                       draft: AppointmentDraft, item: AffairsItem,
                       request: AppointmentRequest | None) -> Outcome:
    """The free slots on the day (and half-day) asked for, else the next ones; a time asked
    for and free is booked at once."""
    phone = bookings.knowledge.station.phone
    if not bookings.needs_counter(item):
        return done(turn, texts.NO_COUNTER.format(item=item.name, department=item.department))
    day = request.day if request and request.day else draft.day
    half = request.half if request and request.half else draft.half
    time = request.time if request and request.time else (
        dt.time.fromisoformat(draft.time) if draft.time else None)
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
    slots = await bookings.free_slots(uow, item, turn.now, day, half, time)
    if time is not None and day is not None and not (request and request.only_asks):
        wanted = time.strftime("%H:%M")
        if slots and slots[0].day == day and slots[0].start == wanted:
            return await _book(turn, uow, bookings, draft, item, slots[0].day, slots[0].start)
        lead = lead or _time_lead(bookings, item, turn, day, wanted)
        if not slots or slots[0].day != day:
            slots = await bookings.free_slots(uow, item, turn.now, day, half)
    if day is not None and (not slots or slots[0].day != day):
        lead = lead or texts.SLOTS_DAY_NONE.format(day=day_words(day),
                                                   half=_HALF_NAMES.get(half or "", ""))
        slots = [s for s in slots if s.day != day] or await bookings.free_slots(
            uow, item, turn.now, day + dt.timedelta(days=1))
    if not slots:
        return done(turn, lead, texts.SLOTS_NONE.format(days=bookings.rules.appointment_days,
                                                        phone=phone))
    return _show(turn, bookings, draft, item, slots, lead)


def _show(turn: Turn, bookings: BookingDesk, draft: AppointmentDraft, item: AffairsItem,
          slots: list[Slot], lead: str) -> Outcome:
    lines = "\n".join(texts.SLOT_LINE.format(n=n, day=day_words(s.day), start=s.start,
                                             free=s.free) for n, s in enumerate(slots, start=1))
    text = texts.SLOTS.format(item=item.name, window=bookings.window_of(item), slots=lines)
    offered = replace(draft, awaiting="slot", item=item.id,
                      offered=tuple(s.key for s in slots))
    return ask(turn, offered, text, lead)


async def continue_appointment(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                               desk: TicketDesk, settings: DialogueSettings) -> Outcome:
    """The item asked for (by name or number), a slot's number, or another day
    (礼拜四下午呢)."""
    draft = turn.state.draft
    assert isinstance(draft, AppointmentDraft)
    draft = replace(draft, expires_at=expires(turn, settings))
    if _GIVE_UP.search(turn.standard):
        return done(turn, texts.NOT_BOOKED)
    if draft.awaiting == "item" or draft.item is None:
        item = _item_of(turn, bookings)
        if turn.picks is not None and 1 <= turn.picks <= len(draft.offered):
            item = bookings.knowledge.item(draft.offered[turn.picks - 1])
        if item is None:
            when = _as_request(turn)
            if when is not None:          # 礼拜三: the day is kept, the item still asked
                draft = replace(draft, day=when.day or draft.day, half=when.half or draft.half,
                                time=when.time.strftime("%H:%M") if when.time else draft.time)
                if draft.offered:
                    return _ask_item(turn, bookings, draft)
                return ask(turn, draft, texts.ASK_ITEM_FOR_DAY.format(
                    day=day_words(draft.day) if draft.day else ""))
            return _ask_item(turn, bookings, draft)
        return await _offer_slots(turn, uow, bookings, replace(draft, item=item.id), item,
                                  _as_request(turn))
    item = bookings.knowledge.item(draft.item)
    assert item is not None
    if turn.picks is not None and 1 <= turn.picks <= len(draft.offered):
        day, start = draft.offered[turn.picks - 1].split(" ")
        return await _book(turn, uow, bookings, draft, item, dt.date.fromisoformat(day), start)
    if turn.picks is not None:
        return turn.reply(texts.PICK_A_SLOT.format(count=len(draft.offered)))
    asked = _as_request(turn)
    if asked is not None and asked.time is not None and asked.day is None:
        wanted = asked.time.strftime("%H:%M")       # 10点 / 10:30的: one of the slots offered
        offered = next((key for key in draft.offered if key.endswith(" " + wanted)), None)
        if offered is not None:
            day, start = offered.split(" ")
            return await _book(turn, uow, bookings, draft, item, dt.date.fromisoformat(day),
                               start)
        first_day = dt.date.fromisoformat(draft.offered[0].split(" ")[0]) \
            if draft.offered else None
        asked = AppointmentRequest(first_day, False, asked.half, asked.time)
        return await _offer_slots(turn, uow, bookings, replace(draft, day=None, half=None,
                                                               time=None), item, asked)
    return await _offer_slots(turn, uow, bookings, replace(draft, day=None, half=None,
                                                           time=None), item, asked)


def _as_request(turn: Turn) -> AppointmentRequest | None:
    found = read_day(turn.standard, turn.today)
    half, time = half_day(turn.standard), time_of_day(turn.standard)
    if found is None and half is None and time is None:
        return None
    return AppointmentRequest(found.date if found else None, False, half, time)


async def _book(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, draft: AppointmentDraft,
                item: AffairsItem, day: dt.date, start: str) -> Outcome:
    resident = await uow.residents.get_or_create(turn.message.platform, turn.message.user_id)
    mine = await uow.appointments.of_resident(resident.id, turn.today)
    same = next((a for a in mine if a.day == day and a.start == start), None)
    if same is not None:
        return done(turn, texts.ALREADY_BOOKED.format(code=same.code, day=day_words(day),
                                                      start=start))
    booking = await uow.appointments.book(resident.id, item.id, day, start,
                                          bookings.rules.capacity, turn.now)
    if booking is None:
        outcome = await _offer_slots(turn, uow, bookings, replace(draft, time=None), item,
                                     AppointmentRequest(day))
        return Outcome([Reply(texts.SLOT_FULL), *outcome.replies], outcome.state)
    old: Appointment | None = None
    if draft.moves is not None:
        old = await uow.appointments.by_code(f"Y{draft.moves:04d}")
        if old is not None and old.state == "booked" and old.resident_id == resident.id:
            old.state, old.updated_at = "cancelled", turn.now
    words = bookings.appointment_words(booking)
    if old is not None:
        return done(turn, texts.MOVED.format(code=booking.code, day=words[0], start=words[1],
                                             item=words[2], old=old.code),
                    booked=(booking.code,))
    also = next((a for a in mine if a.item_id == item.id), None)
    note = texts.SAME_ITEM_BOOKED.format(code=also.code, day=day_words(also.day),
                                         start=also.start) if also else ""
    return done(turn, texts.BOOKED.format(code=booking.code, day=words[0], start=words[1],
                                          item=words[2], window=bookings.window_of(item),
                                          materials=bookings.materials(item)) + note,
                booked=(booking.code,))


async def my_appointments(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                          desk: TicketDesk) -> Outcome:
    """我的预约."""
    resident = await resident_of(desk, turn, uow)
    mine = await uow.appointments.of_resident(resident.id, turn.today)   # today's included
    if not mine:
        return turn.reply(texts.MY_APPOINTMENTS_NONE)
    return Outcome(turn.privately([Reply(texts.MY_APPOINTMENTS.format(
        lines=_lines(bookings, mine)))]), turn.state)


def _lines(bookings: BookingDesk, found: list[Appointment]) -> str:
    return "\n".join(texts.APPOINTMENT_LINE.format(
        code=a.code, day=bookings.appointment_words(a)[0], start=a.start,
        item=bookings.appointment_words(a)[2]) for a in found)


async def cancel_appointment(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                             desk: TicketDesk) -> Outcome:
    """取消预约 / 取消 Y0007 / 勿约了 (one that has not passed yet)."""
    request = turn.booking
    assert isinstance(request, CancelAppointment)
    resident = await resident_of(desk, turn, uow)
    if isinstance(turn.state.draft, AppointmentDraft) and request.code is None:
        return done(turn, texts.NOT_BOOKED)         # 勿约了 while choosing a slot
    mine = _upcoming(await uow.appointments.of_resident(resident.id, turn.today), turn)
    if request.code is not None:
        mine = [a for a in mine if a.code == request.code]
    if not mine:
        return turn.reply(texts.APPOINTMENT_NONE)
    if len(mine) > 1:
        return turn.reply(texts.APPOINTMENT_WHICH.format(code=mine[0].code,
                                                         lines=_lines(bookings, mine)))
    return _cancel(turn, bookings, mine[0])


def _cancel(turn: Turn, bookings: BookingDesk, booking: Appointment) -> Outcome:
    booking.state, booking.updated_at = "cancelled", turn.now
    words = bookings.appointment_words(booking)
    return done(turn, texts.APPOINTMENT_CANCELLED.format(code=booking.code, day=words[0],
                                                         start=words[1], item=words[2]),
                booked=())


async def cancel_on_days(bookings: BookingDesk, turn: Turn, uow: UnitOfWork,
                         resident: Resident, days: tuple[dt.date, ...]) -> Outcome | None:
    """取消礼拜四的: the resident's one appointment on those days, if there is one."""
    found = [a for a in _upcoming(await uow.appointments.of_resident(resident.id, turn.today),
                                  turn) if a.day in days]
    if len(found) != 1:
        return None
    return _cancel(turn, bookings, found[0])


async def cancel_codes(bookings: BookingDesk, turn: Turn, uow: UnitOfWork,
                       resident: Resident, codes: list[str]) -> Outcome | None:
    """Cancel the appointment just booked (取消 right after), if it is still booked."""
    for code in codes:
        booking = await uow.appointments.by_code(code)
        if booking is not None and booking.state == "booked" \
                and booking.resident_id == resident.id:
            return _cancel(turn, bookings, booking)
    return None
