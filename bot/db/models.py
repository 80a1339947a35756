"""Tables of the ticket layer: residents, tickets and their history, the notification outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    """The current time, timezone-aware (UTC)."""
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect
                           ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass timezone-aware times to the database")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect
                             ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base; timestamps are UTC and timezone-aware."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UtcDateTime()}


class Resident(Base):
    """A person who talks to the bot, known by one or more platform identities."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    building: Mapped[str | None] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(16))
    room: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    # True when the resident said where they live (我住9号楼, the roster); False when the
    # building was only remembered from a report (then it is confirmed before it is used).
    building_said: Mapped[bool] = mapped_column(Boolean, default=False,
                                                server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    anonymised_at: Mapped[dt.datetime | None] = mapped_column()


class Identity(Base):
    """(platform, platform user id) -> resident."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "user_id"),
                      Index("ix_identities_resident", "resident_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))


class LinkCode(Base):
    """A one-time code that links another platform identity to a resident."""

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    expires_at: Mapped[dt.datetime] = mapped_column()


class Ticket(Base):
    """An issue report (R0123), a 微心愿 (W0045) or a resident asking for a person (C0007)."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))                  # report, wish, consult
    category: Mapped[str | None] = mapped_column(String(32))      # report category id
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    building: Mapped[str | None] = mapped_column(String(32))
    location: Mapped[str | None] = mapped_column(String(64))      # 3楼, 楼道, 地下车库
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="new")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id",
                                                               ondelete="SET NULL"))
    assignee: Mapped[str | None] = mapped_column(String(64))      # leader/staff; None = duty
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime | None] = mapped_column()
    paused_since: Mapped[dt.datetime | None] = mapped_column()
    reminded_at: Mapped[dt.datetime | None] = mapped_column()
    # The first response (claim, progress, reply, done): due_at is its deadline.
    responded_at: Mapped[dt.datetime | None] = mapped_column()
    escalated_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    thank_you: Mapped[str | None] = mapped_column(Text)
    # The resident's 1-5 rating (满意度) after confirming a repair or a fulfilled wish.
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[dt.datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_tickets_resident", "resident_id"),
        Index("ix_tickets_building_category", "building", "category", "state"),
        Index("ix_tickets_assignee_state", "assignee", "state"),
    )
    # Optimistic locking: two leaders claiming at once, the second update finds no row.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own attribute)

    @property
    def code(self) -> str:
        """The code residents and leaders use: R0123 for a report, W0045 for a wish."""
        return ticket_code(self.kind, self.id)


CODE_PREFIXES = {"report": "R", "wish": "W", "consult": "C"}


def ticket_code(kind: str, ticket_id: int) -> str:
    """R0123 / W0045 / C0007: the kind's letter and the id, at least four digits."""
    return f"{CODE_PREFIXES.get(kind, 'R')}{ticket_id:04d}"


def parse_ticket_code(code: str) -> tuple[str, int] | None:
    """("report", 123) for "R0123" (any case); None if it is not a ticket code."""
    code = code.strip().upper()
    kind = next((k for k, p in CODE_PREFIXES.items() if code.startswith(p)), None)
    if kind is None or not code[1:].isdigit():
        return None
    return kind, int(code[1:])


