"""The server as a station deploys it: health, metrics, config errors, and a whole story."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.bootstrap import bootstrap
from bot.channels.base import BodyRefused, read_body
from bot.config import ConfigError, Settings, load_settings
from bot.server import ServerMetrics, create_app

ROOT = Path(__file__).resolve().parents[2]


def settings_for(tmp_path: Path, **environ: str) -> Settings:
    env = {"YIZHAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'server.db'}", **environ}
    return load_settings(ROOT / "config.toml", environ=env)


@pytest.fixture
async def plain_server(tmp_path: Path) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = settings_for(tmp_path)
    metrics = ServerMetrics()
    assistant = await asyncio.to_thread(bootstrap, settings, observe=metrics.observe_intent)
    app = await create_app(settings, assistant, metrics, background=False)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_health_and_metrics_answer_with_no_channel_switched_on(
        plain_server: TestClient[web.Request, web.Application]) -> None:
    health = await plain_server.get("/healthz")
    assert health.status == 200 and await health.text() == "ok\n"
    page = await (await plain_server.get("/metrics")).text()
    assert "yizhan_message_seconds" in page and "yizhan_outbox" in page
    assert (await plain_server.post("/wechat/mp", data=b"<xml/>")).status == 404


async def test_metrics_show_every_series_before_any_traffic(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, YIZHAN_WECHAT_TOKEN="token-123",
                            YIZHAN_WECHAT_AES_KEY="a" * 43, YIZHAN_WECHAT_APPID="wx0123456789",
                            YIZHAN_WECHAT_SECRET="secret-456")
    metrics = ServerMetrics()
    assistant = await asyncio.to_thread(bootstrap, settings, observe=metrics.observe_intent)
    app = await create_app(settings, assistant, metrics, background=False)
    async with TestClient(TestServer(app)) as client:
        page = await (await client.get("/metrics")).text()
    for series in ('yizhan_messages_total{channel="wechat_mp",intent="affairs.ask"} 0.0',
                   'yizhan_messages_total{channel="wechat_mp",intent="clarify"} 0.0',
                   'yizhan_messages_total{channel="wechat_mp",intent="report.new"} 0.0',
                   'yizhan_message_errors_total{channel="wechat_mp"} 0.0',
                   'yizhan_message_seconds_count{channel="wechat_mp"} 0.0'):
        assert series in page
    assert 'channel="telegram"' not in page                 # not switched on


async def test_a_channel_switched_on_without_its_secret_stops_the_start(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, YIZHAN_WECHAT_TOKEN="token-only")
    assistant = await asyncio.to_thread(bootstrap, settings)
    try:
        with pytest.raises(ConfigError, match="YIZHAN_WECHAT"):
            await create_app(settings, assistant, background=False)
    finally:
        await assistant.close()


async def test_yizhan_serve_starts_with_the_deployment_contract(tmp_path: Path) -> None:
    """`yizhan serve --host H --port P --config FILE` as operators' scripts call it."""
    import os
    import socket
    import subprocess
    import sys

    import aiohttp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    env["YIZHAN_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
    server = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--config", str(ROOT / "config.toml")], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        async with aiohttp.ClientSession() as client:
            for _ in range(200):
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                try:
                    async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
                        assert response.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                pytest.fail("yizhan serve did not answer /healthz")
    finally:
        server.terminate()
        assert server.wait(timeout=20) == 0
    logged = server.stderr.read().decode() if server.stderr else ""
    [line] = [line for line in logged.splitlines() if "listening on" in line]
    assert f"http://127.0.0.1:{port}" in line and "channels on: none" in line
    assert "telegram (set YIZHAN_TELEGRAM_TOKEN, YIZHAN_TELEGRAM_SECRET)" in line
    assert "serve.db" in line


async def test_serve_exits_with_a_clear_message_when_a_secret_is_missing(tmp_path: Path
                                                                        ) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    env.update(YIZHAN_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
               YIZHAN_TELEGRAM_TOKEN="123:abc")
    done = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "bot.cli", "serve", "--port", "1", "--config",
        str(ROOT / "config.toml")], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60)
    assert done.returncode == 2 and "YIZHAN_TELEGRAM_SECRET" in done.stderr


async def test_a_body_that_never_comes_is_refused_in_time(tmp_path: Path) -> None:
    """A declared body that is never sent, or trickled: 408 within the limit, not held."""
    async def echo(request: web.Request) -> web.Response:
        try:
            body = await read_body(request, 1 << 20, seconds=0.5)
        except BodyRefused as refusal:
            return web.Response(status=refusal.status, text=refusal.reason)
        return web.Response(text=str(len(body)))

    app = web.Application()
    app.router.add_post("/in", echo)
    async with TestServer(app) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(b"POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nshort")
        await writer.drain()
        started = asyncio.get_running_loop().time()
        status = await asyncio.wait_for(reader.readline(), timeout=5)
        assert b" 408 " in status
        assert asyncio.get_running_loop().time() - started < 3
        writer.close()
        await writer.wait_closed()


async def test_a_refused_request_is_one_log_line(
        plain_server: TestClient[web.Request, web.Application],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp.server")
    server = plain_server.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")
    await writer.drain()
    assert b" 4" in await asyncio.wait_for(reader.readline(), timeout=5)   # 400 / 431
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.05)
    records = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert records and all(r.exc_info is None and "\n" not in r.getMessage()
                           for r in records)
    assert "Traceback" not in caplog.text
