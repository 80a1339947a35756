"""Repositories: reading and staging changes. They never commit; the unit of work does."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    String,
    Table,
    and_,
    bindparam,
    cast,
    exists,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Base,
    Conversation,
    Identity,
    OutboxMessage,
    ProcessedMessage,
    Resident,
    Ticket,
    TicketEvent,
    TicketFollower,
    parse_ticket_code,
    utcnow,
)

OPEN_STATES = ("new", "claimed", "in_progress", "reopened", "transferred")
CONVERSATIONS = Conversation.metadata.tables[Conversation.__tablename__]


def _live(now: ColumnElement[Any]) -> ColumnElement[bool]:
    """A conversation row that has not expired at `now`."""
    return or_(Conversation.expires_at.is_(None), Conversation.expires_at > now)


def _message_context() -> Select[Resident, str, str, str, bool]:
    """The statement behind `ConversationRepository.context`, built once."""
    now: ColumnElement[dt.datetime] = bindparam("now")
    earlier = select(ProcessedMessage.reply).where(
        ProcessedMessage.key == bindparam("processed_key")).scalar_subquery()
    state = select(Conversation.state).where(
        Conversation.key == bindparam("key"), _live(now)).scalar_subquery()
    personal = select(Conversation.state).where(
        Conversation.key == literal("resident:") + cast(Resident.id, String),
        _live(now)).correlate(Resident).scalar_subquery()
    waiting = exists().where(Ticket.resident_id == Resident.id,
                             Ticket.paused_since.is_not(None),
                             Ticket.state.in_(OPEN_STATES)).correlate(Resident)
    one_row = select(literal(1).label("one")).subquery()
    return (select(Resident, earlier, state, personal, waiting).select_from(one_row)
            .outerjoin(Identity, and_(Identity.platform == bindparam("platform"),
                                      Identity.user_id == bindparam("user_id")))
            .outerjoin(Resident, Resident.id == Identity.resident_id))


def _set_conversation(insert: Callable[[Table], Any]) -> Executable:
    """Insert-or-replace of one conversation row, in a dialect's ON CONFLICT syntax."""
    statement = insert(CONVERSATIONS)
    result: Executable = statement.on_conflict_do_update(
        index_elements=[CONVERSATIONS.c.key],
        set_={k: statement.excluded[k] for k in ("state", "expires_at", "updated_at")})
    return result


# The statements of the per-message path, built once with bound parameters: building one and
# its cache key takes more Python time than SQLite takes to run it.
MESSAGE_CONTEXT = _message_context()
CONVERSATION_STATE = select(CONVERSATIONS.c.state).where(
    CONVERSATIONS.c.key == bindparam("key"), _live(bindparam("now")))
SET_CONVERSATION_SQLITE = _set_conversation(sqlite_insert)
SET_CONVERSATION_POSTGRESQL = _set_conversation(postgresql_insert)
DELETE_CONVERSATION = CONVERSATIONS.delete().where(CONVERSATIONS.c.key == bindparam("key"))
class StagedInserts:
    """Rows for one table, written with one plain INSERT when the unit of work commits.

    An ORM flush of a few small objects costs more than the rest of a message; these rows are
    never read back in the unit that writes them (audit events, notifications, processed keys).
    """

    def __init__(self, session: AsyncSession, table: str) -> None:
        self._session = session
        self._insert = Base.metadata.tables[table].insert()
        self._rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        """Stage one row."""
        self._rows.append(row)
        mark_changed(self._session)

    async def write(self) -> None:
        """Insert the staged rows (a duplicate key raises IntegrityError)."""
        rows, self._rows = self._rows, []
        if rows:
            await self._session.execute(self._insert, rows)

    def discard(self) -> None:
        """Forget the staged rows (the unit rolls back)."""
        self._rows.clear()
RESIDENT_BY_IDENTITY = (
    select(Resident).join(Identity, Identity.resident_id == Resident.id)
    .where(Identity.platform == bindparam("platform"), Identity.user_id == bindparam("user_id")))
OPEN_DUPLICATE = (
    select(Ticket).where(Ticket.kind == "report", Ticket.building == bindparam("building"),
                         Ticket.category == bindparam("category"),
                         Ticket.state.in_(OPEN_STATES), Ticket.created_at >= bindparam("since"))
    .order_by(Ticket.created_at).limit(1))
WAITING_ON = select(Ticket).where(Ticket.resident_id == bindparam("resident_id"),
                                  Ticket.paused_since.is_not(None),
                                  Ticket.state.in_(OPEN_STATES))
FOLLOWING = select(TicketFollower.id).where(TicketFollower.ticket_id == bindparam("ticket_id"),
                                            TicketFollower.resident_id == bindparam("resident_id"))
FOLLOWERS = select(TicketFollower.resident_id).where(
    TicketFollower.ticket_id == bindparam("ticket_id"))
EVENTS = (select(TicketEvent).where(TicketEvent.ticket_id == bindparam("ticket_id"))
          .order_by(TicketEvent.id))


