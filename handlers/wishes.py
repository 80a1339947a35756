"""微心愿: what the resident wishes for, their building, whether to stay anonymous; then filed
for the building's leader and the station's volunteers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from bot.conversation.state import WishDraft
from bot.db.models import Resident
from bot.db.unit_of_work import UnitOfWork
from bot.messages import Reply
from bot.tickets import texts
from bot.tickets.desk import TicketDesk
from bot.turn import Outcome, Turn
from handlers.context import DialogueSettings
from intents.answers import number_unknown, wants_anonymity
from intents.details import mask_phones

_TRIGGER = re.compile(
    r"(?:我(?:要|想|有)?(?:一个|个)?)?(?:微心愿|心愿|许愿|许个愿)(?:是|：|:)?|/wish")


def wish_text(text: str) -> str:
    """What a wish message wishes for; "" when it only says "微心愿" / "我要许愿"."""
    rest = _TRIGGER.sub("", text).strip(" ，,。.!！?？~")
    return mask_phones(text.strip())[:500] if len(rest) >= 3 else ""


async def start_wish(turn: Turn, uow: UnitOfWork, desk: TicketDesk,
                     settings: DialogueSettings) -> Outcome:
    """A wish begins: take what it says, ask for what is missing."""
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    building = desk.router.building(turn.place.building_name or "")
    draft = WishDraft("wish", turn.now + dt.timedelta(minutes=settings.session_minutes),
                      wish_text(turn.text), building.name if building else resident.building)
    return await _advance(turn, uow, desk, resident, draft)


async def continue_wish(turn: Turn, uow: UnitOfWork, desk: TicketDesk,
                        settings: DialogueSettings) -> Outcome:
    """An answer to the question asked about a wish being taken."""
    draft = turn.state.draft
    assert isinstance(draft, WishDraft)
    resident = await desk.sender(uow, turn.message.platform, turn.message.user_id,
                                 turn.resident, turn.phone)
    building = desk.router.building(turn.place.building_name or "")
    if building is None and draft.awaiting == "building":
        number = turn.surface.strip().removesuffix("号楼").removesuffix("号")
        building = desk.router.building(f"{number}号楼") if number.isdigit() else None
        if building is None and number_unknown(turn.clean):
            return Outcome([Reply(texts.WISH_BUILDING_HOW)], turn.state)
        if building is None:
            return Outcome([Reply(texts.UNKNOWN_BUILDING.format(text=turn.text.strip()[:20]))],
                           turn.state)
    updated = replace(draft, expires_at=turn.now + dt.timedelta(
        minutes=settings.session_minutes), building=building.name if building
        else draft.building)
    if draft.awaiting == "wish":
        updated = replace(updated, description=mask_phones(turn.text.strip())[:500])
    elif draft.awaiting == "anonymous":
        anonymous = wants_anonymity(turn.clean)
        if anonymous is None:
            return Outcome([Reply(texts.ASK_ANONYMOUS)], turn.state)
        updated = replace(updated, anonymous=anonymous)
    return await _advance(turn, uow, desk, resident, updated)


async def _advance(turn: Turn, uow: UnitOfWork, desk: TicketDesk, resident: Resident,
                   draft: WishDraft) -> Outcome:
    if not draft.description:
        return _ask(turn, replace(draft, awaiting="wish"), texts.ASK_WISH)
    if not draft.building:
        return _ask(turn, replace(draft, awaiting="building"), texts.ASK_WISH_BUILDING)
    if draft.anonymous is None:
        return _ask(turn, replace(draft, awaiting="anonymous"), texts.ASK_ANONYMOUS)
    ticket = await desk.file_wish(uow, resident, draft.description, draft.building,
                                  draft.anonymous, turn.now, turn.message.platform)
    return Outcome(turn.privately([Reply(texts.WISH_CREATED.format(
        code=ticket.code, anonymous=texts.WISH_ANONYMOUS if draft.anonymous else ""))]),
                   turn.state.with_draft(None).with_choices(None))


def _ask(turn: Turn, draft: WishDraft, question: str) -> Outcome:
    return Outcome([Reply(question)], turn.state.with_draft(draft).with_choices(None))
