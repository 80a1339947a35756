"""Repositories: reading and staging changes. They never commit; the unit of work does."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
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
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.conversation.state import (
    QUESTIONS_FOR,
    ConversationState,
    OpenQuestions,
    decode_questions,
    decode_state,
    encode_questions,
    encode_state,
)
from bot.db.errors import ConcurrentChange
from bot.db.models import (
    Base,
    Conversation,
    Identity,
    LinkCode,
    OutboxMessage,
    ProcessedMessage,
    Resident,
    SchedulerLease,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketPhoto,
    parse_ticket_code,
    utcnow,
)

OPEN_STATES = ("new", "claimed", "in_progress", "reopened", "transferred")
# States in which a ticket still waits for its first response (the deadline runs).
AWAITING_RESPONSE = ("new", "transferred", "reopened")
# A staff member's conversation with a resident (a consult answered with 回复) lasts this long.
CONSULT_CONVERSATION = dt.timedelta(days=1)
CONVERSATIONS = Conversation.metadata.tables[Conversation.__tablename__]


def _live(now: ColumnElement[Any]) -> ColumnElement[bool]:
    """A conversation row that has not expired at `now`."""
    return or_(Conversation.expires_at.is_(None), Conversation.expires_at > now)


def _waiting_for_answer() -> ColumnElement[bool]:
    """A ticket whose leader or staff member waits for its resident's answer (a staff
    member's conversation, a consult, lasts a day)."""
    return and_(Ticket.paused_since.is_not(None), Ticket.state.in_(OPEN_STATES),
                or_(Ticket.kind != "consult", Ticket.paused_since > bindparam("consult_since")))


def _newest_open_report(column: Any) -> Any:
    """One column of the newest open report the sender made or follows (a correlated scalar
    subquery)."""
    follows = exists().where(TicketFollower.ticket_id == Ticket.id,
                             TicketFollower.resident_id == Resident.id)
    return (select(column).where(or_(Ticket.resident_id == Resident.id, follows),
                                 Ticket.kind == "report", Ticket.state.in_(OPEN_STATES))
            .order_by(Ticket.id.desc()).limit(1).correlate(Resident).scalar_subquery())


