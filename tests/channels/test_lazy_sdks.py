"""A server with its channels off, on a database already migrated, loads no platform SDK and
no Alembic: they cost memory and start-up time it does not use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

SERVER = """
import asyncio, sys
from bot.bootstrap import bootstrap
from bot.config import load_settings
from bot.server import CHANNELS, create_app, listening_line

settings = load_settings()
assistant = bootstrap(settings)

async def build():
    app = await create_app(settings, assistant, background=False)
    app.freeze()
    await app.startup()
    print(listening_line("http://127.0.0.1:0", app[CHANNELS], settings.database_url))
    await app.shutdown()
    await app.cleanup()
    await assistant.close()

asyncio.run(build())
print(" ".join(m for m in ("alembic", "telegram", "wechatpy") if m in sys.modules) or "none")
"""


def _start(database: Path) -> list[str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("YIZHAN_WECHAT", "YIZHAN_WECOM", "YIZHAN_TELEGRAM"))}
    env["YIZHAN_DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    done = subprocess.run([sys.executable, "-c", SERVER], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.splitlines()


def test_a_server_with_its_channels_off_loads_no_sdk(tmp_path: Path) -> None:
    database = tmp_path / "station.db"
    first = _start(database)           # a new database: Alembic migrates it
    assert first[-1] == "alembic"
    again = _start(database)           # at head: nothing to migrate, nothing to load
    assert again[-1] == "none"
    assert "channels on: none" in again[0] and "telegram (set YIZHAN_TELEGRAM_TOKEN" in again[0]
