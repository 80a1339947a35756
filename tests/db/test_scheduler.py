"""The scheduler's lease: one worker at a time, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from bot.db.database import Database
from bot.db.models import Conversation, ProcessedMessage
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.tickets.people import StationPeople
from bot.tickets.routing import TicketRouter
from bot.tickets.scheduler import LEASE, TicketScheduler
from intents.engine import IntentEngine
from tests.db.station import Station

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


async def test_old_message_keys_and_expired_states_are_purged_tickets_kept(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    station = Station(knowledge, engine, database)
    await station.say("zhang", "9号楼楼道灯坏了")                  # a ticket, events, outbox
    now = station.now
    async with UnitOfWork(database.sessions) as uow:
        uow.session.add_all([
            ProcessedMessage(key="wechat:old-message", at=now - dt.timedelta(days=1)),
            Conversation(key="gone", state="{}", expires_at=now - dt.timedelta(days=1)),
            Conversation(key="kept", state="{}", expires_at=now + dt.timedelta(days=30)),
            Conversation(key="no-expiry", state="{}", expires_at=None)])
        await uow.commit()
    worker = scheduler(knowledge, database, "w")
    assert (await worker.tick(now + dt.timedelta(days=1))).purged == 0    # within 7 days
    later = now + dt.timedelta(days=8, hours=2)
    assert (await worker.tick(later)).purged >= 2
    assert (await worker.tick(later + dt.timedelta(minutes=1))).purged == 0  # once an hour
    async with UnitOfWork(database.sessions) as uow:
        assert await uow.processed.get("wechat:old-message") is None
        keys = set((await uow.session.execute(select(Conversation.key))).scalars())
        assert {"kept", "no-expiry"} <= keys and "gone" not in keys
    [ticket] = await station.tickets()
    assert ticket.code == "R0001" and await station.outbox()
    async with UnitOfWork(database.sessions) as uow:
        assert await uow.tickets.events(ticket)
