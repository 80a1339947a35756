"""What every booking handler does with a turn: find the resident, ask the next question (a
typed draft kept in the conversation), or finish, remembering what was just booked so that
"取消" or "两份" right after is about it."""

from __future__ import annotations

import datetime as dt

from bot.conversation.state import AppointmentDraft, OrderDraft, RecentBooking, SignupDraft
from bot.db.models import Resident
from bot.db.unit_of_work import UnitOfWork
from bot.messages import Reply
from bot.tickets.desk import TicketDesk
from bot.turn import Outcome, Turn
from handlers.context import DialogueSettings

RECENT_FOR = dt.timedelta(minutes=30)     # "取消" this soon after a booking undoes it


def expires(turn: Turn, settings: DialogueSettings) -> dt.datetime:
    """When a question asked now lapses."""
    return turn.now + dt.timedelta(minutes=settings.session_minutes)


def ask(turn: Turn, draft: OrderDraft | SignupDraft | AppointmentDraft, text: str,
        *before: str) -> Outcome:
    """Ask the next question of a booking being taken (after any lines `before` it)."""
    return Outcome([Reply(t) for t in (*before, text) if t],
                   turn.state.with_draft(draft).with_choices(None))


def done(turn: Turn, *lines: str, booked: tuple[str, ...] | None = None) -> Outcome:
    """The booking is finished (or given up); `booked`: the codes just booked."""
    state = turn.state.with_draft(None).with_choices(None)
    if booked is not None:
        state = state.with_recent(RecentBooking(booked, turn.now + RECENT_FOR)
                                  if booked else None)
    return Outcome(turn.privately([Reply(line) for line in lines if line]), state)


async def resident_of(desk: TicketDesk, turn: Turn, uow: UnitOfWork) -> Resident:
    """The resident behind the message (created on first contact)."""
    return await desk.sender(uow, turn.message.platform, turn.message.user_id, turn.resident,
                             turn.phone)
