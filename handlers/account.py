"""The resident's own affairs with the bot: cancelling what is being asked, their tickets,
where they live, linking a second platform, leaving."""

from __future__ import annotations

from bot.conversation.state import ConversationState
from bot.db.unit_of_work import UnitOfWork
from bot.messages import Reply
from bot.tickets import texts
from bot.tickets.desk import TicketDesk
from bot.turn import Outcome, Turn
from intents.commands import Link, Query, TicketCommand


async def cancel(turn: Turn, uow: UnitOfWork) -> Outcome:
    """取消 / 算了: drop the report or wish being taken, or the choice offered. An emergency
    already filed stays filed (its handlers were paged); the bot just stops asking where."""
    if turn.state.draft is not None:
        return turn.reply(texts.CANCELLED, state=turn.state.idle())
    if turn.state.place_wanted is not None:
        return turn.reply(texts.EMERGENCY_NOT_CANCELLED.format(
            code=turn.state.place_wanted.code), state=turn.state.idle())
    if turn.state.choices is not None:
        return turn.reply(texts.NOTHING_TO_CANCEL, state=turn.state.idle())
    if turn.open_report is not None:
        report = await uow.tickets.get(turn.open_report.id)
        if report is not None:
            return turn.reply(texts.CANCEL_HINT.format(code=report.code))
    return turn.reply(texts.NOTHING_TO_CANCEL)


async def status(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Outcome:
    """查询 R0001: one of the resident's tickets (or one they follow)."""
    command = turn.command
    assert isinstance(command, Query | TicketCommand)
    text = await desk.status(uow, turn.resident, command.code)
    return Outcome(turn.privately([Reply(text)]), turn.state)


async def my_tickets(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Outcome:
    """我的报修: the resident's tickets and those they follow."""
    text = texts.NO_TICKETS if turn.resident is None else await desk.mine(uow, turn.resident)
    return Outcome(turn.privately([Reply(text)]), turn.state)


async def home(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Outcome:
    """我住9号楼302: remembered, and used for reports that name no building."""
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    building = desk.set_home(resident, turn.place)
    if building is None:
        return turn.reply(texts.UNKNOWN_BUILDING.format(
            text=turn.place.building_name or turn.text.strip()[:20]))
    place = building + (turn.place.location or "")
    return Outcome(turn.privately([Reply(texts.BOUND.format(place=place,
                                                            building=building))]), turn.state)


async def link(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Outcome:
    """绑定账号 (a code for the other platform) / 绑定 123456 (this platform joins)."""
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident)
    code = turn.command.code if isinstance(turn.command, Link) else None
    text = await desk.link(uow, resident, code, turn.now)
    return Outcome(turn.privately([Reply(text)]), turn.state)


async def leave(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Outcome:
    """Unsubscribed: what identifies the person on that platform is deleted."""
    await desk.forget(uow, turn.message.platform, turn.message.user_id,
                      turn.message.session_key, turn.now)
    return Outcome([], ConversationState())
