"""What the bot asked a resident and still waits for: 已修好了吗 (one per resolved ticket) and
a thank-you line for a fulfilled wish. Kept per resident, across platforms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.db.unit_of_work import UnitOfWork

LIFETIME = dt.timedelta(days=7)  # longer than the 3 days after which a repair closes itself


def key(resident_id: int) -> str:
    """The conversation key of a resident's open questions."""
    return f"resident:{resident_id}"


def read(state: dict[str, Any] | None) -> dict[str, Any]:
    """{"confirm": [codes, oldest first], "thanks": code or None} (older records understood)."""
    state = state or {}
    confirm = list(state.get("confirm", []))
    thanks = state.get("thanks")
    if state.get("flow") == "confirm":
        confirm.append(state["code"])
    if state.get("flow") == "thanks":
        thanks = state["code"]
    return {"confirm": confirm, "thanks": thanks}


async def _store(uow: UnitOfWork, resident_id: int, questions: dict[str, Any],
                 now: dt.datetime) -> None:
    if questions["confirm"] or questions["thanks"]:
        await uow.conversations.set(key(resident_id), questions, now + LIFETIME)
    else:
        await uow.conversations.delete(key(resident_id))


async def ask(uow: UnitOfWork, resident_id: int, now: dt.datetime, confirm: str | None = None,
              thanks: str | None = None) -> None:
    """Add a question: confirm a repair (its code) or thank for a wish (its code)."""
    questions = read(await uow.conversations.get(key(resident_id), now))
    if confirm and confirm not in questions["confirm"]:
        questions["confirm"].append(confirm)
    if thanks:
        questions["thanks"] = thanks
    await _store(uow, resident_id, questions, now)


async def settle(uow: UnitOfWork, resident_id: int, questions: dict[str, Any],
                 now: dt.datetime, confirm: str | None = None, thanks: bool = False) -> None:
    """Remove an answered (or moot) question, keeping the others."""
    questions = {"confirm": [c for c in questions["confirm"] if c != confirm],
                 "thanks": None if thanks else questions["thanks"]}
    await _store(uow, resident_id, questions, now)
