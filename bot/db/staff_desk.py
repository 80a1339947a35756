"""What the staff web desk reads and writes: passwords and sign-in locks, tickets by period
and filter with their history, and the residents' phones (shown masked). Never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.consultations import TallyRow
from bot.db.models import (
    ConsultationCount,
    Resident,
    StaffCredential,
    Ticket,
    TicketEvent,
    UnansweredQuestion,
)
from bot.db.repositories import _dialect, mark_changed


class StaffCredentialRepository:
    """Web desk passwords (hashes only) and failed sign-ins."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, name: str) -> StaffCredential | None:
        return await self.session.get(StaffCredential, name)

    async def set_password(self, name: str, password_hash: str, now: dt.datetime) -> None:
        """Store a new password hash and lift any lock."""
        found = await self.get(name)
        if found is None:
            self.session.add(StaffCredential(name=name, password_hash=password_hash,
                                             failed_logins=0, locked_until=None,
                                             generation=0, updated_at=now))
            return
        found.password_hash, found.failed_logins, found.locked_until = password_hash, 0, None
        found.generation += 1                               # old sessions end with it
        found.updated_at = now

    async def failed(self, name: str, now: dt.datetime, lock_after: int,
                     lock_for: dt.timedelta) -> dt.datetime | None:
        """Count a failed sign-in; the time the name is locked until, once it is locked."""
        found = await self.get(name)
        if found is None:
            return None
        found.failed_logins += 1
        if found.failed_logins >= lock_after:
            found.locked_until, found.failed_logins = now + lock_for, 0
        found.updated_at = now
        return found.locked_until

    async def sign_out(self, name: str, now: dt.datetime) -> None:
        """Every session of this name issued until now is void."""
        await self.session.execute(update(StaffCredential).where(StaffCredential.name == name)
                                   .values(generation=StaffCredential.generation + 1,
                                           updated_at=now))
        mark_changed(self.session)

    async def succeeded(self, name: str, now: dt.datetime) -> None:
        """A right password: the failures are forgotten."""
        await self.session.execute(update(StaffCredential).where(StaffCredential.name == name)
                                   .values(failed_logins=0, locked_until=None, updated_at=now))
        mark_changed(self.session)


@dataclass(frozen=True)
class TicketFilter:
    """Which tickets a desk page lists; None means any."""

    created_from: dt.datetime | None = None     # inclusive
    created_to: dt.datetime | None = None       # exclusive
    buildings: Sequence[str] | None = None      # a leader's buildings; None = all
    or_assigned_to: str | None = None           # ... and whatever is handed to this person
    without_kinds: Sequence[str] = ()           # 找人工 consultations are staff's only
    kind: str | None = None
    state: str | None = None
    category: str | None = None
    building: str | None = None
    assignee: str | None = None
    done_from: dt.datetime | None = None        # resolved (a wish: closed) from ...
    done_to: dt.datetime | None = None          # ... until (exclusive)


class DeskRepository:
    """Tickets for the dashboard, the lists and the exports."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tickets(self, which: TicketFilter, limit: int | None = None) -> list[Ticket]:
        """The tickets matching the filter, newest first."""
        query = select(Ticket)
        if which.created_from is not None:
            query = query.where(Ticket.created_at >= which.created_from)
        if which.created_to is not None:
            query = query.where(Ticket.created_at < which.created_to)
        if which.buildings is not None:
            mine = Ticket.building.in_(list(which.buildings))
            query = query.where(or_(mine, Ticket.assignee == which.or_assigned_to)
                                if which.or_assigned_to else mine)
        if which.without_kinds:
            query = query.where(Ticket.kind.not_in(list(which.without_kinds)))
        for column, value in ((Ticket.kind, which.kind), (Ticket.state, which.state),
                              (Ticket.category, which.category),
                              (Ticket.building, which.building),
                              (Ticket.assignee, which.assignee)):
            if value is not None:
                query = query.where(column == value)
        if which.done_from is not None and which.done_to is not None:
            done = func.coalesce(Ticket.resolved_at, case(
                (Ticket.kind == "wish", Ticket.closed_at), else_=None))
            query = query.where(done >= which.done_from, done < which.done_to)
        query = query.order_by(Ticket.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return list((await self.session.execute(query)).scalars())

    async def reopened(self, ticket_ids: Sequence[int]) -> set[int]:
        """Which of these tickets were reopened at least once."""
        if not ticket_ids:
            return set()
        rows = await self.session.execute(
            select(TicketEvent.ticket_id).where(TicketEvent.action == "reopened",
                                                TicketEvent.ticket_id.in_(list(ticket_ids)))
            .distinct())
        return {int(row) for row in rows.scalars()}

    async def history(self, ticket_id: int) -> list[TicketEvent]:
        """A ticket's audit events, oldest first."""
        return list((await self.session.execute(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id))).scalars())

    async def phone_of(self, resident_id: int | None) -> str | None:
        """The phone a resident gave, if any (the desk shows it masked)."""
        if resident_id is None:
            return None
        resident = await self.session.get(Resident, resident_id)
        return resident.phone if resident is not None else None


