"""One unit of work per incoming message: it owns the transaction; repositories never commit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.exc import StaleDataError

from bot.db.bookings import (
    AppointmentRepository,
    DeliveryRepository,
    MealOrderRepository,
    MealStopRepository,
)
from bot.db.errors import ConcurrentChange
from bot.db.repositories import (
    LeaseRepository,
    OutboxRepository,
    ProcessedMessageRepository,
    ResidentRepository,
    RetentionRepository,
    SharedValues,
    SqlConversationStore,
    StagedInserts,
    TicketRepository,
    has_changes,
    mark_changed,
    ping,
)
from bot.db.staff_desk import (
    ConsultationCountRepository,
    DeskRepository,
    StaffCredentialRepository,
    UnansweredRepository,
)


class UnitOfWorkSession(Session):
    """The ORM session of a unit of work: it notes in `info` that a flush wrote something."""


@event.listens_for(UnitOfWorkSession, "after_flush")
def _flushed(session: Session, transaction: UOWTransaction) -> None:
    session.info["changed"] = True


class UnitOfWork:
    """`async with uow:` opens a session; `await uow.commit()` makes the changes stick.

    Leaving the block without committing (or with an exception) rolls everything back.
    Sessions must be `UnitOfWorkSession`s (as `Database.sessions` makes them). A conflict with
    a concurrent change, met while flushing or committing, raises `ConcurrentChange`.
    """

    session: AsyncSession
    residents: ResidentRepository
    tickets: TicketRepository
    outbox: OutboxRepository
    processed: ProcessedMessageRepository
    conversations: SqlConversationStore
    leases: LeaseRepository
    shared: SharedValues
    retention: RetentionRepository
    credentials: StaffCredentialRepository
    desk: DeskRepository
    unanswered: UnansweredRepository
    consultations: ConsultationCountRepository
    orders: MealOrderRepository
    stops: MealStopRepository
    deliveries: DeliveryRepository
    appointments: AppointmentRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.residents = ResidentRepository(self.session)
        self.tickets = TicketRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.processed = ProcessedMessageRepository(self.session)
        self.conversations = SqlConversationStore(self.session)
        self.leases = LeaseRepository(self.session)
        self.shared = SharedValues(self.session)
        self.retention = RetentionRepository(self.session)
        self.credentials = StaffCredentialRepository(self.session)
        self.desk = DeskRepository(self.session)
        self.unanswered = UnansweredRepository(self.session)
        self.consultations = ConsultationCountRepository(self.session)
        self.orders = MealOrderRepository(self.session)
        self.stops = MealStopRepository(self.session)
        self.deliveries = DeliveryRepository(self.session)
        self.appointments = AppointmentRepository(self.session)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        # Closing ends the transaction; anything not committed is rolled back. Objects loaded
        # in the unit stay readable afterwards (detached, not expired).
        await self.session.close()

    def mark_changed(self) -> None:
        """Note a write made with a plain statement (the ORM notes its own)."""
        mark_changed(self.session)

    @property
    def has_changes(self) -> bool:
        """Whether anything was written or staged in this unit."""
        return has_changes(self.session)

    async def commit(self) -> None:
        """Make every staged change durable, atomically (a conflict raises ConcurrentChange
        and keeps nothing)."""
        try:
            await self.session.flush()  # tickets first: events refer to them
            for staged in self._staged():
                await staged.write()
            await self.session.commit()
        except (IntegrityError, StaleDataError) as exc:
            await self.rollback()
            raise ConcurrentChange(str(exc)) from exc

    async def rollback(self) -> None:
        """Drop every staged change."""
        for staged in self._staged():
            staged.discard()
        await self.session.rollback()

    async def ping(self) -> None:
        """The database answers (health checks)."""
        await ping(self.session)

    def _staged(self) -> tuple[StagedInserts, ...]:
        return (self.tickets.staged_events, self.outbox.staged, self.processed.staged)
