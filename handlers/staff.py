"""Building leaders, volunteers and staff working tickets from chat. Their answers go privately
when they write in a group."""

from __future__ import annotations

from bot.db.unit_of_work import UnitOfWork
from bot.messages import Reply
from bot.tickets import texts
from bot.tickets.leaders import LeaderDesk
from bot.turn import Actor, Outcome, Turn
from intents.commands import Broadcast, MissingCode, Query, TicketCommand, codes_only


def _said(turn: Turn, text: str) -> Outcome:
    """A leader's answer: privately when they wrote in a group."""
    reply = Reply(text, private=turn.message.chat_id is not None)
    return Outcome([reply], turn.state)


def _actor(turn: Turn) -> Actor:
    assert turn.actor is not None
    return turn.actor


def _ticket_command(turn: Turn) -> TicketCommand:
    assert isinstance(turn.command, TicketCommand)
    return turn.command


async def help_staff(turn: Turn, uow: UnitOfWork) -> Outcome:
    """帮助 / 怎么用: the commands of this person's role."""
    return _said(turn, texts.HELP[_actor(turn).role])


async def missing_code(turn: Turn, uow: UnitOfWork) -> Outcome:
    """接单 / 完成 with no ticket code: how to write it."""
    assert isinstance(turn.command, MissingCode)
    return _said(turn, texts.MISSING_CODE.format(
        example=texts.MISSING_CODE_EXAMPLES[turn.command.verb]))


async def queue(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """我的工单: what this person has to do (staff: the whole station)."""
    return _said(turn, await leaders.queue(uow, _actor(turn), turn.now))


async def overdue(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """超时: what is past its first-response deadline."""
    return _said(turn, await leaders.queue(uow, _actor(turn), turn.now, overdue=True))


async def thanks(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """感谢留言: residents' thank-you lines to publish."""
    return _said(turn, await leaders.thanks(uow, _actor(turn)))


async def failed(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """发送失败: notifications that could not be delivered."""
    return _said(turn, await leaders.failures(uow, _actor(turn)))


async def broadcast(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """广播 …: a notice to the building groups."""
    assert isinstance(turn.command, Broadcast)
    return _said(turn, leaders.broadcast(uow, _actor(turn), turn.command.text, turn.now))


async def open_ticket(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """查看 R0001 (or 查询 R0001 from a leader): the whole ticket."""
    command = turn.command
    assert isinstance(command, TicketCommand | Query)
    return _said(turn, await leaders.open(uow, _actor(turn), command.code, turn.now,
                                          turn.message.platform))


async def claim(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """接单 R0001 (or several: 接单 R0001 R0002)."""
    command = _ticket_command(turn)
    answers = [await leaders.claim(uow, _actor(turn), code, turn.now, turn.message.platform)
               for code in (command.code, *codes_only(command.note))]
    return _said(turn, "\n".join(answers))


async def progress(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """进度 R0001 内容."""
    command = _ticket_command(turn)
    return _said(turn, await leaders.progress(uow, _actor(turn), command.code, command.note,
                                              turn.now, turn.message.platform))


async def done(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """完成 R0001 说明 / 实现 W0002."""
    command = _ticket_command(turn)
    return _said(turn, await leaders.finish(uow, _actor(turn), command.code, command.note,
                                            True, turn.now, turn.message.platform))


async def cannot(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """无法实现 W0002 原因."""
    command = _ticket_command(turn)
    return _said(turn, await leaders.finish(uow, _actor(turn), command.code, command.note,
                                            False, turn.now, turn.message.platform))


async def transfer(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """转交 R0001 12号楼 / 转交 C0003 陈晓燕."""
    command = _ticket_command(turn)
    return _said(turn, await leaders.transfer(uow, _actor(turn), command.code, command.note,
                                              turn.now, turn.message.platform))


async def reply(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """回复 R0001 内容."""
    command = _ticket_command(turn)
    return _said(turn, await leaders.reply(uow, _actor(turn), command.code, command.note,
                                           turn.now, turn.message.platform))


async def return_to_duty(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """退回 R0001 原因."""
    command = _ticket_command(turn)
    return _said(turn, await leaders.return_to_duty(uow, _actor(turn), command.code,
                                                    command.note, turn.now,
                                                    turn.message.platform))


async def merge(turn: Turn, uow: UnitOfWork, leaders: LeaderDesk) -> Outcome:
    """合并 R0002 R0001."""
    command = _ticket_command(turn)
    return _said(turn, await leaders.merge(uow, _actor(turn), command.code, command.note,
                                           turn.now, turn.message.platform))
