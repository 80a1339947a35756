"""Tickets created per second through the whole dispatcher, on SQLite and PostgreSQL.

Each message goes through Dialogue.handle: classification, the report flow, routing, the ticket,
its audit event and the leader's outbox notification, committed in one unit of work.
Usage: python bench/ticket_bench.py [--tickets N] [--in-flight 1 8 16 32] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from bot.bootstrap import intent_handlers, ticket_desks
from bot.cli import SWITCH_INTERVAL
from bot.db.database import Database, upgrade_async
from bot.db.models import Ticket
from bot.db.unit_of_work import UnitOfWork
from bot.dialogue import Dialogue, DialogueSettings
from bot.kb.loader import load_knowledge
from bot.kb.phrasebook import build_phrasebook
from bot.messages import IncomingMessage
from bot.sessions import MemorySessionStore
from intents.engine import IntentEngine

PHRASES = ("楼道灯坏了", "单元门锁坏了", "下水道堵了", "电梯坏了", "垃圾桶满了没人清",
           "楼道堆满杂物", "健身器材坏了", "老鼠很多")


async def run(url: str, count: int, concurrency: int, engine: IntentEngine) -> float:
    """Tickets per second for `count` reports, `concurrency` messages in flight."""
    import datetime as dt

    knowledge = load_knowledge(Path("knowledge"))
    await upgrade_async(url)
    database = Database(url)
    zone = ZoneInfo("Asia/Shanghai")
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=zone)
    dialogue = Dialogue(knowledge, engine, MemorySessionStore(), intent_handlers(),
                        DialogueSettings(), lambda: now, ticket_desks(knowledge, database, zone))
    # One resident per building; a resident's repeated reports are separate tickets.
    messages = [IncomingMessage("bench", f"r{n % 40}",
                                f"{n % 40 + 1}号楼{PHRASES[n % len(PHRASES)]}",
                                message_id=f"m{n}") for n in range(count)]
    queue: asyncio.Queue[IncomingMessage] = asyncio.Queue()
    for message in messages:
        queue.put_nowait(message)

    async def worker() -> None:
        while not queue.empty():
            await dialogue.handle(queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    async with UnitOfWork(database.sessions) as uow:
        made = (await uow.session.execute(select(func.count(Ticket.id)))).scalar_one()
    await database.dispose()
    if made != count:
        raise SystemExit(f"expected {count} tickets, found {made}")
    return count / elapsed


async def reset_postgres(url: str) -> None:
    """Start from an empty schema."""
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await database.dispose()


def main() -> None:
    """Print tickets/s for each backend and concurrency."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, nargs="+", default=[1, 8, 16, 32],
                        help="messages handled at once (one row per value and backend)")
    parser.add_argument("--postgres", default=os.environ.get(
        "YIZHAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    sys.setswitchinterval(SWITCH_INTERVAL)  # as `yizhan serve` runs
    engine = IntentEngine(build_phrasebook(load_knowledge(Path("knowledge"))))
    print(f"{args.tickets} reports through Dialogue.handle, one worker process")
    print(f"{'backend':<12} {'in flight':>9} {'tickets/s':>10}")
    for concurrency in args.in_flight:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            rate = asyncio.run(run(url, args.tickets, concurrency, engine))
        print(f"{'SQLite':<12} {concurrency:>9} {rate:>10.0f}")
        try:
            asyncio.run(reset_postgres(args.postgres))
        except Exception as exc:
            print(f"{'PostgreSQL':<12} {concurrency:>9}   skipped: unreachable ({exc})")
            continue
        rate = asyncio.run(run(args.postgres, args.tickets, concurrency, engine))
        print(f"{'PostgreSQL':<12} {concurrency:>9} {rate:>10.0f}")


if __name__ == "__main__":
    main()