class TicketFollower(Base):
    """A neighbour who reported the same problem ("me too") and is told of progress."""

    __tablename__ = "ticket_followers"
    __table_args__ = (UniqueConstraint("ticket_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))


class TicketEvent(Base):
    """One change of a ticket: who, when, what, from which platform (the audit trail)."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(96))
    platform: Mapped[str] = mapped_column(String(16), default="")
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")


class TicketPhoto(Base):
    """A photo attached to a ticket (a platform media id or URL)."""

    __tablename__ = "ticket_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(512))
    added_by: Mapped[str] = mapped_column(String(96), default="")
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A notification written in the same transaction as the change it announces."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    recipient: Mapped[str] = mapped_column(String(96))   # resident:12, leader:李琳, staff:王建华
    text: Mapped[str] = mapped_column(Text)
    # Buttons the message carries, one command per line ("接单 R0012", "1"): see Reply.actions.
    actions: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)


class ProcessedMessage(Base):
    """A platform message already handled (deduplication of redeliveries)."""

    __tablename__ = "processed_messages"

    key: Mapped[str] = mapped_column(String(192), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    reply: Mapped[str] = mapped_column(Text, default="")


class Conversation(Base):
    """A person's conversation state: pending choices or a report/wish flow in progress."""

    __tablename__ = "conversations"

    key: Mapped[str] = mapped_column(String(192), primary_key=True)
    state: Mapped[str] = mapped_column(Text)            # JSON
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class SchedulerLease(Base):
    """Which worker runs the scheduler: one holder at a time, until its lease runs out."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column()


class StaffCredential(Base):
    """A staff member's or leader's password for the web desk (`yizhan staff passwd`), and
    the failed sign-ins that lock it for a while."""

    __tablename__ = "staff_credentials"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)   # roster name
    password_hash: Mapped[str] = mapped_column(String(256))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    # Counts up when the person signs out or gets a new password: a session cookie carries
    # the count it was issued with, and one with an older count is void.
    generation: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UnansweredQuestion(Base):
    """A resident's question the bot could not answer outright: fallen back, clarified (until
    the resident picks a choice), or answered and then rejected (不是这个). Staff review them
    and turn the common ones into aliases."""

    __tablename__ = "unanswered_questions"
    __table_args__ = (Index("ix_unanswered_at", "at"),
                      Index("ix_unanswered_session", "session_key", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))            # fallback, clarify, rejected
    text: Mapped[str] = mapped_column(Text)                  # as written, phones masked
    session_key: Mapped[str] = mapped_column(String(192))
    candidates: Mapped[str] = mapped_column(Text, default="")   # best items, comma-separated
    picked: Mapped[str | None] = mapped_column(String(64))   # the choice a clarification got
    resolved_as: Mapped[str | None] = mapped_column(String(64))  # the item staff added it to


class ConsultationCount(Base):
    """Questions the bot answered outright, per day and catalogue category (written behind in
    batches, never a row per question)."""

    __tablename__ = "consultation_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    on_the_spot: Mapped[int] = mapped_column(Integer, default=0)   # about 当场办结 items


# -- bookings: meal orders, delivery for elders, counter appointments --------------------------
# 订饭 F0012, 送餐 S0003, 预约 Y0007
ORDER_PREFIX, ELDER_PREFIX, APPOINTMENT_PREFIX = "F", "S", "Y"


class DeliveryElder(Base):
    """An elder signed up for meals delivered to the door (S0003), with the standing order
    staff approve: which meal, which set, how many, on which weekdays."""

    __tablename__ = "delivery_elders"
    __table_args__ = (Index("ix_delivery_elders_resident", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # who signed them up (the elder, a family member or a volunteer): they may order for them
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id",
                                                               ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(32))          # 王阿婆
    kin: Mapped[str] = mapped_column(String(16), default="")   # 妈: how the family calls them
    building: Mapped[str] = mapped_column(String(32))
    room: Mapped[str] = mapped_column(String(16), default="")
    age: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32), default="")   # 独居, 失能, 重残...
    state: Mapped[str] = mapped_column(String(16), default="pending")  # approved, declined,
    meal: Mapped[str] = mapped_column(String(16), default="lunch")     # lunch, dinner, both
    choice: Mapped[str] = mapped_column(String(8), default="A")        # A, B
    portions: Mapped[int] = mapped_column(Integer, default=1)
    weekdays: Mapped[str] = mapped_column(String(7), default="0123456")   # 0 = Monday
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(96))

    @property
    def code(self) -> str:
        """S0003."""
        return f"{ELDER_PREFIX}{self.id:04d}"


class DeliveryPause(Base):
    """Days an elder's standing delivery stops (下礼拜去女儿家), first and last included."""

    __tablename__ = "delivery_pauses"
    __table_args__ = (Index("ix_delivery_pauses_elder", "elder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("delivery_elders.id", ondelete="CASCADE"))
    first: Mapped[dt.date] = mapped_column(Date)
    last: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MealStop(Base):
    """What the kitchen cannot serve: a meal point closed for a day and meal (weather, a
    holiday), or a dish or set sold out (`dish`). New orders for it are refused."""

    __tablename__ = "meal_stops"
    __table_args__ = (Index("ix_meal_stops_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    meal: Mapped[str] = mapped_column(String(16), default="")    # "": every meal of the day
    point: Mapped[str] = mapped_column(String(16), default="")   # "": every point
    dish: Mapped[str] = mapped_column(String(32), default="")    # "": the point is closed
    why: Mapped[str] = mapped_column(String(64), default="")
    by: Mapped[str] = mapped_column(String(96), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MealOrder(Base):
    """One meal ordered for one day (F0012): a set or chosen dishes, at a meal point or
    delivered. What is owed is recorded; payment stays at the counter."""

    __tablename__ = "meal_orders"
    __table_args__ = (Index("ix_meal_orders_day", "day", "meal", "state"),
                      Index("ix_meal_orders_resident", "resident_id", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id",
                                                               ondelete="SET NULL"))
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_elders.id",
                                                            ondelete="SET NULL"))
    diner: Mapped[str] = mapped_column(String(32), default="")   # "" : the resident
    point: Mapped[str] = mapped_column(String(16))               # a meal point id, "delivery"
    day: Mapped[dt.date] = mapped_column(Date)
    meal: Mapped[str] = mapped_column(String(16))
    choice: Mapped[str] = mapped_column(String(8))               # A, B, dishes
    dishes: Mapped[str] = mapped_column(Text, default="")        # 红烧肉、清炒时蔬
    portions: Mapped[int] = mapped_column(Integer, default=1)
    owed: Mapped[int] = mapped_column(Integer, default=0)        # yuan, paid at the counter
    state: Mapped[str] = mapped_column(String(16), default="active")   # cancelled
    note: Mapped[str] = mapped_column(String(128), default="")   # why the station cancelled
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def code(self) -> str:
        """F0012."""
        return f"{ORDER_PREFIX}{self.id:04d}"


class Appointment(Base):
    """A slot at the counter booked for an affairs item (Y0007). A slot has `capacity` seats;
    a booked seat is unique, so two residents taking the last one at once get one booking."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ux_appointments_seat", "day", "start", "seat", unique=True,
              postgresql_where=text("state = 'booked'"), sqlite_where=text("state = 'booked'")),
        Index("ix_appointments_resident", "resident_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id",
                                                               ondelete="SET NULL"))
    item_id: Mapped[str] = mapped_column(String(8))
    day: Mapped[dt.date] = mapped_column(Date)
    start: Mapped[str] = mapped_column(String(5))                # "09:30"
    seat: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="booked")   # cancelled, done, no_show
    reminded_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    marked_by: Mapped[str | None] = mapped_column(String(96))

    @property
    def code(self) -> str:
        """Y0007."""
        return f"{APPOINTMENT_PREFIX}{self.id:04d}"
