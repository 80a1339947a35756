"""Every database test runs against SQLite and against PostgreSQL (when reachable)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db.database import Database, upgrade_async
from bot.db.unit_of_work import UnitOfWork

POSTGRES_ENV = "YIZHAN_TEST_POSTGRES_URL"


async def _reset_postgres(url: str) -> str | None:
    """Empty the test database; the reason it cannot be used, or None."""
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    except (TimeoutError, OSError) as exc:
        return f"PostgreSQL at {url} is unreachable: {exc}"
    except Exception as exc:
        return f"PostgreSQL at {url} cannot be used: {exc}"
    finally:
        await database.dispose()
    return None


async def empty_database(kind: str, folder: Path) -> Database:
    """A migrated, empty database: SQLite in `folder`, or the test PostgreSQL (skipping the
    test, saying why, where it cannot be used)."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'yizhan.db'}"
    else:
        url = os.environ.get(POSTGRES_ENV, "")
        if not url:
            pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests skipped")
        reason = await _reset_postgres(url)
        if reason:
            pytest.skip(reason)
    await upgrade_async(url)
    return Database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database of each kind."""
    db = await empty_database(request.param, tmp_path)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def uow(database: Database) -> UnitOfWork:
    """A unit of work on the test database (enter it with `async with`)."""
    return UnitOfWork(database.sessions)
