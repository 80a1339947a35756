"""Two real `yizhan serve` workers on one database: a session signed in on one is good on the
other (they share the desk's secret), and an edit of knowledge/ is picked up by both; a
broken one is refused by each with its file and line, and the old knowledge keeps working."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.channels.test_workers_start_together import _free_port, healthy, stop
from tests.support import copy_knowledge

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-long-password-1"


def _config(folder: Path, knowledge: Path) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace("reload_seconds = 5", "reload_seconds = 0.3")
    text = text.replace('dir = "knowledge"', f'dir = "{knowledge}"', 1)
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def _desk_page_showing(client: aiohttp.ClientSession, port: int, headers: dict[str, str],
                             words: str) -> str:
    """The worker's 没答上的问题 page once it shows `words` (or after 10 s, as it is)."""
    page = ""
    for _ in range(100):
        async with client.get(f"http://127.0.0.1:{port}/staff/unanswered",
                              headers=headers) as response:
            page = await response.text()
        if words in page:
            break
        await asyncio.sleep(0.1)
    return page


async def test_both_workers_pick_up_an_edit_and_refuse_a_broken_one(tmp_path: Path) -> None:
    knowledge = copy_knowledge(tmp_path)
    config = _config(tmp_path, knowledge)
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    env["YIZHAN_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'two.db'}"
    subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(config), "staff",
                    "passwd", "王建华"], input=PASSWORD + "\n", text=True, env=env, cwd=tmp_path,
                   check=True, capture_output=True)
    ports = [_free_port(), _free_port()]
    servers = [subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--config", str(config)], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True) for port in ports]
    try:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as client:
            for server, port in zip(servers, ports, strict=True):
                assert await healthy(client, port, server) is None
            async with client.post(f"http://127.0.0.1:{ports[0]}/staff/login", data={
                    "name": "王建华", "password": PASSWORD}) as response:
                assert response.status == 200 and "/staff/login" not in str(response.url)
            cookie = next(c for c in jar if c.key == "yizhan_staff")
            headers = {"Cookie": f"yizhan_staff={cookie.value}"}
            # The other worker honours the session: one secret for all of them.
            async with client.get(f"http://127.0.0.1:{ports[1]}/staff/unanswered",
                                  headers=headers, allow_redirects=False) as response:
                assert response.status == 200
            faq = knowledge / "faq.toml"
            good = faq.read_text(encoding="utf-8") + (
                '\n[[faq]]\nid = "station.reload_check"\nquestion = "重新加载试一下"\n'
                'aliases = ["重新加载"]\nanswer = "好的。"\n')
            faq.write_text(good, encoding="utf-8")
            for port in ports:                        # a good edit goes live on both
                page = await _desk_page_showing(client, port, headers, 'id="reloads">1<')
                assert 'id="reloads">1<' in page and "没有生效" not in page, port
            faq.write_text(good + '\n[[faq]]\nid = "broken"\n', encoding="utf-8")
            for port in ports:                        # a broken one is refused by both
                page = await _desk_page_showing(client, port, headers, "faq.toml:")
                assert "faq.toml:" in page and "没有生效" in page, port
            async with client.get(f"http://127.0.0.1:{ports[0]}/healthz") as response:
                assert response.status == 200                 # still serving
    finally:
        stop(servers)
    shutil.rmtree(knowledge)
