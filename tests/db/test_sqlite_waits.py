"""SQLite's statements run on the event loop's thread: a worker meeting another's write waits
for it without stalling the loop, and gives up after BUSY_SECONDS."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bot.db import database as database_module
from bot.db.database import Database, upgrade_async
from bot.db.unit_of_work import UnitOfWork


async def _two_workers(folder: Path) -> tuple[Database, Database]:
    url = f"sqlite+aiosqlite:///{folder / 'yizhan.db'}"
    await upgrade_async(url)
    return Database(url), Database(url)


async def _store(database: Database, key: str) -> None:
    async with UnitOfWork(database.sessions) as uow:
        await uow.shared.put(key, {"by": key}, None)
        await uow.commit()


async def test_a_write_waits_for_another_workers_without_stalling_the_loop(
        tmp_path: Path) -> None:
    first, second = await _two_workers(tmp_path)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(tick())
    try:
        async with UnitOfWork(first.sessions) as holder:
            await holder.shared.put("first", {"by": "first"}, None)   # holds the write lock
            waiting = asyncio.create_task(_store(second, "second"))
            await asyncio.sleep(0.3)
            assert not waiting.done()        # the other worker waits...
            assert ticks >= 5                # ...while the loop goes on
            await holder.commit()
        await asyncio.wait_for(waiting, 5)   # and writes once the lock is free
        async with UnitOfWork(first.sessions) as uow:
            assert await uow.shared.get_many(["first", "second"], _now()) == {
                "first": {"by": "first"}, "second": {"by": "second"}}
    finally:
        ticking.cancel()
        await first.dispose()
        await second.dispose()


async def test_a_write_held_up_too_long_fails_and_keeps_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_module, "BUSY_SECONDS", 0.2)
    first, second = await _two_workers(tmp_path)
    try:
        async with UnitOfWork(first.sessions) as holder:
            await holder.shared.put("first", {"by": "first"}, None)
            with pytest.raises(OperationalError, match="locked"):
                await asyncio.wait_for(_store(second, "second"), 5)
            await holder.commit()
        async with UnitOfWork(second.sessions) as uow:
            assert await uow.shared.get_many(["first", "second"], _now()) == {
                "first": {"by": "first"}}
    finally:
        await first.dispose()
        await second.dispose()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