def _message_context() -> Select[Any]:
    """The statement behind `SqlConversationStore.context`, built once."""
    now: ColumnElement[dt.datetime] = bindparam("now")
    earlier = select(ProcessedMessage.reply).where(
        ProcessedMessage.key == bindparam("processed_key")).scalar_subquery()
    state = select(Conversation.state).where(
        Conversation.key == bindparam("key"), _live(now)).scalar_subquery()
    personal = select(Conversation.state).where(
        Conversation.key == literal("resident:") + cast(Resident.id, String),
        _live(now)).correlate(Resident).scalar_subquery()
    # Who waits for the sender's answer: a staff member in a conversation (consult, for a day)
    # comes before a leader who asked about a report.
    waiting = (select(Ticket.kind).where(Ticket.resident_id == Resident.id,
                                         _waiting_for_answer())
        .order_by((Ticket.kind == "consult").desc(), Ticket.id.desc()).limit(1)
        .correlate(Resident).scalar_subquery())
    one_row = select(literal(1).label("one")).subquery()
    return (select(Resident, earlier, state, personal, waiting, _newest_open_report(Ticket.id),
                   _newest_open_report(Ticket.category), _newest_open_report(Ticket.building),
                   _newest_open_report(Ticket.created_at), _newest_open_report(Ticket.urgency),
                   _newest_open_report(Ticket.resident_id))
            .select_from(one_row)
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
CONVERSATION_STATES = select(CONVERSATIONS.c.key, CONVERSATIONS.c.state).where(
    CONVERSATIONS.c.key.in_(bindparam("keys", expanding=True)), _live(bindparam("now")))
SET_CONVERSATION_SQLITE = _set_conversation(sqlite_insert)
SET_CONVERSATION_POSTGRESQL = _set_conversation(postgresql_insert)
CLAIM_SQLITE = sqlite_insert(CONVERSATIONS).on_conflict_do_nothing(
    index_elements=[CONVERSATIONS.c.key])
CLAIM_POSTGRESQL = postgresql_insert(CONVERSATIONS).on_conflict_do_nothing(
    index_elements=[CONVERSATIONS.c.key])
DELETE_CONVERSATION = CONVERSATIONS.delete().where(CONVERSATIONS.c.key == bindparam("key"))


class StagedInserts:
    """Rows for one table, written with one plain INSERT when the unit of work commits.

    An ORM flush of a few small objects costs more than the rest of a message; these rows are
    never read back in the unit that writes them (audit events, notifications, processed keys).
    """

    def __init__(self, session: AsyncSession, table: str, once_per_key: bool = False) -> None:
        self._session = session
        self._table = Base.metadata.tables[table]
        self._once_per_key = once_per_key    # a row whose key exists already is skipped
        self._rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        """Stage one row."""
        self._rows.append(row)
        mark_changed(self._session)

    async def write(self) -> None:
        """Insert the staged rows (a duplicate key raises IntegrityError, unless the table
        writes once per key: then the duplicate is skipped)."""
        rows, self._rows = self._rows, []
        if not rows:
            return
        if self._once_per_key:
            insert = (postgresql_insert if _dialect(self._session) == "postgresql"
                      else sqlite_insert)
            await self._session.execute(insert(self._table).on_conflict_do_nothing(), rows)
        else:
            await self._session.execute(self._table.insert(), rows)

    def discard(self) -> None:
        """Forget the staged rows (the unit rolls back)."""
        self._rows.clear()


RESIDENT_BY_IDENTITY = (
    select(Resident).join(Identity, Identity.resident_id == Resident.id)
    .where(Identity.platform == bindparam("platform"), Identity.user_id == bindparam("user_id")))
PURGE_PROCESSED = delete(ProcessedMessage).where(ProcessedMessage.at < bindparam("before"))
PURGE_CONVERSATIONS = delete(Conversation).where(Conversation.expires_at < bindparam("before"))
PURGE_LINK_CODES = delete(LinkCode).where(LinkCode.expires_at < bindparam("before"))
PROBLEM_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
OPEN_DUPLICATES = (
    select(Ticket).where(Ticket.kind == "report", Ticket.building == bindparam("building"),
                         Ticket.category == bindparam("category"),
                         Ticket.state.in_(OPEN_STATES), Ticket.created_at >= bindparam("since"))
    .order_by(Ticket.created_at).limit(20))
WAITING_ON = select(Ticket).where(Ticket.resident_id == bindparam("resident_id"),
                                  _waiting_for_answer())
FOLLOWING = select(TicketFollower.id).where(TicketFollower.ticket_id == bindparam("ticket_id"),
                                            TicketFollower.resident_id == bindparam("resident_id"))
FOLLOWERS = select(TicketFollower.resident_id).where(
    TicketFollower.ticket_id == bindparam("ticket_id"))
EVENTS = (select(TicketEvent).where(TicketEvent.ticket_id == bindparam("ticket_id"))
          .order_by(TicketEvent.id))
URGENCY_ORDER = {"emergency": 0, "urgent": 1, "normal": 2}


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

    async def drop_identity(self, platform: str, user_id: str) -> None:
        """Forget one platform identity (the person left that platform)."""
        await self.session.execute(delete(Identity).where(Identity.platform == platform,
                                                          Identity.user_id == user_id))
        mark_changed(self.session)

    async def anonymise(self, resident: Resident, now: dt.datetime) -> None:
        """Empty a resident who left: their tickets stay without them, pending notices to them
        are dropped, and the row stays so that its id is never given to somebody else."""
        await self.session.execute(update(Ticket).where(Ticket.resident_id == resident.id)
                                   .values(resident_id=None))
        await self.session.execute(delete(TicketFollower).where(
            TicketFollower.resident_id == resident.id))
        await self.session.execute(delete(OutboxMessage).where(
            OutboxMessage.recipient == f"resident:{resident.id}",
            OutboxMessage.state == "pending"))
        resident.name, resident.building, resident.unit, resident.room, resident.phone = (
            "", None, None, None, None)
        resident.building_said = False
        resident.anonymised_at = now

    def new_link_code(self, code: str, resident: Resident, expires_at: dt.datetime) -> None:
        """Stage a one-time code linking another platform to this resident."""
        self.session.add(LinkCode(code=code, resident_id=resident.id, expires_at=expires_at))

    async def take_link_code(self, code: str, now: dt.datetime) -> int | None:
        """The resident a live link code belongs to; the code is used up."""
        found = await self.session.get(LinkCode, code)
        if found is None or found.expires_at <= now:
            return None
        await self.session.delete(found)
        return found.resident_id

    async def merge_into(self, resident: Resident, target_id: int) -> None:
        """Give a resident's identities, tickets and followings to another and remove them."""
        await self.session.execute(update(Ticket).where(Ticket.resident_id == resident.id)
                                   .values(resident_id=target_id))
        await self.session.execute(update(Identity).where(Identity.resident_id == resident.id)
                                   .values(resident_id=target_id))
        await self.session.execute(delete(TicketFollower).where(  # already theirs: drop
            TicketFollower.resident_id == resident.id,
            TicketFollower.ticket_id.in_(
                select(TicketFollower.ticket_id).where(TicketFollower.resident_id == target_id)
                .union(select(Ticket.id).where(Ticket.resident_id == target_id)))))
        await self.session.execute(update(TicketFollower).where(
            TicketFollower.resident_id == resident.id).values(resident_id=target_id))
        await self.session.delete(resident)
        mark_changed(self.session)

    async def user_id_on(self, resident_id: int, platform: str) -> str | None:
        """The resident's user id on one platform, if they use it."""
        return (await self.session.execute(select(Identity.user_id).where(
            Identity.resident_id == resident_id, Identity.platform == platform))
        ).scalars().first()


class TicketRepository:
    """Tickets, their followers, photos and audit events."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.staged_events = StagedInserts(session, TicketEvent.__tablename__)

    async def add(self, ticket: Ticket) -> Ticket:
        """Stage a new ticket; its id (and so its code, R0123 / W0045) is known on return."""
        self.session.add(ticket)
        await flush(self.session)
        return ticket

    async def get(self, ticket_id: int) -> Ticket | None:
        """A ticket by id."""
        return await self.session.get(Ticket, ticket_id)

    async def by_code(self, code: str) -> Ticket | None:
        """A ticket by its code (case-insensitive)."""
        parsed = parse_ticket_code(code)
        if parsed is None:
            return None
        found = await self.session.get(Ticket, parsed[1])
        return found if found is not None and found.kind == parsed[0] else None

    async def hold_problem(self, building: str, category: str) -> None:
        """Serialise "is this problem reported already?" per building and category until the
        transaction ends, so that two neighbours reporting at once through two workers make
        one ticket and one follower. PostgreSQL takes a transaction-level advisory lock;
        SQLite needs none (its writers are serialised by BEGIN IMMEDIATE)."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        digest = hashlib.blake2b(f"report|{building}|{category}".encode(), digest_size=8)
        await self.session.execute(PROBLEM_LOCK, {
            "key": int.from_bytes(digest.digest(), "big", signed=True)})

    async def open_duplicates(self, building: str, category: str, since: dt.datetime
                              ) -> list[Ticket]:
        """Open reports of the same building and category since a moment ("me too"), oldest
        first."""
        return list((await self.session.execute(OPEN_DUPLICATES, {
            "building": building, "category": category, "since": since})).scalars())

    async def queue(self, assignee: str | None, kinds: Sequence[str] = ("report", "wish")
                    ) -> list[Ticket]:
        """Open tickets of one person (None: the duty queue), oldest first."""
        condition = (Ticket.assignee.is_(None) if assignee is None
                     else Ticket.assignee == assignee)
        return list((await self.session.execute(
            select(Ticket).where(condition, Ticket.state.in_(OPEN_STATES),
                                 Ticket.kind.in_(kinds))
            .order_by(Ticket.created_at))).scalars())

    async def open_in(self, buildings: Sequence[str] | None,
                      kinds: Sequence[str] = ("report", "wish", "consult")) -> list[Ticket]:
        """Open tickets of some buildings (None: the whole station), most urgent first."""
        statement = select(Ticket).where(Ticket.state.in_(OPEN_STATES), Ticket.kind.in_(kinds))
        if buildings is not None:
            statement = statement.where(Ticket.building.in_(buildings))
        found = list((await self.session.execute(statement.order_by(Ticket.created_at)))
                     .scalars())
        return sorted(found, key=lambda t: (URGENCY_ORDER.get(t.urgency, 2), t.created_at))

    async def of_resident(self, resident_id: int) -> list[Ticket]:
        """A resident's own tickets, newest first."""
        return list((await self.session.execute(
            select(Ticket).where(Ticket.resident_id == resident_id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc()))).scalars())

    async def open_of_resident(self, resident_id: int, kinds: Sequence[str] = ("report",)
                               ) -> list[Ticket]:
        """A resident's open tickets of some kinds, newest first."""
        return list((await self.session.execute(
            select(Ticket).where(Ticket.resident_id == resident_id, Ticket.kind.in_(kinds),
                                 Ticket.state.in_(OPEN_STATES))
            .order_by(Ticket.id.desc()))).scalars())

    async def open_wishes(self) -> list[Ticket]:
        """Open 微心愿 of the whole station, oldest first."""
        return list((await self.session.execute(
            select(Ticket).where(Ticket.kind == "wish", Ticket.state.in_(OPEN_STATES))
            .order_by(Ticket.created_at))).scalars())

    async def waiting_on(self, resident_id: int, now: dt.datetime) -> list[Ticket]:
        """Open tickets whose leader or staff member waits for this resident's answer."""
        return list((await self.session.execute(WAITING_ON, {
            "resident_id": resident_id, "consult_since": now - CONSULT_CONVERSATION})).scalars())

    async def with_deadlines(self) -> list[Ticket]:
        """Tickets the scheduler looks at: open ones, and resolved ones awaiting confirmation."""
        return list((await self.session.execute(select(Ticket).where(
            Ticket.state.in_((*OPEN_STATES, "resolved"))))).scalars())

    async def follow(self, ticket: Ticket, resident_id: int) -> bool:
        """Make a resident a follower; False if they already were."""
        following = (await self.session.execute(FOLLOWING, {
            "ticket_id": ticket.id, "resident_id": resident_id})).first()
        if following:
            return False
        self.session.add(TicketFollower(ticket_id=ticket.id, resident_id=resident_id))
        await flush(self.session)
        return True

    async def unfollow(self, ticket: Ticket, resident_id: int) -> None:
        """A follower no longer follows."""
        await self.session.execute(delete(TicketFollower).where(
            TicketFollower.ticket_id == ticket.id, TicketFollower.resident_id == resident_id))
        mark_changed(self.session)

    async def followers(self, ticket: Ticket) -> list[int]:
        """Residents following a ticket."""
        return list((await self.session.execute(FOLLOWERS, {
            "ticket_id": ticket.id})).scalars())

    async def reporters(self, ticket: Ticket) -> list[int]:
        """The resident who reported a ticket and the neighbours who follow it."""
        followers = await self.followers(ticket)
        own = [ticket.resident_id] if ticket.resident_id is not None else []
        return own + [f for f in followers if f not in own]

    async def followed_by(self, resident_id: int) -> list[Ticket]:
        """Tickets a resident follows, newest first."""
        return list((await self.session.execute(
            select(Ticket).join(TicketFollower, TicketFollower.ticket_id == Ticket.id)
            .where(TicketFollower.resident_id == resident_id)
            .order_by(Ticket.id.desc()))).scalars())

    def add_photo(self, ticket: Ticket, ref: str, added_by: str) -> None:
        """Stage a photo of a ticket."""
        self.session.add(TicketPhoto(ticket_id=ticket.id, ref=ref, added_by=added_by))

    async def photo_count(self, ticket: Ticket) -> int:
        """How many photos a ticket has."""
        return int((await self.session.execute(select(func.count(TicketPhoto.id)).where(
            TicketPhoto.ticket_id == ticket.id))).scalar_one())

    async def thanked(self, limit: int = 10) -> list[Ticket]:
        """Fulfilled wishes with a resident's thank-you line, newest first."""
        return list((await self.session.execute(
            select(Ticket).where(Ticket.thank_you.is_not(None))
            .order_by(Ticket.updated_at.desc()).limit(limit))).scalars())

    async def counts(self) -> list[tuple[str, str, int]]:
        """(kind, state, how many) over every ticket."""
        rows = await self.session.execute(select(Ticket.kind, Ticket.state, func.count())
                                          .group_by(Ticket.kind, Ticket.state))
        return [(kind, state, int(count)) for kind, state, count in rows.all()]

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
        self.staged = StagedInserts(session, OutboxMessage.__tablename__, once_per_key=True)

    def add(self, key: str, recipient: str, text: str, actions: Sequence[str] = ()) -> None:
        """Stage a notification (written on commit). A key already written is not written
        again: a reminder or escalation the scheduler stages twice goes out once. `actions`
        are the buttons it carries, each a command ("接单 R0012")."""
        self.staged.add({"idempotency_key": key, "recipient": recipient, "text": text,
                         "actions": "\n".join(actions)})

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
        mark_changed(self.session)
        return bool(getattr(result, "rowcount", 0))

    async def sent(self, message_id: int, now: dt.datetime) -> None:
        """A notification was delivered."""
        await self._set(message_id, state="sent", sent_at=now, last_error=None)

    async def failed(self, message_id: int, error: str) -> None:
        """A notification failed for good (every retry spent)."""
        await self._set(message_id, state="failed", last_error=error)

    async def retry_at(self, message_id: int, when: dt.datetime, error: str) -> None:
        """A notification failed this time; it is tried again at `when`."""
        await self._set(message_id, next_attempt_at=when, last_error=error)

    async def _set(self, message_id: int, **values: Any) -> None:
        await self.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                                   .values(**values))
        mark_changed(self.session)

    async def failures(self, limit: int = 10) -> list[OutboxMessage]:
        """Notifications that could not be delivered, newest first."""
        return list((await self.session.execute(
            select(OutboxMessage).where(OutboxMessage.state == "failed")
            .order_by(OutboxMessage.id.desc()).limit(limit))).scalars())

    async def retry(self, message_id: int, now: dt.datetime) -> bool:
        """Put a failed notification back in the queue, to be sent now (staff pressed 重发);
        whether there was such a failed notification."""
        result = await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.state == "failed")
            .values(state="pending", attempts=0, next_attempt_at=now))
        mark_changed(self.session)
        return bool(getattr(result, "rowcount", 0))

    async def counts(self) -> list[tuple[str, int]]:
        """(state, how many) over every notification."""
        rows = await self.session.execute(select(OutboxMessage.state, func.count())
                                          .group_by(OutboxMessage.state))
        return [(state, int(count)) for state, count in rows.all()]

    async def drop_pending_to(self, recipient: str) -> None:
        """Drop the notifications still waiting for one recipient."""
        await self.session.execute(delete(OutboxMessage).where(
            OutboxMessage.recipient == recipient, OutboxMessage.state == "pending"))
        mark_changed(self.session)


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