class ResidentRepository:
    """Residents and their platform identities."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_identity(self, platform: str, user_id: str) -> Resident | None:
        """The resident behind a platform identity, if known."""
        return (await self.session.execute(RESIDENT_BY_IDENTITY, {
            "platform": platform, "user_id": user_id})).scalar_one_or_none()

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

    async def identities(self, resident_id: int) -> list[Identity]:
        """Every platform identity linked to a resident."""
        return list((await self.session.execute(
            select(Identity).where(Identity.resident_id == resident_id))).scalars())


class TicketRepository:
    """Tickets, their followers and their audit events."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.staged_events = StagedInserts(session, TicketEvent.__tablename__)

    async def add(self, ticket: Ticket) -> Ticket:
        """Stage a new ticket; its id (and so its code, R0123 / W0045) is known on return."""
        self.session.add(ticket)
        await self.session.flush()
        return ticket

    async def by_code(self, code: str) -> Ticket | None:
        """A ticket by its code (case-insensitive)."""
        parsed = parse_ticket_code(code)
        if parsed is None:
            return None
        found = await self.session.get(Ticket, parsed[1])
        return found if found is not None and found.kind == parsed[0] else None

    async def open_duplicate(self, building: str, category: str, since: dt.datetime
                             ) -> Ticket | None:
        """An open report of the same building and category since a moment ("me too")."""
        return (await self.session.execute(OPEN_DUPLICATE, {
            "building": building, "category": category, "since": since})).scalar_one_or_none()

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
        return list((await self.session.execute(WAITING_ON, {
            "resident_id": resident_id})).scalars())

    async def follow(self, ticket: Ticket, resident_id: int) -> bool:
        """Make a resident a follower; False if they already were."""
        following = (await self.session.execute(FOLLOWING, {
            "ticket_id": ticket.id, "resident_id": resident_id})).first()
        if following:
            return False
        self.session.add(TicketFollower(ticket_id=ticket.id, resident_id=resident_id))
        return True

    async def followers(self, ticket: Ticket) -> list[int]:
        """Residents following a ticket."""
        return list((await self.session.execute(FOLLOWERS, {
            "ticket_id": ticket.id})).scalars())

    def record(self, ticket: Ticket, actor: str, action: str, detail: str = "",
               platform: str = "") -> None:
        """Stage an audit event (written on commit)."""
        self.staged_events.add({"ticket_id": ticket.id, "actor": actor, "action": action,
                                "detail": detail, "platform": platform})

    async def events(self, ticket: Ticket) -> list[TicketEvent]:
        """A ticket's history, oldest first."""
        return list((await self.session.execute(EVENTS, {"ticket_id": ticket.id})).scalars())


class OutboxRepository:
    """Notifications waiting to be delivered."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.staged = StagedInserts(session, OutboxMessage.__tablename__)

    def add(self, key: str, recipient: str, text: str) -> None:
        """Stage a notification (written on commit); the key makes a retried change write it
        once."""
        self.staged.add({"idempotency_key": key, "recipient": recipient, "text": text})

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
        self.staged = StagedInserts(session, ProcessedMessage.__tablename__)

    async def get(self, key: str) -> ProcessedMessage | None:
        """The record of a handled message."""
        return await self.session.get(ProcessedMessage, key)

    def add(self, key: str, reply: str) -> None:
        """Stage the record of a handled message; the unit of work writes it on commit."""
        self.staged.add({"key": key, "reply": reply})


@dataclass(frozen=True)
class MessageContext:
    """What the database knows about the sender of a message, read in one query."""

    resident: Resident | None
    earlier_reply: str | None               # this very message was handled before
    state: dict[str, Any] | None            # this conversation: a flow or pending choices
    personal: dict[str, Any] | None         # the resident's open question (confirm, thanks)
    waiting: bool                           # a leader waits for this resident's answer


class ConversationRepository:
    """Per-person conversation state as JSON, written with one statement each."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def context(self, platform: str, user_id: str, key: str,
                      processed_key: str | None, now: dt.datetime) -> MessageContext:
        """The sender, this conversation's state, their open question and whether the message
        was handled already, in one round trip (the sender may be unknown yet)."""
        row = (await self.session.execute(MESSAGE_CONTEXT, {
            "platform": platform, "user_id": user_id, "key": key,
            "processed_key": processed_key or "", "now": now})).one()
        return MessageContext(row[0], row[1], _json(row[2]), _json(row[3]), bool(row[4]))

    async def get(self, key: str, now: dt.datetime | None = None) -> dict[str, Any] | None:
        """The state of a conversation, if any and not expired."""
        text = (await self.session.execute(CONVERSATION_STATE, {
            "key": key, "now": now or utcnow()})).scalar_one_or_none()
        return _json(text)

    async def set(self, key: str, state: dict[str, Any], expires_at: dt.datetime | None
                  ) -> None:
        """Store a conversation's state (insert or replace)."""
        statement = (SET_CONVERSATION_POSTGRESQL if _dialect(self.session) == "postgresql"
                     else SET_CONVERSATION_SQLITE)
        await self.session.execute(statement, {
            "key": key, "state": json.dumps(state, ensure_ascii=False),
            "expires_at": expires_at, "updated_at": utcnow()})
        mark_changed(self.session)

    async def delete(self, key: str) -> None:
        """Forget a conversation."""
        await self.session.execute(DELETE_CONVERSATION, {"key": key})
        mark_changed(self.session)


def mark_changed(session: AsyncSession) -> None:
    """Note that a statement outside the ORM wrote something in this unit of work."""
    session.info["changed"] = True


def has_changes(session: AsyncSession) -> bool:
    """Whether this unit of work wrote or staged anything."""
    return bool(session.new or session.dirty or session.deleted or session.info.get("changed"))


def _json(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    state: dict[str, Any] = json.loads(text)
    return state


def _dialect(session: AsyncSession) -> str:
    bind = session.bind
    return bind.dialect.name if bind is not None else ""
