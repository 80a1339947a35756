"""The composition root: configuration in, a ready assistant out. Nothing is built at import.

Everything the product runs is built here once: the knowledge, the intent engine, the database,
the ticket desks, and the dialogue with the route table's handlers, each given its dependencies
by name (as cosmicpython's bootstrap does). The server, the console, `yizhan ask` and the tests
all start from `bootstrap`."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.bookings.desk import BookingDesk
from bot.config import Settings
from bot.consultations import ConsultationTally
from bot.db.database import Database, upgrade
from bot.db.unit_of_work import UnitOfWork
from bot.dialogue import BoundRoute, Dialogue
from bot.kb.loader import load_knowledge
from bot.kb.model import Knowledge
from bot.kb.phrasebook import build_engine
from bot.routes import ROUTES, Route
from bot.tickets.desk import TicketDesk
from bot.tickets.leaders import LeaderDesk
from bot.tickets.outbox import Deliverer, OutboxPolicy, OutboxSender
from bot.tickets.people import StationPeople
from bot.tickets.routing import TicketRouter
from bot.tickets.scheduler import TicketScheduler
from bot.turn import Outcome, Turn
from bot.working_time import WorkingCalendar
from handlers.context import DialogueSettings
from intents.engine import IntentEngine

PER_TURN = ("turn", "uow")   # what every handler receives with each message


def inject(handler: Callable[..., Awaitable[Outcome]], dependencies: Mapping[str, Any]
           ) -> Callable[[Turn, UnitOfWork], Awaitable[Outcome]]:
    """The handler with its other parameters filled from `dependencies` by name."""
    wanted = [name for name in inspect.signature(handler).parameters if name not in PER_TURN]
    missing = [name for name in wanted if name not in dependencies]
    if missing:
        raise TypeError(f"{handler.__module__}.{handler.__name__} needs {', '.join(missing)}, "
                        "which the composition root does not provide")
    return functools.partial(handler, **{name: dependencies[name] for name in wanted})


def bind_routes(routes: tuple[Route, ...], dependencies: Mapping[str, Any]
                ) -> tuple[BoundRoute, ...]:
    """The route table with every handler's dependencies injected."""
    return tuple(BoundRoute(r.name, r.when, inject(r.handler, dependencies), r.recalls_draft)
                 for r in routes)


@dataclass(frozen=True)
class Assistant:
    """Everything built from the settings."""

    settings: Settings
    knowledge: Knowledge
    engine: IntentEngine
    database: Database
    dialogue: Dialogue
    desk: TicketDesk
    leaders: LeaderDesk
    router: TicketRouter
    people: StationPeople
    clock: Callable[[], dt.datetime]          # the station's time, in its time zone
    bookings: BookingDesk

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work on the database."""
        return UnitOfWork(self.database.sessions)

    def notifications(self, deliverer: Deliverer, policy: OutboxPolicy | None = None
                      ) -> OutboxSender:
        """The outbox sender delivering through `deliverer` (channels, or the console)."""
        return OutboxSender(self.unit_of_work, deliverer, policy)

    def scheduler(self, holder: str) -> TicketScheduler:
        """The deadline scheduler, run by whichever worker holds its lease."""
        return TicketScheduler(self.knowledge, self.router, self.people, self.unit_of_work,
                               holder, ZoneInfo(self.settings.chat.timezone),
                               dt.timedelta(days=self.settings.server.retention_days),
                               self.desk.calendar, self.bookings)

    async def introduce(self, platform: str, user_id: str, name: str, building: str) -> None:
        """Record a known resident and where they live (console stories, imports)."""
        async with self.unit_of_work() as uow:
            resident = await uow.residents.get_or_create(platform, user_id, name)
            if self.router.building(building) is not None and (
                    resident.building != building or not resident.building_said):
                resident.building, resident.name, resident.building_said = building, name, True
            await uow.commit()

    async def close(self) -> None:
        """Release the database connections."""
        await self.database.dispose()




def bootstrap(settings: Settings, clock: Callable[[], dt.datetime] | None = None,
              observe: Callable[[str, str], None] | None = None,
              knowledge: Knowledge | None = None, engine: IntentEngine | None = None,
              database: Database | None = None, migrate: bool = True) -> Assistant:
    """Load the knowledge, build the engine, migrate the database and wire the dialogue.

    Call it outside a running event loop: a fresh database is created and migrated here.
    `knowledge`, `engine` and `database` may be given already built (tests build them once)."""
    knowledge = knowledge or load_knowledge(settings.knowledge_dir)
    engine = engine or build_engine(settings, knowledge)
    zone = ZoneInfo(settings.chat.timezone)
    if migrate:
        upgrade(settings.database_url)
    database = database or Database(settings.database_url)
    router = TicketRouter(knowledge.roster)
    holidays = [d for h in knowledge.holidays if h.public for d in h.dates]
    people = StationPeople(knowledge.roster, knowledge.station.office_hours, holidays)
    calendar = WorkingCalendar.of_station(knowledge.station.office_hours, holidays,
                                          knowledge.workdays, zone)
    desk = TicketDesk(knowledge, router, people, zone, calendar)
    leaders = LeaderDesk(knowledge, router, people, zone, settings.server.notice_groups,
                         calendar)

    station_clock = clock or (lambda: dt.datetime.now(zone))
    bookings = BookingDesk(knowledge, calendar, zone)
    dependencies: dict[str, Any] = {
        "knowledge": knowledge, "desk": desk, "leaders": leaders, "router": router,
        "people": people, "bookings": bookings,
        "settings": DialogueSettings(settings.chat.session_minutes,
                                     settings.chat.max_reply_chars,
                                     settings.engine.clarify_choices),
    }
    dialogue = Dialogue(engine, people, knowledge.report_places + knowledge.outside_places,
                        bind_routes(ROUTES, dependencies), lambda: UnitOfWork(database.sessions),
                        station_clock, observe, ConsultationTally(knowledge))
    return Assistant(settings, knowledge, engine, database, dialogue, desk, leaders, router,
                     people, station_clock, bookings)
