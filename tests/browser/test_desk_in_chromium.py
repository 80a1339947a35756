"""The staff desk in a real headless Chromium (Debian's `chromium`, driven by Playwright):
sign in, see the charts drawn with the database's numbers, drill down to a ticket and claim
it, add an alias from the unanswered questions, and the bot answers that question. Screenshots
are kept under var/test-artifacts/ (the README's picture is one of them)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.bootstrap import bootstrap
from bot.config import load_settings
from bot.db.models import Ticket
from bot.knowledge_reload import KnowledgeReloader
from bot.messages import IncomingMessage
from bot.staff.auth import hash_password
from bot.staff.web import DeskDependencies, staff_app
from tests.conftest import Station
from tests.stories import play, read_story
from tests.support import NOW, copy_knowledge

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "data" / "desk" / "a_week_at_the_station.txt"
ARTIFACTS = ROOT / "var" / "test-artifacts"
CHROMIUM = os.environ.get("YIZHAN_CHROMIUM") or shutil.which("chromium") or shutil.which(
    "chromium-browser")
PASSWORD = "correct-horse-9"
UNKNOWN = "夕阳红卡怎么领"          # a name of the 敬老卡 the knowledge does not know yet

playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed "
                                "(.ci/run installs Debian's chromium package)")


@pytest.fixture
async def served(tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[tuple[str, Station]]:
    """A week of stories on a private copy of the knowledge (aliases get added to it)."""
    folder = copy_knowledge(tmp_path)
    database = tmp_path / "desk.db"
    shutil.copyfile(migrated_sqlite, database)
    settings = dataclasses.replace(load_settings(None), knowledge_dir=folder,
                                   database_url=f"sqlite+aiosqlite:///{database}")
    clock = [NOW]
    assistant = await asyncio.to_thread(bootstrap, settings, lambda: clock[0], None, None,
                                        None, None, False)
    station = Station(assistant, clock)
    problems = await play(station, read_story(SEED))
    assert not problems, problems
    async with assistant.unit_of_work() as uow:
        await uow.credentials.set_password("王建华", hash_password(PASSWORD), station.now)
        await uow.commit()
    root = web.Application()
    root.add_subapp("/staff", staff_app(DeskDependencies(
        assistant.knowledge, assistant.unit_of_work, assistant.dialogue, lambda: station.now,
        "a-test-secret-of-enough-length", KnowledgeReloader(assistant))))
    try:
        async with TestClient(TestServer(root, host="127.0.0.1")) as client:
            yield str(client.make_url("")).rstrip("/"), station
    finally:
        await assistant.close()


async def test_sign_in_see_the_charts_and_claim_a_ticket(served: tuple[str, Station]) -> None:
    base, station = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with station.assistant.unit_of_work() as uow:
        total = int((await uow.session.execute(select(func.count()).select_from(Ticket)))
                    .scalar_one())
    async with playwright.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM,
                                               args=["--no-sandbox", "--disable-gpu"])
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 1100},
                                          locale="zh-CN")
            await page.goto(f"{base}/staff/")
            assert "/staff/login" in page.url                # no session: the sign-in form
            await page.fill("#name", "王建华")
            await page.fill("#password", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_selector('#chart-days[data-drawn="yes"]', timeout=15000)
            for chart in ("chart-days", "chart-categories", "chart-states", "chart-buildings"):
                assert await page.locator(f"#{chart} canvas").count() >= 1, chart
            assert int(await page.inner_text("#total")) == total
            await page.screenshot(path=str(ARTIFACTS / "staff-dashboard.png"), full_page=True)

            # Drill down: the lighting row of the category table lists its tickets ...
            await page.click("a[href*='category=lighting']")
            await page.wait_for_selector("#ticket-count")
            listed = int(await page.inner_text("#ticket-count"))
            assert listed >= 1
            await page.screenshot(path=str(ARTIFACTS / "staff-tickets.png"), full_page=True)
            # ... and the newest open one is claimed from its page.
            code = (await page.inner_text("table.tickets tbody tr td a")).strip()
            await page.click(f"text={code}")
            await page.select_option("select[name=verb]", "接单")
            await page.click("form.act button[type=submit]")
            said = await page.inner_text("p.said")
            assert code in said or "接" in said
            await page.screenshot(path=str(ARTIFACTS / "staff-ticket.png"), full_page=True)

            # A question the bot could not answer is taught from the unanswered list.
            assert "答不上来" in await ask(station, UNKNOWN)
            await page.goto(f"{base}/staff/unanswered")
            row = page.locator("table.unanswered tbody tr", has_text=UNKNOWN)
            await row.locator("select[name=ref]").select_option("A082")
            await row.locator("form.alias button[type=submit]").click()
            await page.wait_for_selector("#confirm-alias")
            await page.screenshot(path=str(ARTIFACTS / "staff-alias.png"), full_page=True)
            await page.click("#confirm-alias")
            assert "机器人已经用上了" in await page.inner_text("p.said")
        finally:
            await browser.close()
    async with station.assistant.unit_of_work() as uow:
        ticket = await uow.tickets.by_code(code)
        assert ticket is not None and ticket.assignee == "王建华"
    assert re.fullmatch(r"[RWC]\d{4}", code)
    assert "敬老卡申领" in await ask(station, UNKNOWN)            # the bot answers it now


async def ask(station: Station, text: str) -> str:
    replies = await station.assistant.dialogue.handle(IncomingMessage("test", "r-9", text))
    return "\n".join(r.text for r in replies)
