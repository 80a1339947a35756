"""Emergencies: safety text first, the same on every path; then filed at once, the building's
leader and the staff on duty paged; a place not yet known is asked for and attached."""

from __future__ import annotations

import datetime as dt

from bot.conversation.state import PlaceWanted
from bot.db.repositories import OPEN_STATES
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import Reply
from bot.tickets import texts
from bot.tickets.desk import NewReport, TicketDesk
from bot.turn import Outcome, Turn
from handlers.context import DialogueSettings
from intents.details import mask_phones


def safety_first(knowledge: Knowledge, category: str | None, situation: str | None) -> Reply:
    """The first reply to an emergency: what to do now, with the number to call."""
    return Reply(texts.EMERGENCY_FIRST.format(
        safety=knowledge.safety_text(category, situation)))


async def emergency(turn: Turn, uow: UnitOfWork, desk: TicketDesk, knowledge: Knowledge,
                    settings: DialogueSettings) -> Outcome:
    """An emergency: the safety text, then the ticket filed and people paged right away."""
    c = turn.classification
    first = safety_first(knowledge, c.category, c.emergency)
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    building = desk.router.building(turn.place.building_name or "")
    outside = turn.place.spot in knowledge.outside_places   # in the street: no building
    where = building.name if building else (
        resident.building if resident.building_said and not outside else None)
    filing = await desk.file_report(uow, resident, NewReport(
        c.category, where, turn.place.location, mask_phones(turn.text.strip())[:500],
        emergency=c.emergency), turn.now, turn.message.platform)
    ticket = filing.ticket
    who = (texts.WHO_AND_DUTY.format(who=filing.who) if ticket.assignee else texts.WHO_DUTY)
    said = (texts.EMERGENCY_AGAIN if filing.outcome == "again"
            else texts.EMERGENCY_FILED).format(who=who, code=ticket.code)
    state = turn.state.with_choices(None)
    if building is None and not outside and filing.outcome == "new":  # where? (home: a guess)
        said += (texts.EMERGENCY_WHERE_EXACTLY.format(building=ticket.building)
                 if ticket.building else texts.EMERGENCY_WHERE)
        state = state.with_place_wanted(PlaceWanted(
            ticket.code, turn.now + dt.timedelta(minutes=settings.session_minutes)))
    # The safety text is for everyone who reads it, in a group too; the rest is personal.
    return Outcome([first, *turn.privately([Reply(said)])], state)


async def place_answer(turn: Turn, uow: UnitOfWork, desk: TicketDesk,
                       knowledge: Knowledge) -> Outcome:
    """The answer to "在几号楼几室": attached to the emergency it belongs to (somewhere in the
    street is an answer too: then it is the duty staff's, not a building's)."""
    wanted = turn.state.place_wanted
    assert wanted is not None
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    ticket = await uow.tickets.by_code(wanted.code)
    first = ([safety_first(knowledge, turn.classification.category, turn.emergency)]
             if turn.emergency else [])   # said again with the place: safety first again
    if ticket is None or ticket.state not in OPEN_STATES:   # withdrawn, merged, done
        return Outcome([*first, Reply(texts.PLACE_NOT_WANTED.format(code=wanted.code))],
                       turn.state.with_place_wanted(None))
    if turn.place.spot in knowledge.outside_places:
        text = await desk.locate_outside(uow, ticket, resident, turn.place, turn.now,
                                         turn.message.platform)
        return Outcome(first + turn.privately([Reply(text)]), turn.state.with_place_wanted(None))
    if ticket.building is not None:  # known (or guessed from home): whatever they say is a detail
        text = await desk.add_detail(uow, ticket, resident, turn.text, turn.place, turn.now,
                                     turn.message.platform)
        return Outcome(first + turn.privately([Reply(text)]), turn.state.with_place_wanted(None))
    building = desk.router.building(turn.place.building_name or "")
    if turn.place.empty:
        await desk.add_detail(uow, ticket, resident, turn.text, turn.place, turn.now,
                              turn.message.platform)
        return Outcome([*first, Reply(texts.PLACE_STILL_WANTED)], turn.state)
    text = await desk.locate(uow, ticket, resident, turn.place, turn.now,
                             turn.message.platform)
    if building is None:
        return Outcome([*first, Reply(texts.PLACE_STILL_WANTED)], turn.state)
    return Outcome(first + turn.privately([Reply(text)]), turn.state.with_place_wanted(None))
