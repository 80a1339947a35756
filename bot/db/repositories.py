"""Repositories: reading and staging changes. They never commit; the unit of work does."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Conversation,
    Identity,
    OutboxMessage,
    ProcessedMessage,
    Resident,
    Ticket,
    TicketEvent,
    TicketFollower,
    utcnow,
)

OPEN_STATES = ("new", "claimed", "in_progress", "reopened", "transferred")


class ResidentRepository:
    """Residents and their platform identities."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_identity(self, platform: str, user_id: str) -> Resident | None:
        """The resident behind a platform identity, if known."""
        return (await self.session.execute(
            select(Resident).join(Identity, Identity.resident_id == Resident.id)
            .where(Identity.platform == platform, Identity.user_id == user_id)
        )).scalar_one_or_none()

    async def get_or_create(self, platform: str, user_id: str, name: str = "") -> Resident:
        """The resident behind an identity, created on first contact."""
        found = await self.by_identity(platform, user_id)
        if found is not None:
            return found
        try:
            async with self.session.begin_nested():
                resident = Resident(name=name)
                self.session.add(resident)
                await self.session.flush()
                self.session.add(Identity(platform=platform, user_id=user_id,
                                          resident_id=resident.id))
                await self.session.flush()
        except IntegrityError:  # the same person's first two messages raced: use the winner
            winner = await self.by_identity(platform, user_id)
            if winner is None:
                raise
            return winner
        return resident

    async def get(self, resident_id: int) -> Resident | None:
        """A resident by id."""
        return await self.session.get(Resident, resident_id)


class TicketRepository:
    """Tickets, their followers and their audit events."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, ticket: Ticket, prefix: str) -> Ticket:
        """Stage a new ticket and give it its code (R0123 / W0045) from its id."""
        self.session.add(ticket)
        await self.session.flush()
        ticket.code = f"{prefix}{ticket.id:04d}"
        await self.session.flush()
        return ticket

    async def by_code(self, code: str) -> Ticket | None:
        """A ticket by its code (case-insensitive)."""
        return (await self.session.execute(
            select(Ticket).where(Ticket.code == code.upper()))).scalar_one_or_none()

    async def open_duplicate(self, building: str, category: str, since: dt.datetime
                             ) -> Ticket | None:
        """An open report of the same building and category since a moment ("me too")."""
        return (await self.session.execute(
            select(Ticket).where(Ticket.kind == "report", Ticket.building == building,
                                 Ticket.category == category, Ticket.state.in_(OPEN_STATES),
                                 Ticket.created_at >= since)
            .order_by(Ticket.created_at).limit(1))).scalar_one_or_none()

    async def queue(self, assignee: str | None, kinds: Sequence[str] = ("report", "wish")
                    ) -> list[Ticket]:
        """Open tickets of one leader (None: the duty queue), oldest first."""
        condition = (Ticket.assignee.is_(None) if assignee is None
                     else Ticket.assignee == assignee)
        return list((await self.session.execute(
            select(Ticket).where(condition, Ticket.state.in_(OPEN_STATES),
                                 Ticket.kind.in_(kinds))
            .order_by(Ticket.created_at))).scalars())

    async def of_resident(self, resident_id: int) -> list[Ticket]:
        """A resident's own tickets, newest first."""
        return list((await self.session.execute(
            select(Ticket).where(Ticket.resident_id == resident_id)
            .order_by(Ticket.created_at.desc()))).scalars())

    async def open_wishes(self) -> list[Ticket]:
        """Open 微心愿 of the whole station, oldest first."""
        return list((await self.session.execute(
            select(Ticket).where(Ticket.kind == "wish", Ticket.state.in_(OPEN_STATES))
            .order_by(Ticket.created_at))).scalars())

    async def waiting_on(self, resident_id: int) -> list[Ticket]:
        """Open tickets whose leader is waiting for this resident's answer (clock paused)."""
        return list((await self.session.execute(
            select(Ticket).where(Ticket.resident_id == resident_id,
                                 Ticket.paused_since.is_not(None),
                                 Ticket.state.in_(OPEN_STATES)))).scalars())

    async def follow(self, ticket: Ticket, resident_id: int) -> bool:
        """Make a resident a follower; False if they already were."""
        exists = (await self.session.execute(select(TicketFollower.id).where(
            TicketFollower.ticket_id == ticket.id,
            TicketFollower.resident_id == resident_id))).first()
        if exists:
            return False
        self.session.add(TicketFollower(ticket_id=ticket.id, resident_id=resident_id))
        return True

    async def followers(self, ticket: Ticket) -> list[int]:
        """Residents following a ticket."""
        return list((await self.session.execute(select(TicketFollower.resident_id).where(
            TicketFollower.ticket_id == ticket.id))).scalars())

    def record(self, ticket: Ticket, actor: str, action: str, detail: str = "",
               platform: str = "") -> None:
        """Stage an audit event."""
        self.session.add(TicketEvent(ticket_id=ticket.id, actor=actor, action=action,
                                     detail=detail, platform=platform))

    async def events(self, ticket: Ticket) -> list[TicketEvent]:
        """A ticket's history, oldest first."""
        return list((await self.session.execute(select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))).scalars())


class OutboxRepository:
    """Notifications waiting to be delivered."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, key: str, recipient: str, text: str) -> None:
        """Stage a notification; the key makes a retried change write it once."""
        self.session.add(OutboxMessage(idempotency_key=key, recipient=recipient, text=text))

    async def due(self, now: dt.datetime, limit: int = 100) -> list[OutboxMessage]:
        """Pending notifications whose next attempt is due, oldest first."""
        return list((await self.session.execute(
            select(OutboxMessage).where(
                OutboxMessage.state == "pending",
                (OutboxMessage.next_attempt_at.is_(None))
                | (OutboxMessage.next_attempt_at <= now))
            .order_by(OutboxMessage.id).limit(limit))).scalars())

    async def claim(self, message_id: int, attempts: int, now: dt.datetime,
                    lease: dt.timedelta) -> bool:
        """Take a message for delivery; False if another worker took it first.

        The attempt counter is the guard: only the worker that saw `attempts` can raise it.
        """
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.state == "pending",
                   OutboxMessage.attempts == attempts)
            .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + lease)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))


class ProcessedMessageRepository:
    """Platform messages already handled, so a redelivery has no second effect."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> ProcessedMessage | None:
        """The record of a handled message."""
        return await self.session.get(ProcessedMessage, key)

    def add(self, key: str, reply: str) -> None:
        """Stage the record of a handled message (its key is the primary key)."""
        self.session.add(ProcessedMessage(key=key, reply=reply))


class ConversationRepository:
    """Per-person conversation state as JSON."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str, now: dt.datetime | None = None) -> dict[str, Any] | None:
        """The state of a conversation, if any and not expired."""
        row = await self.session.get(Conversation, key)
        if row is None:
            return None
        if row.expires_at is not None and row.expires_at <= (now or utcnow()):
            return None
        state: dict[str, Any] = json.loads(row.state)
        return state

    async def set(self, key: str, state: dict[str, Any], expires_at: dt.datetime | None
                  ) -> None:
        """Store a conversation's state."""
        row = await self.session.get(Conversation, key)
        text = json.dumps(state, ensure_ascii=False)
        if row is None:
            self.session.add(Conversation(key=key, state=text, expires_at=expires_at))
        else:
            row.state, row.expires_at, row.updated_at = text, expires_at, utcnow()

    async def delete(self, key: str) -> None:
        """Forget a conversation."""
        row = await self.session.get(Conversation, key)
        if row is not None:
            await self.session.delete(row)
