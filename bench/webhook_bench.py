"""Messages per second and latency through the 服务号 webhook, load from a second process.

Three servers, each in its own process, loaded over loopback by this one with an aiohttp
client, safe-mode (encrypted) messages signed as WeChat signs them:
  (a) floor:  a bare aiohttp handler doing only wechatpy decrypt + parse + reply + encrypt;
  (b) answer: `yizhan serve` answering an affairs question;
  (c) report: `yizhan serve` taking a report that files a ticket (SQLite database).
Usage: python bench/webhook_bench.py [--messages N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
QUESTIONS = ("居住证怎么办理", "老年证要带什么材料", "敬老卡在哪里办", "办居住证要多久",
             "独生子女证怎么补办", "残疾证办理需要什么")
REPORTS = ("楼道灯坏了", "单元门锁坏了", "下水道堵了", "电梯坏了", "垃圾桶满了没人清",
           "楼道堆满杂物", "健身器材坏了", "老鼠很多")


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
        user = f"oBench{n % 500:05d}"
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


def start_server(kind: str, port: int, folder: Path) -> subprocess.Popen[bytes]:
    """The floor server or `yizhan serve`, in a process of its own."""
    if kind == "floor":
        command = [sys.executable, __file__, "--serve-floor", str(port)]
        env = dict(os.environ)
    else:
        command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(port)]
        env = dict(os.environ, YIZHAN_WECHAT_TOKEN=TOKEN, YIZHAN_WECHAT_AES_KEY=AES_KEY,
                   YIZHAN_WECHAT_APPID=APPID, YIZHAN_WECHAT_SECRET="bench-secret",
                   YIZHAN_WECHAT_API_BASE=f"http://127.0.0.1:{free_port()}",
                   YIZHAN_DATABASE_URL=f"sqlite+aiosqlite:///{folder / f'{kind}.db'}")
        for name in [n for n in env if n.startswith(("YIZHAN_WECOM", "YIZHAN_TELEGRAM"))]:
            del env[name]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


async def run(messages: int, concurrency: int) -> None:
    """Print one line per server."""
    cases = (("(a) floor: decrypt+parse+reply+encrypt", "floor", QUESTIONS),
             ("(b) full server, affairs question", "answer", QUESTIONS),
             ("(c) full server, report -> ticket", "report", REPORTS))
    print(f"{messages} safe-mode messages per case, {concurrency} in flight, one worker")
    print(f"{'case':<42} {'msg/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-200':>7}")
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for label, kind, phrases in cases:
            port = free_port()
            process = start_server(kind, port, Path(scratch))
            try:
                await wait_until_up(port, process)
                texts = [(f"{n % 40 + 1}号楼" if kind == "report" else "")
                         + phrases[n % len(phrases)] for n in range(messages + 50)]
                requests = signed_requests(texts, first_id=7_000_000_000)
                await load(port, requests[:50], concurrency)  # warm-up
                rate, latencies, failures = await load(port, requests[50:], concurrency)
            finally:
                process.terminate()
                process.wait(timeout=15)
            rates[kind] = rate
            cut = statistics.quantiles(latencies, n=100)
            print(f"{label:<42} {rate:>7.0f} {cut[49] * 1000:>7.1f} {cut[98] * 1000:>7.1f} "
                  f"{failures:>7}")
    print(f"(b) / (a) = {rates['answer'] / rates['floor']:.0%}  (target >= 70%)")


def main() -> None:
    """Run the three cases (or, internally, serve the floor)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--serve-floor", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return
    asyncio.run(run(args.messages, args.concurrency))


if __name__ == "__main__":
    main()
