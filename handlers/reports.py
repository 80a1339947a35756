"""Reports (报修, 反映问题): take what the message says, ask only for what is missing, file.

Urgent categories (a leak, a blocked drain, a lift, fire safety) get their safety text first.
Emergencies do not come here: `handlers.safety` files them at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.conversation.state import ReportDraft, WishDraft
from bot.db.models import Resident
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import Reply
from bot.tickets import texts
from bot.tickets.desk import Filing, NewReport, TicketDesk
from bot.turn import Outcome, Turn
from handlers.context import DialogueSettings
from intents.answers import number_unknown
from intents.details import Place, mask_phones
from intents.engine import REPORT, UNSAID

# The categories offered by number when the problem is not said.
CATEGORY_CHOICES = ("lighting", "water_leak", "drainage", "elevator", "door_access", "other")


def _expires(turn: Turn, settings: DialogueSettings) -> dt.datetime:
    return turn.now + dt.timedelta(minutes=settings.session_minutes)


def _what_said(turn: Turn) -> str:
    """The resident's words worth keeping as the description (not "有个问题想反映一下")."""
    c = turn.classification
    if c.intent == REPORT and c.topic == UNSAID:
        return ""
    return mask_phones(turn.text.strip())[:500]


def filed_replies(turn: Turn, desk: TicketDesk, filing: Filing) -> list[Reply]:
    """What the resident is told about a filed report (privately in a group)."""
    ticket = filing.ticket
    if filing.outcome == "follower":
        text = texts.ME_TOO.format(code=ticket.code)
    elif filing.outcome == "again":
        text = (texts.AGAIN if _what_said(turn) else texts.AGAIN_SAME).format(
            code=ticket.code, state=desk.state_of(ticket),
            who=filing.who)
    else:
        category = desk.category(ticket.category)
        text = texts.REPORT_CREATED.format(
            code=ticket.code, category=category.name if category else "其他",
            place=texts.place_of(ticket.building, ticket.location), who=filing.who)
    return turn.privately([Reply(text)])


def _building_of(turn: Turn, desk: TicketDesk, place: Place) -> tuple[str | None, str | None]:
    """(roster building named in the message, the name as typed when the roster has none)."""
    named = place.building_name
    if named is None:
        return None, None
    building = desk.router.building(named)
    return (building.name, None) if building else (None, named)


async def start_report(turn: Turn, uow: UnitOfWork, desk: TicketDesk,
                       settings: DialogueSettings, knowledge: Knowledge) -> Outcome:
    """A new report: safety text first for urgent problems, then file or ask what is missing.
    A building named in the message wins over the one remembered; a building only remembered
    from an earlier report is confirmed first; a place outside every building (小区门口) needs
    none."""
    c = turn.classification
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    first: list[Reply] = []
    category = desk.category(c.category)
    if category is not None and category.urgency == "urgent" and category.safety:
        first.append(Reply(texts.URGENT_FIRST.format(safety=category.safety)))
    building, unknown = _building_of(turn, desk, turn.place)
    checked = True
    outside = turn.place.spot in knowledge.outside_places
    if building is None and unknown is None and resident.building and not outside:
        building, checked = resident.building, resident.building_said
    draft = ReportDraft("problem", _expires(turn, settings), c.category, building,
                        _below_building(turn.place), _what_said(turn), (), checked)
    outcome = await _advance(turn, uow, desk, resident, draft, unknown,
                             knowledge.outside_places)
    also = await _file_for_the_others(turn, uow, desk, resident, draft) \
        if outcome.state.draft is None and draft.category is not None else []
    return Outcome(first + outcome.replies + also, outcome.state)


async def _file_for_the_others(turn: Turn, uow: UnitOfWork, desk: TicketDesk,
                               resident: Resident, draft: ReportDraft) -> list[Reply]:
    """The same problem in the other buildings the message named (9号楼和10号楼的楼道灯都坏了):
    one report each, for each building's leader."""
    replies: list[Reply] = []
    for number in turn.place.others:
        building = desk.router.building(f"{number}号楼")
        if building is None or building.name == draft.building:
            continue
        filing = await desk.file_report(uow, resident, NewReport(
            draft.category or "other", building.name, draft.place.location, draft.description,
            draft.photos), turn.now, turn.message.platform)
        replies += filed_replies(turn, desk, filing)
    return replies


