"""The state every worker shares, one contract for the memory and the database versions (on
SQLite and PostgreSQL): values that expire, and claims that only the first caller gets."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.channels.base import MemorySharedState, SharedState
from bot.db.database import Database
from bot.db.shared_state import DatabaseSharedState
from bot.db.unit_of_work import UnitOfWork

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["memory", "database"])
def state(request: pytest.FixtureRequest, database: Database) -> SharedState:
    if request.param == "memory":
        return MemorySharedState()
    return DatabaseSharedState(lambda: UnitOfWork(database.sessions))


async def test_values_are_kept_until_they_expire(state: SharedState) -> None:
    await state.put("token", {"value": "abc"}, NOW + dt.timedelta(hours=2))
    assert await state.get("token", NOW) == {"value": "abc"}
    assert await state.get("token", NOW + dt.timedelta(hours=3)) is None
    await state.put("token", {"value": "def"}, None)
    assert await state.get("token", NOW + dt.timedelta(days=9)) == {"value": "def"}


async def test_only_the_first_caller_gets_a_claim_until_it_is_released(
        state: SharedState) -> None:
    later = NOW + dt.timedelta(hours=48)
    taken = await asyncio.gather(*(state.claim("reply:wechat_mp:77:1", later)
                                   for _ in range(5)))
    assert sorted(taken) == [False] * 4 + [True]
    assert not await state.claim("reply:wechat_mp:77:1", later)
    assert await state.claim("reply:wechat_mp:77:2", later)      # another piece
    await state.release("reply:wechat_mp:77:1")
    assert await state.claim("reply:wechat_mp:77:1", later)


async def test_a_value_advances_only_forward(state: SharedState) -> None:
    later = NOW + dt.timedelta(hours=48)

    async def advance(opened_at: int, expires_at: dt.datetime | None = later,
                      now: dt.datetime = NOW) -> bool:
        stored = await state.advance({"window:77": ({"opened_at": opened_at, "sent": 0},
                                                    expires_at)}, "opened_at", now)
        return stored == {"window:77"}

    assert await advance(100)
    await state.put("window:77", {"opened_at": 100, "sent": 3}, later)
    # An older or the same message (a retried delivery) changes nothing...
    assert not await advance(90)
    assert not await advance(100)
    assert await state.get("window:77", NOW) == {"opened_at": 100, "sent": 3}
    # ... a later one opens a new window, and so does any once the old one has expired.
    assert await advance(120)
    assert await state.get("window:77", NOW) == {"opened_at": 120, "sent": 0}
    assert await advance(50, None, later + dt.timedelta(hours=1))


async def test_several_values_advance_at_once_each_only_forward(state: SharedState) -> None:
    later = NOW + dt.timedelta(hours=48)
    await state.put("window:1", {"opened_at": 100, "sent": 2}, later)
    await state.put("window:2", {"opened_at": 100, "sent": 2}, later)
    stored = await state.advance({
        "window:1": ({"opened_at": 90, "sent": 0}, later),       # older: kept as it was
        "window:2": ({"opened_at": 110, "sent": 0}, later),      # newer: moved on
        "window:3": ({"opened_at": 5, "sent": 0}, later)}, "opened_at", NOW)   # new
    assert stored == {"window:2", "window:3"}
    assert await state.get("window:1", NOW) == {"opened_at": 100, "sent": 2}
    assert await state.get("window:2", NOW) == {"opened_at": 110, "sent": 0}
    assert await state.get("window:3", NOW) == {"opened_at": 5, "sent": 0}
    assert await state.advance({}, "opened_at", NOW) == set()


async def test_workers_advancing_the_same_values_in_opposite_orders_both_store(
        state: SharedState) -> None:
    """Rows are written in key order: two transactions never lock them crosswise (which
    PostgreSQL ends as a deadlock, failing one worker's windows)."""
    later = NOW + dt.timedelta(hours=48)
    for round_ in range(1, 6):
        keys = [f"window:{n:03d}" for n in range(120)]
        values = {key: ({"opened_at": round_, "sent": 0}, later) for key in keys}
        backwards = dict(reversed(values.items()))
        await asyncio.gather(state.advance(values, "opened_at", NOW),
                             state.advance(backwards, "opened_at", NOW))
        assert await state.get("window:077", NOW) == {"opened_at": round_, "sent": 0}
