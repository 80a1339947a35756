"""What residents say after a report is filed: whether it is fixed, details, a phone number,
an answer to the leader who asked, a thank-you, taking the report back."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from bot.db.models import Ticket
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import Reply
from bot.tickets import texts
from bot.tickets.desk import TicketDesk, same_spot
from bot.turn import Outcome, Turn
from handlers import reports
from handlers.context import DialogueSettings
from intents.answers import mentions_progress, rating_of
from intents.commands import Withdraw
from intents.engine import REPORT

ABOUT_A_REPAIR = re.compile(r"修|来|报错")   # 不用修了, 不用来了, 报错了: a report, not a call
SAME_WORDS = 60   # how alike (rapidfuzz) a message and the report must be to be it again


async def repair_answer(turn: Turn, uow: UnitOfWork, desk: TicketDesk,
                        settings: DialogueSettings, knowledge: Knowledge) -> Outcome:
    """The answer to "已修好了吗", in any words. A new problem of another kind is a new
    report, not an answer."""
    code = turn.questions.confirm[-1]       # the newest question is the one answered
    ticket = await uow.tickets.by_code(code)
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    c = turn.classification
    if ticket is not None and c.intent == REPORT and c.category not in (
            None, ticket.category) and turn.yes_no is not True:
        return await reports.start_report(turn, uow, desk, settings, knowledge)
    await uow.conversations.save_questions(
        resident.id, turn.questions.settled(confirm=code), turn.now)
    if ticket is None:
        return turn.reply(texts.NOT_YOURS.format(code=code))
    fixed = turn.yes_no is not False   # thanks with nothing else means it is fine
    was = ticket.state
    text = await desk.answer_repair(uow, ticket, resident, fixed, turn.text, turn.now,
                                    turn.message.platform)
    if fixed and was == "resolved" and ticket.state == "closed":   # confirmed now: 满意度
        await uow.conversations.save_questions(
            resident.id, turn.questions.settled(confirm=code).asking(rate=code), turn.now)
        return Outcome([Reply(text), Reply(texts.RATE_ASK, choices=texts.RATE_LABELS)],
                       turn.state)
    return turn.reply(text)


async def rate(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Outcome:
    """A 1-5 rating after a confirmed repair or a fulfilled wish."""
    code = turn.questions.rate
    score = rating_of(turn.clean)
    assert code is not None and score is not None
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident)
    await desk.rate(uow, code, resident, score, turn.now, turn.message.platform)
    await uow.conversations.save_questions(resident.id, turn.questions.settled(rate=True),
                                           turn.now)
    return turn.reply((texts.RATED if score >= 3 else texts.RATED_LOW).format(score=score))


async def thank(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Outcome:
    """A thank-you line for a fulfilled wish, kept for the station to publish."""
    code = turn.questions.thanks
    assert code is not None
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident)
    await desk.thank(uow, code, resident, turn.text.strip(), turn.message.platform)
    await uow.conversations.save_questions(resident.id, turn.questions.settled(thanks=True),
                                           turn.now)
    return turn.reply(texts.THANKS_SAVED)


async def relay(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Outcome:
    """The resident answers the leader or staff member who asked them something."""
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    who = await desk.relay(uow, resident, turn.text.strip(), turn.now, turn.message.platform)
    return turn.reply(texts.RELAYED.format(who=who or texts.WHO_DUTY))


async def detail(turn: Turn, uow: UnitOfWork, desk: TicketDesk,
                 settings: DialogueSettings, knowledge: Knowledge) -> Outcome:
    """More about the resident's open report: a floor or room, a corrected building, a phone
    number, how it is now; the same problem reported again joins the same ticket."""
    report = turn.open_report
    assert report is not None
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    ticket = await uow.tickets.get(report.id)
    assert ticket is not None
    c = turn.classification
    follower = ticket.resident_id != resident.id      # a neighbour's ticket: words only
    if turn.only_phone:
        return turn.reply(texts.PHONE_ADDED.format(who=desk.handler_of(ticket)))
    if mentions_progress(turn.clean):
        await desk.nudge(uow, ticket, resident, turn.text, turn.now, turn.message.platform)
        return Outcome(turn.privately([Reply(texts.STATUS_NUDGED.format(
            code=ticket.code, state=desk.state_of(ticket), who=desk.handler_of(ticket)))]),
            turn.state)
    if c.intent == REPORT and not follower and not same_spot(ticket.location,
                                                              turn.place.location):
        return await reports.start_report(turn, uow, desk, settings, knowledge)   # another floor's
    if (c.intent == REPORT and c.category == ticket.category and not turn.place.only_place
            and fuzz.partial_ratio(turn.clean, ticket.description) >= SAME_WORDS):
        await desk.add_detail(uow, ticket, resident, turn.text, turn.place, turn.now,
                              turn.message.platform, follower)
        return Outcome(turn.privately([Reply(texts.AGAIN.format(
            code=ticket.code, state=desk.state_of(ticket),
            who=desk.handler_of(ticket)))]), turn.state)
    text = await desk.add_detail(uow, ticket, resident, turn.text, turn.place, turn.now,
                                 turn.message.platform, follower)
    return Outcome(turn.privately([Reply(text)]), turn.state)


async def phone(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Outcome:
    """A phone number on its own: remembered for whoever will call back."""
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    waiting = await uow.tickets.open_of_resident(resident.id, ("consult", "report"))
    who = desk.handler_of(waiting[0]) if waiting else texts.WHO_DUTY
    return Outcome(turn.privately([Reply(texts.PHONE_ADDED.format(who=who))]), turn.state)


async def withdraw(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Outcome:
    """撤销 R0002 / 不用修了: the report (or wish) is taken back and its handler told."""
    command = turn.command
    assert isinstance(command, Withdraw)
    resident = turn.resident
    ticket: Ticket | None = None
    if command.code is not None:
        ticket = await uow.tickets.by_code(command.code)
        if ticket is None or resident is None:
            return turn.reply(texts.NOT_YOURS.format(code=command.code))
    elif resident is not None:
        # the newest report or wish (不用修了); without a word of repair, a call asked for
        # counts too (转人工, then 不用了 我自己搞定了)
        kinds = ("report", "wish") if ABOUT_A_REPAIR.search(command.reason) else (
            "report", "wish", "consult")
        mine = await uow.tickets.open_of_resident(resident.id, kinds)
        ticket = mine[0] if mine else None
    if ticket is None or resident is None:
        return turn.reply(texts.WITHDRAW_WHICH)
    text = await desk.withdraw(uow, ticket, resident, command.reason, turn.now,
                               turn.message.platform)
    if ticket.code in turn.questions.confirm:
        await uow.conversations.save_questions(
            resident.id, turn.questions.settled(confirm=ticket.code), turn.now)
    wanted = turn.state.place_wanted
    state = (turn.state.with_place_wanted(None) if wanted and wanted.code == ticket.code
             else turn.state)   # nobody asks where a withdrawn emergency is any more
    return Outcome(turn.privately([Reply(text)]), state)