async def continue_report(turn: Turn, uow: UnitOfWork, desk: TicketDesk,
                          settings: DialogueSettings, knowledge: Knowledge) -> Outcome:
    """An answer to the question asked about a report being taken. Every answer is read for
    everything it says: the problem, the building, the floor and room, a phone number."""
    draft = turn.state.draft
    assert isinstance(draft, ReportDraft)
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    c = turn.classification
    category, description = draft.category, draft.description
    building, unknown = _building_of(turn, desk, turn.place)
    checked = draft.building_checked or building is not None
    if draft.awaiting == "problem":
        picked = turn.picks
        if picked is not None and 1 <= picked <= len(CATEGORY_CHOICES):
            category = CATEGORY_CHOICES[picked - 1]
        elif not turn.place.only_place:
            said = _what_said(turn)
            category = c.category if c.intent == REPORT and c.category else category
            description = (description + " " + said).strip()[:500] if said else description
            if category is None and said and c.topic != UNSAID:
                category = "other"
    elif draft.awaiting == "building" and building is None and unknown is None:
        number = turn.surface.strip().removesuffix("号楼").removesuffix("号")
        if number.isdigit():
            building, unknown = _building_of(turn, desk, Place(int(number)))
            checked = building is not None
    elif draft.awaiting == "building_confirm" and building is None and unknown is None:
        if turn.yes_no is True:
            checked = True
            resident.building_said = resident.building == draft.building
        elif turn.yes_no is False:
            building, checked = None, True
            draft = ReportDraft(draft.awaiting, draft.expires_at, category, None, draft.place,
                                description, draft.photos)
    unsure = draft.awaiting == "building" and building is None and unknown is None and \
        number_unknown(turn.clean)
    # 就是大门口那幢 points at a building: 门口 is not where the problem is
    below = Place() if unsure else _below_building(turn.place)
    # While the building is asked for, an answer telling no place (好了, 还是坏的) counts; one
    # telling the building, the floor or the room starts the count again.
    told_nothing = draft.awaiting == "building" and building is None and unknown is None and \
        below.location is None
    updated = ReportDraft(draft.awaiting, _expires(turn, settings), category,
                          building or draft.building, draft.place.merged(below), description,
                          draft.photos, checked, draft.asked_again + 1 if told_nothing else 0)
    return await _advance(turn, uow, desk, resident, updated, unknown, knowledge.outside_places,
                          noted=below.location, unsure=unsure)


async def _advance(turn: Turn, uow: UnitOfWork, desk: TicketDesk, resident: Resident,
                   draft: ReportDraft, unknown_building: str | None = None,
                   outside_places: tuple[str, ...] = (), noted: str | None = None,
                   unsure: bool = False) -> Outcome:
    """Ask for the next missing detail, or file the report when nothing is missing. A problem
    outside every building (the lamp at the compound's gate) is filed for the duty staff. What
    an answer told below the building (`noted`: 4楼402室) is said back before the question; an
    answer that does not know the number (`unsure`: 不知道) is told where to find it."""
    if draft.category is None:
        if not draft.description:
            choices = "\n".join(f"{n}. {category.name}" for n, c in enumerate(
                CATEGORY_CHOICES, start=1) if (category := desk.category(c)))
            return _ask(turn, replace(draft, awaiting="problem"),
                        texts.ASK_CATEGORY.format(choices=choices))
        draft = replace(draft, category="other")
    if unknown_building is not None:
        return _ask(turn, replace(draft, awaiting="building"),
                    texts.UNKNOWN_BUILDING.format(text=unknown_building))
    outside = draft.building is None and draft.place.spot in outside_places
    category = desk.category(draft.category)
    # An urgent problem (电梯坏了, 漏水) whose building the resident does not know is filed at
    # once for the duty staff; the building, when it comes, goes to its leader.
    urgent_unplaced = unsure and category is not None and category.urgency != "normal"
    if draft.building is None and not outside and not urgent_unplaced:
        question = texts.BUILDING_NUMBER_HOW if unsure else texts.ASK_BUILDING_AGAIN \
            if draft.asked_again >= 2 else texts.ASK_BUILDING
        if noted:
            question = texts.NOTED_PLACE.format(location=noted) + question
        return _ask(turn, replace(draft, awaiting="building"), question)
    if not draft.building_checked and not outside:
        return _ask(turn, replace(draft, awaiting="building_confirm"),
                    texts.CONFIRM_BUILDING.format(building=draft.building))
    filing = await desk.file_report(uow, resident, NewReport(
        draft.category, draft.building, draft.place.location, draft.description,
        draft.photos), turn.now, turn.message.platform)
    if resident.building is None and draft.building is not None:
        resident.building = draft.building    # remembered, to be confirmed next time
    replies = filed_replies(turn, desk, filing)
    if urgent_unplaced and draft.building is None and not outside:
        replies += turn.privately([Reply(texts.FILED_WITHOUT_BUILDING)])
    return Outcome(replies, turn.state.with_draft(None).with_choices(None))


def _ask(turn: Turn, draft: ReportDraft, question: str) -> Outcome:
    """Ask one question; the draft waits for its answer (and no numbered choice is open)."""
    return Outcome([Reply(question)], turn.state.with_draft(draft).with_choices(None))


def _below_building(place: Place) -> Place:
    """The place without its building (kept separately, checked against the roster)."""
    return Place(None, place.unit, place.floors, place.room, place.spot)


async def photo(turn: Turn, uow: UnitOfWork, desk: TicketDesk) -> Outcome:
    """An image: into the report being taken, else onto the resident's report just filed."""
    ref = turn.text.strip()[:500]
    draft = turn.state.draft
    if isinstance(draft, ReportDraft):
        kept = replace(draft, photos=(*draft.photos, ref))
        return turn.reply(texts.PHOTO_IN_FLOW, state=turn.state.with_draft(kept))
    if turn.resident is None:
        return turn.reply(texts.PHOTO_ALONE)
    ticket = await desk.attach_photo(uow, turn.resident, ref, turn.now, turn.message.platform)
    if ticket is None:
        return turn.reply(texts.PHOTO_ALONE)
    return turn.reply(texts.PHOTO_ATTACHED.format(code=ticket.code))


async def lapsed(turn: Turn, uow: UnitOfWork) -> Outcome:
    """The answer to a question asked so long ago that the report or wish was dropped."""
    draft = turn.state.lapsed
    text = texts.EXPIRED_WISH if isinstance(draft, WishDraft) else texts.EXPIRED
    return turn.reply(text, state=turn.state.settled())
