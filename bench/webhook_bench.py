"""Messages per second and latency through the 服务号 webhook, load from a second process.

Servers, each in its own process, loaded over loopback by this one with an aiohttp client,
safe-mode (encrypted) messages signed as WeChat signs them:
  (a) floor:  a bare aiohttp handler doing only wechatpy decrypt + parse + reply + encrypt;
  (b) answer: `yizhan serve` answering affairs questions, every one a different text (the dev
      set's), from as many residents;
  (c) report: `yizhan serve` taking reports (SQLite database), each a different problem
      (building × unit × floor × category, never the same twice, so each files a ticket of its
      own: the tickets in the database are counted after the run);
  (d) as (c) on PostgreSQL, with --postgres URL (a database `yizhan_bench` is created beside
      the URL's and emptied first).
Each line also gives the server's CPU per message (its user + system time over the run).
With --baseline DIR (another checkout with its own .venv, e.g. a `git worktree` of an older
commit) (b)-(d) also run with that checkout's server, in the same run.
Each line also gives the server's resident memory (RSS) after the run: with --only answer
--messages 20000, the memory after 20,000 different questions.
Usage: python bench/webhook_bench.py [--messages N] [--concurrency C] [--postgres URL]
                                     [--baseline DIR] [--only answer|report]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

TOKEN = "benchtoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wxbench0000000000"
ROOT = Path(__file__).resolve().parents[1]
DEV_QUESTIONS = ROOT / "tests" / "data" / "dev_questions.jsonl"
# Everyday problems (an emergency such as a broken lift is one incident per building for two
# hours, its later reports "me too" by design).
REPORTS = ("楼道灯坏了", "单元门锁坏了", "垃圾桶满了没人清", "楼道堆满杂物", "健身器材坏了",
           "老鼠很多", "树枝挡窗户了")
BUILDINGS, UNITS, FLOORS = 40, 3, 6


def question_texts() -> list[str]:
    """The dev set's affairs questions, each once."""
    texts = [json.loads(line)["text"] for line in DEV_QUESTIONS.read_text("utf-8").splitlines()
             if line.strip() and json.loads(line)["intent"] == "affairs.ask"]
    return list(dict.fromkeys(texts))


def report_texts() -> list[str]:
    """Every problem once: a building, unit and floor with a report, shuffled (fixed seed)."""
    texts = [f"{b}号楼{u}单元{f}楼{problem}" for b, u, f, problem in itertools.product(
        range(1, BUILDINGS + 1), range(1, UNITS + 1), range(1, FLOORS + 1), REPORTS)]
    random.Random(7).shuffle(texts)
    return texts


def free_port() -> int:
    """A port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve_floor(port: int) -> None:
    """(a) The protocol floor: decrypt, parse, a fixed reply, encrypt; nothing else."""
    from aiohttp import web
    from wechatpy import parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.replies import TextReply

    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)

    async def callback(request: web.Request) -> web.Response:
        query = request.query
        body = await request.read()
        plain = crypto.decrypt_message(body, query["msg_signature"], query["timestamp"],
                                       query["nonce"])
        message = parse_message(plain)
        xml = TextReply(content="收到", message=message).render()
        return web.Response(text=crypto.encrypt_message(xml, query["nonce"], query["timestamp"]),
                            content_type="application/xml")

    app = web.Application()
    app.router.add_post("/wechat/mp", callback)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def signed_requests(texts: list[str], first_id: int) -> list[tuple[str, bytes]]:
    """(query string, body) pairs as WeChat would POST them in safe mode."""
    from wechatpy.crypto import WeChatCrypto

    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    requests = []
    now = int(time.time())
    for n, text in enumerate(texts):
        user = f"oBench{first_id + n:012d}"      # a resident of their own per message
        plain = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA["
                 f"{user}]]></FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]>"
                 f"</MsgType><Content><![CDATA[{text}]]></Content><MsgId>{first_id + n}</MsgId>"
                 "</xml>")
        nonce = str(100000 + n)
        encrypted = crypto.encrypt_message(plain, nonce, now)
        ciphertext = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]>", encrypted)
        signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]>", encrypted)
        assert ciphertext and signature
        body = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA["
                f"{ciphertext.group(1)}]]></Encrypt></xml>").encode()
        query = (f"signature=x&timestamp={now}&nonce={nonce}&openid={user}"
                 f"&encrypt_type=aes&msg_signature={signature.group(1)}")
        requests.append((query, body))
    return requests


async def load(port: int, requests: list[tuple[str, bytes]], concurrency: int
               ) -> tuple[float, list[float], int]:
    """Messages/s, latencies (s) and the number of non-200 answers."""
    queue = list(reversed(requests))
    latencies: list[float] = []
    failures = 0
    url = f"http://127.0.0.1:{port}/wechat/mp"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def worker() -> None:
            nonlocal failures
            while queue:
                query, body = queue.pop()
                started = time.perf_counter()
                async with client.post(f"{url}?{query}", data=body) as response:
                    await response.read()
                    failures += response.status != 200
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(requests) / elapsed, latencies, failures


async def wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    """Until the server accepts connections (or died)."""
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def start_server(kind: str, port: int, folder: Path, database: str | None = None,
                 checkout: Path = ROOT) -> subprocess.Popen[bytes]:
    """The floor server or `yizhan serve` (of `checkout`, with its own .venv unless it is
    this one), in a process of its own."""
    if kind == "floor":
        command = [sys.executable, __file__, "--serve-floor", str(port)]
        env = dict(os.environ)
    else:
        python = sys.executable if checkout == ROOT else str(checkout / ".venv/bin/python")
        command = [python, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(port)]
        env = dict(os.environ, YIZHAN_WECHAT_TOKEN=TOKEN, YIZHAN_WECHAT_AES_KEY=AES_KEY,
                   YIZHAN_WECHAT_APPID=APPID, YIZHAN_WECHAT_SECRET="bench-secret",
                   YIZHAN_WECHAT_API_BASE=f"http://127.0.0.1:{free_port()}",
                   YIZHAN_DATABASE_URL=database or
                   f"sqlite+aiosqlite:///{folder / f'{kind}.db'}")
        for name in [n for n in env if n.startswith(("YIZHAN_WECOM", "YIZHAN_TELEGRAM"))]:
            del env[name]
    return subprocess.Popen(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def rss_mib(pid: int) -> float:
    """A process's resident set size now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def fresh_postgres(url: str) -> str:
    """The URL of an emptied database `yizhan_bench` on the server of `url`."""
    import asyncpg  # type: ignore[import-untyped]

    plain = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    admin = await asyncpg.connect(plain)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = 'yizhan_bench'"):
            await admin.execute("CREATE DATABASE yizhan_bench")
    finally:
        await admin.close()
    bench_url = plain.rsplit("/", 1)[0] + "/yizhan_bench"
    bench = await asyncpg.connect(bench_url)
    try:
        await bench.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await bench.close()
    return bench_url.replace("postgresql://", "postgresql+asyncpg://", 1)


