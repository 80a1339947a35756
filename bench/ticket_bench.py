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

from bot.bootstrap import bootstrap
from bot.cli import SWITCH_INTERVAL
from bot.config import load_settings
from bot.db.database import Database, upgrade_async
from bot.db.models import Ticket
from bot.kb.loader import load_knowledge
from bot.kb.model import Knowledge
from bot.kb.phrasebook import build_phrasebook
from bot.messages import IncomingMessage
from intents.engine import IntentEngine

# One phrase per report category: within a block, every message is a different building and
# problem, so each files a ticket of its own (no "me too"); blocks are 73 hours apart.
PHRASES = ("楼道灯坏了", "单元门锁坏了", "下水道堵了", "电梯坏了", "垃圾桶满了没人清",
           "楼道堆满杂物", "健身器材坏了", "老鼠很多", "楼上半夜装修噪音太吵", "车堵在门口出不去",
           "树枝挡窗户了", "水管漏水了")
BUILDINGS = 40
BLOCK = BUILDINGS * len(PHRASES)


async def run(url: str, count: int, concurrency: int, knowledge: Knowledge,
              engine: IntentEngine) -> float:
    """Tickets per second for `count` reports, `concurrency` messages in flight."""
    import dataclasses
    import datetime as dt

    await upgrade_async(url)
    zone = ZoneInfo("Asia/Shanghai")
    clock = [dt.datetime(2026, 11, 23, 10, 0, tzinfo=zone)]
    settings = dataclasses.replace(load_settings(None), database_url=url)
    assistant = bootstrap(settings, clock=lambda: clock[0], knowledge=knowledge,
                          engine=engine, migrate=False)
    # Every message from a resident of its own, each a different building and problem.
    messages = [IncomingMessage("bench", f"r{n}",
                                f"{n % BUILDINGS + 1}号楼{PHRASES[n // BUILDINGS % len(PHRASES)]}",
                                message_id=f"m{n}") for n in range(count)]
    elapsed = 0.0
    for start in range(0, count, BLOCK):
        queue: asyncio.Queue[IncomingMessage] = asyncio.Queue()
        for message in messages[start:start + BLOCK]:
            queue.put_nowait(message)

        async def worker(queue: asyncio.Queue[IncomingMessage] = queue) -> None:
            while not queue.empty():
                await assistant.dialogue.handle(queue.get_nowait())

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed += time.perf_counter() - began
        clock[0] += dt.timedelta(hours=73)
    async with assistant.unit_of_work() as uow:
        made = (await uow.session.execute(select(func.count(Ticket.id)))).scalar_one()
    await assistant.close()
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
    knowledge = load_knowledge(Path("knowledge"))
    engine = IntentEngine(build_phrasebook(knowledge))
    print(f"{args.tickets} reports through Dialogue.handle, one worker process")
    print(f"{'backend':<12} {'in flight':>9} {'tickets/s':>10}")
    for concurrency in args.in_flight:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            rate = asyncio.run(run(url, args.tickets, concurrency, knowledge, engine))
        print(f"{'SQLite':<12} {concurrency:>9} {rate:>10.0f}")
        try:
            asyncio.run(reset_postgres(args.postgres))
        except Exception as exc:
            print(f"{'PostgreSQL':<12} {concurrency:>9}   skipped: unreachable ({exc})")
            continue
        rate = asyncio.run(run(args.postgres, args.tickets, concurrency, knowledge, engine))
        print(f"{'PostgreSQL':<12} {concurrency:>9} {rate:>10.0f}")


if __name__ == "__main__":
    main()
