"""The scheduler's lease: one worker at a time, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.db.database import Database
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.tickets.people import StationPeople
from bot.tickets.routing import TicketRouter
from bot.tickets.scheduler import LEASE, TicketScheduler

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def scheduler(knowledge: Knowledge, database: Database, holder: str) -> TicketScheduler:
    return TicketScheduler(knowledge, TicketRouter(knowledge.roster),
                           StationPeople(knowledge.roster), lambda: UnitOfWork(database.sessions),
                           holder)


async def test_one_holder_at_a_time_until_the_lease_runs_out(
        knowledge: Knowledge, database: Database) -> None:
    a, b = (scheduler(knowledge, database, name) for name in ("worker-a", "worker-b"))
    first = await asyncio.gather(a.acquire(NOW), b.acquire(NOW))
    assert sorted(first) == [False, True]
    winner, loser = (a, b) if first[0] else (b, a)
    assert await winner.acquire(NOW + LEASE / 2)           # the holder renews
    assert not await loser.acquire(NOW + LEASE / 2)
    assert await loser.acquire(NOW + LEASE * 3)            # the holder went quiet: taken over


async def test_an_empty_database_ticks_quietly(knowledge: Knowledge, database: Database) -> None:
    report = await scheduler(knowledge, database, "w").tick(NOW)
    assert (report.reminded, report.escalated, report.closed) == (0, 0, 0)