class RetentionRepository:
    """Rows that only serve for a while: processed-message keys (deduplicating redeliveries),
    expired conversation states and shared values, expired link codes. Tickets, their events
    and notifications are kept."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def purge(self, before: dt.datetime) -> int:
        """Delete what ended before `before`; how many rows went."""
        gone = 0
        for statement in (PURGE_PROCESSED, PURGE_CONVERSATIONS, PURGE_LINK_CODES):
            result = await self.session.execute(statement, {"before": before})
            gone += max(getattr(result, "rowcount", 0) or 0, 0)
        mark_changed(self.session)
        return gone


class LeaseRepository:
    """Named leases: which worker runs a background job (the deadline scheduler)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def take(self, name: str, holder: str, now: dt.datetime, lease: dt.timedelta
                   ) -> bool:
        """Take or keep a lease; False while another holder's lease runs. A lease two
        workers create at the same moment fails one of them at commit."""
        found = await self.session.get(SchedulerLease, name)
        if found is None:
            self.session.add(SchedulerLease(name=name, holder=holder, expires_at=now + lease))
            return True
        result = await self.session.execute(
            update(SchedulerLease).where(
                SchedulerLease.name == name,
                (SchedulerLease.holder == holder) | (SchedulerLease.expires_at <= now))
            .values(holder=holder, expires_at=now + lease)
            .execution_options(synchronize_session=False))
        mark_changed(self.session)
        return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class OpenReport:
    """The newest open report the sender made or follows, as the message context reads it."""

    id: int
    category: str | None
    building: str | None
    created_at: dt.datetime
    urgency: str = "normal"
    own: bool = True                        # False: a neighbour's, which the sender follows


