"""The server as a station deploys it: health, metrics, config errors, and a whole story."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.bootstrap import bootstrap
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
