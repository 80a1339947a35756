"""转人工 and its everyday forms: the staff on duty are told, with the resident's last messages;
the resident hears who will contact them and when; the request waits in the staff queue until
the first staff member takes it (首问负责)."""

from __future__ import annotations

from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import Reply
from bot.tickets import texts
from bot.tickets.desk import TicketDesk
from bot.turn import Outcome, Turn
from intents.details import masked_phone


async def hand_off(turn: Turn, uow: UnitOfWork, desk: TicketDesk,
                   knowledge: Knowledge) -> Outcome:
    """A resident wants a person. A report or wish being taken stays (recalled in one line: an
    answer to it later still files it); staff see it in the last messages."""
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    said = turn.state.with_said(turn.text, turn.now).said
    named = desk.people.staff_named_in(turn.surface)    # 帮我找下王主任
    filing = await desk.hand_over(uow, resident, said, turn.now, turn.message.platform, named)
    station = knowledge.station
    if filing.outcome == "again":
        text = texts.HANDOFF_AGAIN.format(code=filing.ticket.code, duty_phone=station.duty_phone)
    elif desk.people.at_work(turn.now):
        text = texts.HANDOFF_OPEN.format(
            names=named or "、".join(desk.router.on_duty(turn.now)), code=filing.ticket.code,
            duty_phone=station.duty_phone)
    else:
        opening = desk.people.next_at_work(turn.now)
        when = texts.NEXT_OPENING.format(
            month=opening.month, day=opening.day,
            weekday=texts.WEEKDAY_NAMES[opening.weekday()],
            time=opening.strftime("%H:%M")) if opening else ""
        text = texts.HANDOFF_CLOSED.format(code=filing.ticket.code, when=when,
                                           duty_phone=station.duty_phone)
    if filing.outcome != "again":
        text += (texts.HANDOFF_PHONE_KNOWN.format(phone=masked_phone(resident.phone))
                 if resident.phone else texts.HANDOFF_ASK_PHONE)
    return Outcome(turn.privately([Reply(text)]), turn.state.with_choices(None))