@dataclass(frozen=True)
class MessageContext:
    """What the database knows about the sender of a message, read in one query."""

    resident: Resident | None
    earlier_reply: str | None               # this very message was handled before
    state: ConversationState                # this conversation: choices, a draft...
    questions: OpenQuestions                # what the bot asked the resident and waits for
    waiting: str | None                     # who waits for an answer: "consult", "report"...
    open_report: OpenReport | None          # the resident's newest open report


class SqlConversationStore:
    """The ConversationStore over the conversations table, inside the unit of work; one
    statement per read or write. `context` also reads everything about the sender at once."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def context(self, platform: str, user_id: str, key: str,
                      processed_key: str | None, now: dt.datetime) -> MessageContext:
        """The sender, this conversation's state, their open questions, their newest open
        report and whether the message was handled already, in one round trip (the sender
        may be unknown yet)."""
        row = (await self.session.execute(MESSAGE_CONTEXT, {
            "platform": platform, "user_id": user_id, "key": key,
            "processed_key": processed_key or "", "now": now,
            "consult_since": now - CONSULT_CONVERSATION})).one()
        report = (OpenReport(int(row[5]), row[6], row[7], _aware(row[8]), row[9] or "normal",
                             row[0] is not None and row[10] == row[0].id)
                  if row[5] is not None else None)
        return MessageContext(row[0], row[1], decode_state(row[2]).live(now),
                              decode_questions(row[3]), row[4], report)

    async def load(self, key: str, now: dt.datetime) -> ConversationState:
        """The live state of a conversation (empty when there is none)."""
        return decode_state(await self._get(key, now)).live(now)

    async def save(self, key: str, state: ConversationState) -> None:
        """Keep a conversation's state until its parts expire; an empty state is forgotten."""
        if state.empty:
            await self.forget(key)
        else:
            await self._set(key, encode_state(state), state.expires_at)

    async def forget(self, key: str) -> None:
        """Drop a conversation's state."""
        await self.session.execute(DELETE_CONVERSATION, {"key": key})
        mark_changed(self.session)

    async def load_questions(self, resident_id: int, now: dt.datetime) -> OpenQuestions:
        """What the bot still waits for from a resident."""
        return decode_questions(await self._get(questions_key(resident_id), now))

    async def save_questions(self, resident_id: int, questions: OpenQuestions,
                             now: dt.datetime) -> None:
        """Keep a resident's open questions (for a week); none left, none kept."""
        if questions.empty:
            await self.forget(questions_key(resident_id))
        else:
            await self._set(questions_key(resident_id), encode_questions(questions),
                            now + QUESTIONS_FOR)

    async def _get(self, key: str, now: dt.datetime) -> str | None:
        found: str | None = (await self.session.execute(CONVERSATION_STATE, {
            "key": key, "now": now})).scalar_one_or_none()
        return found

    async def _set(self, key: str, state: str, expires_at: dt.datetime | None) -> None:
        await set_conversation_row(self.session, key, state, expires_at)


