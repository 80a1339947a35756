"""The async engine, its sessions, and migrating the schema to the current version."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import re
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState

from bot.db.unit_of_work import UnitOfWorkSession

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def safe_url(url: str) -> str:
    """The URL as it may be shown: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """One engine per process; sessions are opened by units of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, object] = {}
        if make_url(url).get_backend_name() == "sqlite":
            # SQLite has one writer at a time. One connection per process makes transactions
            # queue on the pool (an asyncio wait) instead of in SQLite's busy handler, which
            # sleeps in steps of up to 100 ms; other processes still wait on the busy timeout.
            path = make_url(url).database or ":memory:"
            kwargs.update(async_creator=partial(_connect_sqlite, path), pool_size=1,
                          max_overflow=0, pool_timeout=60, pool_reset_on_return=None)
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _sqlite_transactions(self.engine)
        # No autoflush: a unit of work writes its changes once, at commit (a ticket changed
        # before a read is not written twice, and its version moves by one).
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False, autoflush=False,
            sync_session_class=UnitOfWorkSession)

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite database."""
        return self.engine.dialect.name == "sqlite"

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def _connect_sqlite(path: str) -> aiosqlite.Connection:
    """An aiosqlite connection whose statements run on the event loop's thread (see
    `_InlineConnection`); SQLite's own busy wait is off."""
    connection = _InlineConnection(partial(
        sqlite3.connect, path, timeout=0, isolation_level=None, check_same_thread=False),
        iter_chunk_size=64)
    # As SQLAlchemy's own connect does: a connection nobody closed must not keep the process
    # alive. (Before aiosqlite 0.22 the connection was itself the thread.)
    thread: Any = getattr(connection, "_thread", connection)
    thread.daemon = True
    return await connection


BUSY_SECONDS = 30.0     # how long a statement waits for another process's write to end
FIRST_PAUSE, LONGEST_PAUSE = 0.001, 0.05


class _InlineConnection(aiosqlite.Connection):
    """aiosqlite whose statements, commits and rollbacks run on the event loop's thread.

    SQLAlchemy's adapter sends every statement to aiosqlite's thread and back: a trip costs
    more than the small statements of a message (in WAL mode, with synchronous=NORMAL, a
    commit is an append, not an fsync). Run inline, SQLite's busy wait would stall the whole
    loop while another process writes, so it is off: a statement that finds the database
    locked is tried again after an asynchronous pause, for up to BUSY_SECONDS. (Connecting
    and closing still use aiosqlite's thread.)"""

    def cursor(self) -> _OneTripCursor:  # type: ignore[override]
        return _OneTripCursor(self)

    async def run(self, function: Callable[[sqlite3.Connection], None]) -> None:
        """Call `function` with the sqlite3 connection, here, until the database lets it."""
        loop = asyncio.get_running_loop()
        until, pause = loop.time() + BUSY_SECONDS, FIRST_PAUSE
        while True:
            try:
                function(self._conn)
                return
            except sqlite3.OperationalError as error:
                if not _locked(error) or loop.time() >= until:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)

    async def commit(self) -> None:
        await self.run(sqlite3.Connection.commit)

    async def rollback(self) -> None:
        await self.run(sqlite3.Connection.rollback)


def _locked(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds the database."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)


class _OneTripCursor:
    """The cursor SQLAlchemy's adapter uses: a statement runs and its rows are read in one
    call (the adapter would open, execute, fetch and close a cursor, each awaited)."""

    arraysize = 1

    def __init__(self, connection: _InlineConnection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> _OneTripCursor:
        return self

    async def execute(self, sql: str, parameters: Any = ()) -> None:
        await self._connection.run(partial(self._run, "execute", sql, parameters))

    async def executemany(self, sql: str, parameters: Any) -> None:
        await self._connection.run(partial(self._run, "executemany", sql, parameters))

    def _run(self, method: str, sql: str, parameters: Any, connection: sqlite3.Connection
             ) -> None:
        cursor = connection.cursor()
        try:
            getattr(cursor, method)(sql, parameters)
            self.description = cursor.description
            self._rows = deque(cursor.fetchall() if cursor.description else ())
            self.rowcount, self.lastrowid = cursor.rowcount, cursor.lastrowid
        finally:
            cursor.close()

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return [self._rows.popleft()
                for _ in range(min(size or self.arraysize, len(self._rows)))]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()


def _sqlite_transactions(engine: AsyncEngine) -> None:
    """Let SQLAlchemy, not the sqlite3 driver, begin transactions (so savepoints nest properly).

    The driver otherwise starts transactions lazily and a released SAVEPOINT commits for real.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL: readers do not block the writer, and a commit is one append, not two fsyncs.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "reset")
    def _reset(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
        # A unit of work has committed or rolled back before its connection comes back;
        # roll back only a transaction something left open (the pool's own reset would
        # roll back every time, one more trip to the SQLite thread per message).
        if state.asyncio_safe and dbapi_connection.driver_connection.in_transaction:
            dbapi_connection.rollback()


def alembic_config(url: str) -> Config:
    """Alembic configuration for a database URL (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the schema to `revision` (runs Alembic; call from outside an event loop).

    Several workers may start at once: they migrate one at a time (a file lock beside a SQLite
    database, an advisory lock on PostgreSQL in the migration environment)."""
    if revision == "head" and current_revision(url) == head_revision():
        return      # at head already: Alembic is not even imported
    from alembic import command

    with _file_lock(url):
        command.upgrade(alembic_config(url), revision)


_REVISION = re.compile(r'^(down_revision|revision)\s*(?::[^=]*)?=\s*["\']?([\w]+|None)["\']?',
                       re.MULTILINE)


def head_revision() -> str:
    """The newest migration's revision, read from the migration files (the one no other
    migration names as its down_revision)."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = {m.group(1): m.group(2)
                 for m in _REVISION.finditer(path.read_text(encoding="utf-8"))}
        revisions.add(found["revision"])
        downs.add(found.get("down_revision", "None"))
    heads = revisions - downs
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def current_revision(url: str) -> str | None:
    """The revision the database is at, or None (a new database, or none reachable: then
    Alembic, run next, says what is wrong). Call outside a running event loop."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:") or not Path(parsed.database).exists():
            return None
        try:
            with contextlib.closing(sqlite3.connect(parsed.database)) as connection:
                row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:
            return None
        return str(row[0]) if row else None
    return asyncio.run(_current_revision(url))


async def _current_revision(url: str) -> str | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(
                text("SELECT version_num FROM alembic_version"))).first()
    except Exception:       # no table yet, or no database: Alembic decides
        return None
    finally:
        await engine.dispose()
    return str(row[0]) if row else None


@contextlib.contextmanager
def _file_lock(url: str) -> Iterator[None]:
    """An exclusive lock on `<database file>.migrate.lock` for a SQLite file; else nothing."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        yield
        return
    path = Path(f"{parsed.database}.migrate.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """`upgrade` from inside an event loop (Alembic's async env runs its own loop)."""
    await asyncio.to_thread(upgrade, url, revision)