PICK_WINDOW = dt.timedelta(hours=1)     # a choice picked this soon settles its clarification


class UnansweredRepository:
    """Questions the bot could not answer outright, and what became of them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, kind: str, text: str, session_key: str, candidates: Sequence[str],
            now: dt.datetime) -> None:
        self.session.add(UnansweredQuestion(at=now, kind=kind, text=text[:500],
                                            session_key=session_key,
                                            candidates=",".join(candidates[:3])))

    async def picked(self, session_key: str, item: str, now: dt.datetime) -> None:
        """The resident picked `item` from the choices of their latest clarification."""
        latest = (await self.session.execute(
            select(UnansweredQuestion).where(
                UnansweredQuestion.session_key == session_key,
                UnansweredQuestion.kind == "clarify", UnansweredQuestion.picked.is_(None),
                UnansweredQuestion.at >= now - PICK_WINDOW)
            .order_by(UnansweredQuestion.id.desc()).limit(1))).scalar_one_or_none()
        if latest is not None:
            latest.picked = item

    async def open(self, since: dt.datetime, limit: int = 2000) -> list[UnansweredQuestion]:
        """Those still waiting for staff: fallbacks, rejections and clarifications nobody
        picked from, newest first."""
        return list((await self.session.execute(
            select(UnansweredQuestion).where(
                UnansweredQuestion.at >= since, UnansweredQuestion.resolved_as.is_(None),
                UnansweredQuestion.picked.is_(None))
            .order_by(UnansweredQuestion.id.desc()).limit(limit))).scalars())

    async def forget_before(self, before: dt.datetime) -> int:
        """Delete the questions asked before `before` (residents' words are not kept for
        ever); how many went."""
        result = await self.session.execute(
            delete(UnansweredQuestion).where(UnansweredQuestion.at < before))
        mark_changed(self.session)
        return max(getattr(result, "rowcount", 0) or 0, 0)

    async def resolve(self, ids: Sequence[int], item: str) -> None:
        """These questions are answered by `item` from now on (an alias was added)."""
        await self.session.execute(update(UnansweredQuestion).where(
            UnansweredQuestion.id.in_(list(ids))).values(resolved_as=item))
        mark_changed(self.session)


class ConsultationCountRepository:
    """The bot's answered questions per day and category, added to in batches."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, rows: Sequence[TallyRow]) -> None:
        """Add a batch of counts to the stored ones (one statement per row)."""
        insert = (postgresql_insert if _dialect(self.session) == "postgresql"
                  else sqlite_insert)
        for row in rows:
            statement = insert(ConsultationCount).values(
                day=row.day, category=row.category, answered=row.answered,
                on_the_spot=row.on_the_spot)
            await self.session.execute(statement.on_conflict_do_update(
                index_elements=["day", "category"], set_={
                    "answered": ConsultationCount.answered + statement.excluded.answered,
                    "on_the_spot": ConsultationCount.on_the_spot
                    + statement.excluded.on_the_spot}))
        if rows:
            mark_changed(self.session)

    async def between(self, start: dt.date, end: dt.date) -> list[ConsultationCount]:
        """The counts of the days from `start` to `end` (inclusive)."""
        return list((await self.session.execute(
            select(ConsultationCount).where(ConsultationCount.day >= start,
                                            ConsultationCount.day <= end))).scalars())
