"""The server under faults, from WeChat's side, over loopback: what is lost, doubled or leaked.

Real `yizhan serve` workers (their own processes) on one database, a fake Tencent API in this
process counting the customer-service messages each resident gets, and safe-mode callbacks
signed as WeChat signs them:
  1. hostile input: malformed, oversized, forged and deeply nested requests to every route;
     counts 5xx answers and secrets found in the workers' logs;
  2. redelivery: N reports, each delivered 2-4 times, alternating between two workers;
     counts tickets per resident (should be 1) and customer-service messages sent twice;
  3. neighbours: pairs of residents reporting one problem at the same moment through the two
     workers; counts problems that got two tickets;
  4. kill -9: reports sent to one worker, killed mid-load, restarted; counts messages answered
     200 whose ticket never appeared;
  5. the same with the database held locked by another connection for 8 s, the worker killed
     at 4.5 s; also counts tickets without their leader's notification.
Usage: python bench/reliability_bench.py [--database URL] [--reports N]
(default: a new SQLite file; give the PostgreSQL URL of an empty database to run on it)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.webhook_bench import (
    AES_KEY,
    APPID,
    ROOT,
    TOKEN,
    free_port,
    signed_requests,
    wait_until_up,
)

SECRET = "reliability-app-secret-0123"
BUILDINGS = 40                  # the station's roster: 1-40号楼
# Each scenario its own problems, so that every message of it is a new ticket (or, for the
# neighbours, exactly one ticket and one follower).
REDELIVERED = ("楼道灯坏了", "单元门锁坏了", "垃圾桶满了没人清", "楼道堆满杂物", "健身器材坏了",
               "老鼠很多")
NEIGHBOURS = "门口树枝挡窗户"
KILLED = ("楼道里乱贴小广告", "下水道堵了")
HELD = "楼上半夜装修吵得睡不着"      # sent while the database is held locked
HOLD_SECONDS = 8.0


class FakeTencent:
    """Tokens and customer-service sends: who got which text, how many times."""

    def __init__(self) -> None:
        self.sent: Counter[tuple[str, str]] = Counter()
        self.port = free_port()

    async def start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/cgi-bin/stable_token", self._token)
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        app.router.add_post("/cgi-bin/message/template/send", self._send)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner

    async def _token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": "fake-access-token", "expires_in": 7200})

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        content = body.get("text", {}).get("content", "")
        self.sent[(body.get("touser", ""), content)] += 1
        return web.json_response({"errcode": 0, "errmsg": "ok"})



def worker(port: int, database: str, folder: Path, api: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    env.update(YIZHAN_WECHAT_TOKEN=TOKEN, YIZHAN_WECHAT_AES_KEY=AES_KEY,
               YIZHAN_WECHAT_APPID=APPID, YIZHAN_WECHAT_SECRET=SECRET,
               YIZHAN_WECHAT_API_BASE=f"http://127.0.0.1:{api}",
               YIZHAN_DATABASE_URL=database)
    log = (folder / f"worker-{port}.log").open("ab")
    # Answers go out as customer-service messages (no passive reply), as when the core is
    # slower than Tencent's 5 s: the case where a redelivery could send them twice.
    config = folder / "config.toml"
    if not config.exists():
        config.write_text((ROOT / "config.toml").read_text(encoding="utf-8").replace(
            "passive_seconds = 4.0", "passive_seconds = 0.001").replace(
            'dir = "knowledge"', f'dir = "{ROOT / "knowledge"}"').replace(
            'catalogue = "catalogue"', f'catalogue = "{ROOT / "catalogue"}"'),
            encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--config", str(config)], cwd=folder, env=env,
                            stdout=log, stderr=log)


async def post(client: aiohttp.ClientSession, port: int, query: str, body: bytes) -> int:
    try:
        async with client.post(f"http://127.0.0.1:{port}/wechat/mp?{query}", data=body) as r:
            await r.read()
            return r.status
    except aiohttp.ClientError:
        return 0


async def timed_post(client: aiohttp.ClientSession, port: int, query: str, body: bytes
                     ) -> tuple[int, float]:
    started = time.perf_counter()
    return await post(client, port, query, body), time.perf_counter() - started


@contextlib.asynccontextmanager
async def hold(database: str) -> AsyncIterator[None]:
    """Another connection holds the database locked while the block runs (and for at most
    HOLD_SECONDS): SQLite's write lock, or PostgreSQL's lock on the tables every message
    reads."""
    engine = create_async_engine(database)
    async with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            await connection.exec_driver_sql("BEGIN")
            await connection.exec_driver_sql(
                "LOCK TABLE processed_messages, conversations IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            await connection.exec_driver_sql("ROLLBACK")
    await engine.dispose()


async def leader_notices(database: str) -> int:
    """Notifications written for leaders."""
    engine = create_async_engine(database)
    async with engine.connect() as connection:
        count = (await connection.execute(text(
            "SELECT count(*) FROM outbox WHERE recipient LIKE 'leader:%'"))).scalar_one()
    await engine.dispose()
    return int(count)


async def tickets(database: str) -> list[tuple[str, str, int]]:
    """(building, category, resident) of every ticket."""
    engine = create_async_engine(database)
    async with engine.connect() as connection:
        rows = (await connection.execute(text(
            "SELECT building, category, resident_id FROM tickets WHERE kind = 'report'"))).all()
    await engine.dispose()
    return [(str(b), str(c), int(r)) for b, c, r in rows]


async def hostile(client: aiohttp.ClientSession, ports: list[int]) -> int:
    """5xx answers to malformed requests (every route, every worker)."""
    bodies: list[tuple[str, bytes, dict[str, str]]] = [
        ("/wechat/mp?encrypt_type=aes&timestamp=" + str(int(time.time())), b"<xml>", {}),
        ("/wechat/mp?encrypt_type=aes", b"<!DOCTYPE x [<!ENTITY a 'b'>]><xml>&a;</xml>", {}),
        ("/wechat/mp?signature=x&timestamp=1&nonce=1", b"\xff\xfe" * 100, {}),
        ("/wechat/work?msg_signature=x", b"<xml><Encrypt>zz</Encrypt></xml>", {}),
        ("/wechat/mp", b"a" * 2_000_000, {}),
    ]
    failures = 0
    for port in ports:
        for path, body, headers in bodies:
            try:
                async with client.post(f"http://127.0.0.1:{port}{path}", data=body,
                                       headers=headers) as response:
                    failures += response.status >= 500
            except aiohttp.ClientError:
                pass
    return failures


async def run(database: str, reports: int, say: Callable[[str], None] = print
               ) -> dict[str, int]:
    """Every scenario; the figures by name (each should be 0 but the counts)."""
    figures: dict[str, int] = {}
    fake = FakeTencent()
    runner = await fake.start()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        ports = [free_port(), free_port()]
        workers = [worker(port, database, folder, fake.port) for port in ports]
        for port, process in zip(ports, workers, strict=True):
            await wait_until_up(port, process)
        async with aiohttp.ClientSession() as client:
            figures["5xx"] = await hostile(client, ports)
            say(f"1. hostile input: {figures['5xx']} answers 5xx")
            # 2. redelivery across the two workers
            texts = [f"{n % BUILDINGS + 1}号楼{REDELIVERED[n // BUILDINGS % len(REDELIVERED)]}"
                     for n in range(min(reports, BUILDINGS * len(REDELIVERED)))]
            reports = len(texts)
            requests = signed_requests(texts, first_id=8_100_000_000)
            # signed_requests reuses 500 senders: give each report its own resident
            started = time.perf_counter()
            for n, (query, body) in enumerate(requests):
                copies = 2 + n % 3
                await asyncio.gather(*(post(client, ports[c % 2], query, body)
                                       for c in range(copies)))
            elapsed = time.perf_counter() - started
            await asyncio.sleep(3)
            found = await tickets(database)
            per_resident = Counter(r for _, _, r in found)
            doubled = sum(1 for n in per_resident.values() if n > 1)
            twice = sum(1 for n in fake.sent.values() if n > 1)
            figures.update(tickets=len(found), residents_with_two=doubled, sent_twice=twice,
                           sent=len(fake.sent))
            say(f"2. redelivery: {reports} reports sent 2-4 times each over two workers "
                  f"({elapsed:.0f} s): {len(found)} tickets, {doubled} residents with two, "
                  f"{twice} of {len(fake.sent)} customer-service messages sent twice")
            # 3. neighbours at the same moment
            before = len(found)
            pairs = [(f"{n + 1}号楼{NEIGHBOURS}", n) for n in range(BUILDINGS)]
            neighbour_requests = signed_requests([t for t, _ in pairs for _ in (0, 1)],
                                                 first_id=8_200_000_000)
            for n in range(0, len(neighbour_requests), 2):
                await asyncio.gather(post(client, ports[0], *neighbour_requests[n]),
                                     post(client, ports[1], *neighbour_requests[n + 1]))
            await asyncio.sleep(2)
            found = await tickets(database)
            lift = Counter(b for b, c, _ in found[before:] if c == "greenery")
            figures["problems_with_two_tickets"] = sum(1 for n in lift.values() if n > 1)
            say(f"3. neighbours: {len(pairs)} pairs at once: "
                f"{figures['problems_with_two_tickets']} problems got two tickets")
            # 4. kill -9 under load, then restart
            before = len(await tickets(database))
            kill_requests = signed_requests(
                [f"{n % BUILDINGS + 1}号楼{KILLED[n // BUILDINGS]}"
                 for n in range(BUILDINGS * len(KILLED))], first_id=8_300_000_000)
            answered = 0

            async def send_all() -> None:
                nonlocal answered
                for query, body in kill_requests:
                    answered += await post(client, ports[0], query, body) == 200

            load = asyncio.create_task(send_all())
            await asyncio.sleep(0.8)
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            acknowledged = answered
            load.cancel()
            workers[0] = worker(ports[0], database, folder, fake.port)
            await wait_until_up(ports[0], workers[0])
            await asyncio.sleep(5)
            filed = len(await tickets(database)) - before
            figures.update(acknowledged=acknowledged, lost=max(acknowledged - filed, 0))
            say(f"4. kill -9: {acknowledged} messages answered 200 before the kill, "
                  f"{filed} tickets after the restart: "
                  f"{max(acknowledged - filed, 0)} acknowledged messages lost")
            # 5. the database held locked by another connection, kill -9, restart
            before_tickets = len(await tickets(database))
            before_notices = await leader_notices(database)
            held = signed_requests([f"{n + 1}号楼{HELD}" for n in range(BUILDINGS // 2)],
                                   first_id=8_400_000_000)
            async with hold(database):
                started = time.perf_counter()
                statuses = await asyncio.gather(*(timed_post(client, ports[0], *r)
                                                  for r in held))
                await asyncio.sleep(max(0.0, 4.5 - (time.perf_counter() - started)))
                workers[0].send_signal(signal.SIGKILL)
                workers[0].wait()
            acknowledged = sum(1 for status, _ in statuses if status == 200)
            slowest = max(seconds for _, seconds in statuses)
            workers[0] = worker(ports[0], database, folder, fake.port)
            await wait_until_up(ports[0], workers[0])
            await asyncio.sleep(6)
            filed = len(await tickets(database)) - before_tickets
            notices = await leader_notices(database) - before_notices
            figures.update(held_acknowledged=acknowledged, held_lost=max(acknowledged - filed, 0),
                           notices_lost=max(filed - notices, 0),
                           held_slowest_ms=int(slowest * 1000))
            say(f"5. database held {HOLD_SECONDS:.0f} s, kill -9 at 4.5 s: {acknowledged} "
                f"answered 200 (slowest {slowest:.1f} s), {filed} tickets after the restart: "
                f"{figures['held_lost']} acknowledged messages lost, "
                f"{figures['notices_lost']} tickets without their leader's notification")
        for process in workers:
            process.terminate()
        for process in workers:
            process.wait(timeout=30)
        logs = "".join(p.read_text(errors="replace") for p in folder.glob("worker-*.log"))
        leaked = [s for s in (SECRET, AES_KEY, TOKEN) if s in logs]
        tracebacks = logs.count("Traceback")
        figures.update(secrets_logged=len(leaked), tracebacks=tracebacks)
        say(f"   logs: secrets found {len(leaked)}, tracebacks {tracebacks}")
        if tracebacks:      # the first one, to read
            start = logs.index("Traceback")
            say("   first traceback:\n" + "\n".join(logs[start:].splitlines()[:40]))
    await runner.cleanup()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", help="empty database URL (default: a new SQLite file)")
    parser.add_argument("--reports", type=int, default=300)
    args = parser.parse_args()
    database = args.database
    if database is None:
        database = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/reliability.db"
    asyncio.run(run(database, args.reports))


if __name__ == "__main__":
    main()