async def count_tickets(database: str) -> int:
    """Tickets in the bench's database."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            counted = await connection.execute(text("SELECT count(*) FROM tickets"))
            return int(counted.scalar_one())
    finally:
        await engine.dispose()


async def run(messages: int, concurrency: int, postgres: str | None,
              baseline: Path | None, only: str | None = None) -> None:
    """Print one line per server."""
    questions, reports = question_texts(), report_texts()
    cases: list[tuple[str, str, list[str], str | None, Path]] = [
        ("(a) floor: decrypt+parse+reply+encrypt", "floor", questions, None, ROOT)]
    for checkout in (ROOT, *([baseline] if baseline else [])):
        tag = "" if checkout == ROOT else " [baseline]"
        cases += [(f"(b) full server, affairs questions{tag}", "answer", questions, None,
                   checkout),
                  (f"(c) full server, reports -> tickets{tag}", "report", reports, None,
                   checkout)]
        if postgres:
            cases.append((f"(d) as (c), PostgreSQL{tag}", "report_pg", reports, postgres,
                          checkout))
    if only is not None:
        cases = [case for case in cases if case[1] in ("floor", only)]
    print(f"{messages} safe-mode messages per case, {concurrency} in flight, one worker; "
          f"{len(questions)} different questions, {len(reports)} different problems")
    print(f"{'case':<40} {'msg/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-200':>7} "
          f"{'CPU ms/msg':>10} {'RSS MiB':>8}  tickets")
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for n, (label, kind, phrases, database, checkout) in enumerate(cases):
            port = free_port()
            if database is not None:
                database = await fresh_postgres(database)
            elif kind != "floor":
                database = f"sqlite+aiosqlite:///{Path(scratch) / f'{kind}{n}.db'}"
            process = start_server(kind, port, Path(scratch), database, checkout)
            try:
                await wait_until_up(port, process)
                texts = [phrases[n % len(phrases)] for n in range(messages + 50)]
                requests = signed_requests(texts, first_id=7_000_000_000)
                await load(port, requests[:50], concurrency)  # warm-up
                cpu_before = cpu_seconds(process.pid)
                rate, latencies, failures = await load(port, requests[50:], concurrency)
                cpu = (cpu_seconds(process.pid) - cpu_before) / messages
                rss = rss_mib(process.pid)          # after every message of the run
            finally:
                process.terminate()
                process.wait(timeout=15)
            tickets = (f"{await count_tickets(database)} of {messages + 50}"
                       if kind.startswith("report") and database else "-")
            rates.setdefault(kind, rate)
            cut = statistics.quantiles(latencies, n=100)
            print(f"{label:<40} {rate:>7.0f} {cut[49] * 1000:>7.1f} {cut[98] * 1000:>7.1f} "
                  f"{failures:>7} {cpu * 1000:>10.2f} {rss:>8.0f}  {tickets}")
    if "answer" in rates:
        print(f"(b) / (a) = {rates['answer'] / rates['floor']:.0%}  (goal >= 50%)")


def main() -> None:
    """Run the three cases (or, internally, serve the floor)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgres", help="also run (c) on this PostgreSQL URL's server")
    parser.add_argument("--baseline", type=Path,
                        help="also run (b)-(d) with another checkout (its own .venv)")
    parser.add_argument("--only", choices=("answer", "report"),
                        help="run the floor and this case only (e.g. 20000 messages for RSS)")
    parser.add_argument("--serve-floor", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return
    asyncio.run(run(args.messages, args.concurrency, args.postgres, args.baseline, args.only))


if __name__ == "__main__":
    main()
