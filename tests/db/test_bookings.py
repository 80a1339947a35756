"""Bookings across workers, on SQLite and PostgreSQL: the last seat of a slot taken by two
residents at once gives one booking; an order confirmed after its cut-off on another worker is
refused."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from bot.db.database import Database
from bot.db.models import Appointment, MealOrder
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import IncomingMessage
from intents.engine import IntentEngine
from tests.db.station import ZONE, Station

WEDNESDAY_9 = "礼拜三上午9点预约办敬老卡"      # 2026-11-25 09:00; a slot has 3 seats


async def _booked(database: Database) -> list[Appointment]:
    async with UnitOfWork(database.sessions) as uow:
        rows = await uow.session.scalars(select(Appointment).where(
            Appointment.state == "booked").order_by(Appointment.id))
        return list(rows)


async def test_two_residents_taking_the_last_seat_at_once_get_one_booking(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    first = Station(knowledge, engine, database)
    other_worker = Database(database.url)
    second = Station(knowledge, engine, other_worker)
    try:
        for n in range(knowledge.bookings.capacity - 1):
            assert "约好了" in await first.say(f"early-{n}", WEDNESDAY_9)
        replies = await asyncio.gather(
            first.dialogue.handle(IncomingMessage("console", "late-a", WEDNESDAY_9)),
            second.dialogue.handle(IncomingMessage("console", "late-b", WEDNESDAY_9)))
        texts = ["\n".join(r.text for r in replies_) for replies_ in replies]
        assert sum("约好了" in t for t in texts) == 1, texts
        refused = next(t for t in texts if "约好了" not in t)
        assert "09:00没有空位了" in refused and "09:30" in refused     # the next free ones
        booked = await _booked(database)
        nine = [b for b in booked if b.start == "09:00" and b.day == dt.date(2026, 11, 25)]
        assert len(nine) == knowledge.bookings.capacity
        assert sorted(b.seat for b in nine) == list(range(1, knowledge.bookings.capacity + 1))
    finally:
        await other_worker.dispose()


async def test_an_order_confirmed_after_its_cut_off_on_another_worker_is_refused(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    first = Station(knowledge, engine, database)
    other_worker = Database(database.url)
    second = Station(knowledge, engine, other_worker)
    try:
        # 桂花苑's lunch closes at 9:30 the same day (bookings.toml).
        first.now = second.now = dt.datetime(2026, 11, 24, 9, 20, tzinfo=ZONE)
        asked = await first.say("han", "今天中午在桂花苑订一份")
        assert "要哪个" in asked
        second.now = dt.datetime(2026, 11, 24, 9, 31, tzinfo=ZONE)
        answer = await second.say("han", "A")
        assert "截止" in answer and "订好了" not in answer
        async with UnitOfWork(database.sessions) as uow:
            assert list(await uow.session.scalars(select(MealOrder))) == []
        # Before the cut-off, the other worker takes it.
        first.now = second.now = dt.datetime(2026, 11, 24, 9, 20, tzinfo=ZONE)
        await first.say("han", "今天中午在桂花苑订一份")
        assert "订好了" in await second.say("han", "A")
        second.now = dt.datetime(2026, 11, 24, 9, 45, tzinfo=ZONE)
        assert "截止" in await second.say("han", "取消今天的饭")
        async with UnitOfWork(database.sessions) as uow:
            orders = list(await uow.session.scalars(select(MealOrder)))
        assert [(o.state, o.portions, o.owed) for o in orders] == [("active", 1, 11)]
    finally:
        await other_worker.dispose()
