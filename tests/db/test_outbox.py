"""The outbox sender, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from bot.db.database import Database
from bot.db.models import OutboxMessage
from bot.db.unit_of_work import UnitOfWork
from bot.messages import DeliveryError, Reply
from bot.tickets.outbox import OutboxPolicy, OutboxSender

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


class RecordingDeliverer:
    """A fake platform: records what it is sent, fails the first `failures` attempts."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, recipient: str, reply: Reply, key: str) -> None:
        await asyncio.sleep(0)
        if self.failures:
            self.failures -= 1
            raise DeliveryError("platform busy")
        self.sent.append((recipient, reply.text, key))


async def stage(database: Database, count: int) -> None:
    async with UnitOfWork(database.sessions) as uow:
        for n in range(count):
            uow.outbox.add(f"R{n:04d}:created", "leader:李琳", f"新工单 R{n:04d}")
        await uow.commit()


async def states(database: Database) -> list[tuple[str, int]]:
    async with UnitOfWork(database.sessions) as uow:
        rows = (await uow.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)))
        return [(m.state, m.attempts) for m in rows.scalars()]


async def test_due_messages_are_sent_once(database: Database) -> None:
    await stage(database, 3)
    platform = RecordingDeliverer()
    sender = OutboxSender(lambda: UnitOfWork(database.sessions), platform)
    report = await sender.deliver_due(NOW)
    assert report.sent == 3 and [r for r, _, _ in platform.sent] == ["leader:李琳"] * 3
    assert (await sender.deliver_due(NOW + dt.timedelta(hours=1))).sent == 0
    assert await states(database) == [("sent", 1)] * 3


async def test_a_failure_is_retried_with_backoff_then_marked_failed(database: Database) -> None:
    await stage(database, 1)
    platform = RecordingDeliverer(failures=10)
    policy = OutboxPolicy(max_attempts=3, first_delay=dt.timedelta(seconds=10))
    sender = OutboxSender(lambda: UnitOfWork(database.sessions), platform, policy)
    assert (await sender.deliver_due(NOW)).retried == 1
    assert (await sender.deliver_due(NOW + dt.timedelta(seconds=5))).retried == 0  # not yet due
    assert (await sender.deliver_due(NOW + dt.timedelta(seconds=11))).retried == 1
    assert (await sender.deliver_due(NOW + dt.timedelta(seconds=40))).failed == 1
    assert await states(database) == [("failed", 3)]
    assert platform.sent == []


async def test_a_retry_succeeds(database: Database) -> None:
    await stage(database, 1)
    platform = RecordingDeliverer(failures=1)
    sender = OutboxSender(lambda: UnitOfWork(database.sessions), platform)
    await sender.deliver_due(NOW)
    assert (await sender.deliver_due(NOW + dt.timedelta(minutes=5))).sent == 1
    assert await states(database) == [("sent", 2)]


async def test_two_workers_never_send_the_same_message_twice(database: Database) -> None:
    await stage(database, 20)
    platform = RecordingDeliverer()
    senders = [OutboxSender(lambda: UnitOfWork(database.sessions), platform) for _ in range(2)]
    await asyncio.gather(*(s.deliver_due(NOW) for s in senders))
    keys = [key for _, _, key in platform.sent]
    assert len(keys) == 20 and len(set(keys)) == 20