class SharedValues:
    """Small JSON values every worker reads (access tokens, send quotas), in the
    conversations table under their own prefix."""

    PREFIX = "shared:"

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str, now: dt.datetime) -> dict[str, Any] | None:
        """The value, or None when absent or expired."""
        text = (await self.session.execute(CONVERSATION_STATE, {
            "key": self.PREFIX + key, "now": now})).scalar_one_or_none()
        if text is None:
            return None
        value: dict[str, Any] = json.loads(text)
        return value

    async def put(self, key: str, value: dict[str, Any], expires_at: dt.datetime | None
                  ) -> None:
        """Store a value, replacing any earlier one."""
        await set_conversation_row(self.session, self.PREFIX + key,
                                   json.dumps(value, ensure_ascii=False), expires_at)

    async def get_many(self, keys: Sequence[str], now: dt.datetime
                       ) -> dict[str, dict[str, Any]]:
        """The live values of those keys that have one, in one statement."""
        rows = await self.session.execute(CONVERSATION_STATES, {
            "keys": [self.PREFIX + key for key in keys], "now": now})
        return {key.removeprefix(self.PREFIX): json.loads(state) for key, state in rows}

    async def put_many(self, values: Mapping[str, tuple[dict[str, Any], dt.datetime | None]]
                       ) -> None:
        """Store several values, replacing any earlier ones, in one statement (in key order:
        two workers writing the same keys lock their rows in the same order, never crosswise,
        which PostgreSQL would end as a deadlock)."""
        statement = (SET_CONVERSATION_POSTGRESQL if _dialect(self.session) == "postgresql"
                     else SET_CONVERSATION_SQLITE)
        stamp = utcnow()
        await self.session.execute(statement, [
            {"key": self.PREFIX + key, "state": json.dumps(value, ensure_ascii=False),
             "expires_at": expires_at, "updated_at": stamp}
            for key, (value, expires_at) in sorted(values.items())])
        mark_changed(self.session)


    async def first(self, key: str, value: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        """The stored value, storing `value` first when there is none: every worker gets the
        first one stored (a secret made once for all of them)."""
        statement = (CLAIM_POSTGRESQL if _dialect(self.session) == "postgresql"
                     else CLAIM_SQLITE)
        await self.session.execute(statement, {
            "key": self.PREFIX + key, "state": json.dumps(value, ensure_ascii=False),
            "expires_at": None, "updated_at": utcnow()})
        mark_changed(self.session)
        stored = await self.get(key, now)
        return stored if stored is not None else value

    async def claim(self, key: str, expires_at: dt.datetime) -> bool:
        """Insert the key unless present; whether this call inserted it."""
        statement = (CLAIM_POSTGRESQL if _dialect(self.session) == "postgresql"
                     else CLAIM_SQLITE)
        result = await self.session.execute(statement, {
            "key": self.PREFIX + key, "state": "{}", "expires_at": expires_at,
            "updated_at": utcnow()})
        mark_changed(self.session)
        return bool(getattr(result, "rowcount", 0))

    async def release(self, key: str) -> None:
        """Delete a claim."""
        await self.session.execute(DELETE_CONVERSATION, {"key": self.PREFIX + key})
        mark_changed(self.session)


async def set_conversation_row(session: AsyncSession, key: str, state: str,
                               expires_at: dt.datetime | None) -> None:
    """Insert or replace one row of the conversations table, in the dialect's syntax."""
    statement = (SET_CONVERSATION_POSTGRESQL if _dialect(session) == "postgresql"
                 else SET_CONVERSATION_SQLITE)
    await session.execute(statement, {"key": key, "state": state, "expires_at": expires_at,
                                      "updated_at": utcnow()})
    mark_changed(session)


async def ping(session: AsyncSession) -> None:
    """One trivial statement: the database answers."""
    await session.execute(text("SELECT 1"))


def questions_key(resident_id: int) -> str:
    """The conversations-table key of a resident's open questions."""
    return f"resident:{resident_id}"


async def flush(session: AsyncSession) -> None:
    """Write the staged ORM changes now, inside the transaction (a conflict with a concurrent
    change raises ConcurrentChange)."""
    try:
        await session.flush()
    except (IntegrityError, StaleDataError) as exc:
        raise ConcurrentChange(str(exc)) from exc


def mark_changed(session: AsyncSession) -> None:
    """Note that a statement outside the ORM wrote something in this unit of work."""
    session.info["changed"] = True


def has_changes(session: AsyncSession) -> bool:
    """Whether this unit of work wrote or staged anything."""
    return bool(session.new or session.dirty or session.deleted or session.info.get("changed"))


def _aware(value: Any) -> dt.datetime:
    """A timestamp from a raw column (SQLite gives text or a naive time) as UTC-aware."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _dialect(session: AsyncSession) -> str:
    bind = session.bind
    return bind.dialect.name if bind is not None else ""
