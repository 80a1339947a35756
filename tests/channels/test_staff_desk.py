"""The staff web desk against a station whose database was filled by running stories: sign-in,
the dashboard's numbers, drill-down, both exports, actions through the chat path, and the
security rules (sessions, leaders' buildings, CSRF, locking after failed sign-ins)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.db.models import OutboxMessage, Ticket, TicketEvent
from bot.messages import IncomingMessage
from bot.staff.auth import COOKIE, LOCK_AFTER, hash_password
from bot.staff.web import DeskDependencies, staff_app
from tests.conftest import Station
from tests.stories import play, read_story

SEED = Path(__file__).resolve().parents[1] / "data" / "desk" / "a_week_at_the_station.txt"
PASSWORD = "correct-horse-9"
Client = TestClient[web.Request, web.Application]


@dataclass
class Desk:
    client: Client
    station: Station


@pytest.fixture
async def desk(station: Station) -> AsyncIterator[Desk]:
    problems = await play(station, read_story(SEED))
    assert not problems, "\n".join(problems)
    assistant = station.assistant
    async with assistant.unit_of_work() as uow:
        for name in ("王建华", "李琳", "张秀英"):
            await uow.credentials.set_password(name, hash_password(PASSWORD), station.now)
        await uow.commit()
    root = web.Application()
    root.add_subapp("/staff", staff_app(DeskDependencies(
        assistant.knowledge, assistant.unit_of_work, assistant.dialogue,
        lambda: station.now, secret="a-test-secret-of-enough-length")))
    async with TestClient(TestServer(root)) as client:
        yield Desk(client, station)


async def sign_in(client: Client, name: str, password: str = PASSWORD) -> int:
    response = await client.post("/staff/login", data={"name": name, "password": password},
                                 allow_redirects=False)
    return response.status


async def csrf_of(client: Client, path: str) -> str:
    page = await (await client.get(path)).text()
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


async def ticket_count(desk: Desk, **where: str) -> int:
    async with desk.station.assistant.unit_of_work() as uow:
        query = select(func.count()).select_from(Ticket)
        for column, value in where.items():
            query = query.where(getattr(Ticket, column) == value)
        return int((await uow.session.execute(query)).scalar_one())


async def all_tickets(desk: Desk) -> list[Ticket]:
    async with desk.station.assistant.unit_of_work() as uow:
        return list((await uow.session.execute(select(Ticket))).scalars())


async def test_the_stories_left_tickets_to_look_at(desk: Desk) -> None:
    assert await ticket_count(desk) >= 3


async def test_every_page_refuses_without_a_session(desk: Desk) -> None:
    client = desk.client
    for path in ("/staff/", "/staff/tickets", "/staff/tickets/R0001", "/staff/failed",
                 "/staff/static/echarts.min.js"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"].startswith(
            "/staff/login"), path
    for path in ("/staff/export/tickets.csv", "/staff/export/tickets.xlsx"):
        assert (await client.get(path, allow_redirects=False)).status == 401, path
    for path in ("/staff/tickets/R0001", "/staff/logout", "/staff/failed/1/retry"):
        assert (await client.post(path, data={"verb": "接单"})).status == 401, path
    forged = f"{'x' * 20}.{'y' * 20}"
    client.session.cookie_jar.update_cookies({COOKIE: forged})
    assert (await client.get("/staff/export/tickets.csv")).status == 401


async def test_signing_in_opens_the_dashboard_with_the_databases_numbers(desk: Desk) -> None:
    client = desk.client
    assert await sign_in(client, "王建华", "wrong password") == 401
    assert await sign_in(client, "王建华") == 303
    cookie = next(c for c in client.session.cookie_jar if c.key == COOKIE)
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    start = desk.station.now.date().replace(day=1)
    page = await (await client.get(f"/staff/?period=custom&from={start}&to="
                                   f"{desk.station.now.date()}")).text()
    total = re.search(r'id="total">(\d+)<', page)
    assert total and int(total.group(1)) == await ticket_count(desk)
    assert "echarts.min.js" in page and 'id="chart-data"' in page
    # Three ratings in the stories (5, 3, 5): their mean, per handler and per category too.
    assert re.search(r'id="satisfaction">4\.3<', page)
    assert "按类别的满意度" in page
    # Each figure drills down to the tickets behind it.
    link = re.search(r'href="(/staff/tickets\?[^"]*category=lighting[^"]*)"', page)
    assert link, "the lighting category links to its tickets"
    listing = await (await client.get(link.group(1).replace("&amp;", "&"))).text()
    listed = re.search(r'id="ticket-count">(\d+)<', listing)
    assert listed and int(listed.group(1)) == await ticket_count(desk, category="lighting")
    assert (await client.get("/staff/static/echarts.min.js")).status == 200


async def test_both_exports_hold_every_ticket(desk: Desk) -> None:
    client = desk.client
    await sign_in(client, "王建华")
    response = await client.get("/staff/export/tickets.csv")
    assert response.status == 200 and "text/csv" in response.headers["Content-Type"]
    body = await response.read()
    assert body.startswith("\ufeff".encode())            # Excel reads the Chinese
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == await ticket_count(desk)
    assert {"code", "kind", "category", "building", "state", "created_at",
            "first_response_at", "resolved_at", "closed_at", "leader", "within_deadline",
            "reopened", "satisfaction"} <= set(rows[0])
    assert sum(r["state"] == "closed" for r in rows) == await ticket_count(desk, state="closed")
    assert sorted(r["satisfaction"] for r in rows if r["satisfaction"]) == ["3", "5", "5"]
    workbook = load_workbook(io.BytesIO(await (await client.get(
        "/staff/export/tickets.xlsx")).read()), read_only=True)
    sheet = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert list(sheet[0]) == list(rows[0]) and len(sheet) - 1 == len(rows)
    assert [r[0] for r in sheet[1:]] == [r["code"] for r in rows]


async def test_a_leader_sees_only_their_own_buildings(desk: Desk) -> None:
    client = desk.client
    assert await sign_in(client, "张秀英") == 303            # 1-2号楼 (and backup of 3-4)
    async with desk.station.assistant.unit_of_work() as uow:
        tickets = list((await uow.session.execute(select(Ticket))).scalars())
    theirs = {"1号楼", "2号楼", "3号楼", "4号楼"}
    others = [t for t in tickets if t.building not in theirs]
    assert others, "the stories filed tickets in other buildings"
    for ticket in others:
        assert (await client.get(f"/staff/tickets/{ticket.code}")).status == 404
    rows = list(csv.DictReader(io.StringIO((await (await client.get(
        "/staff/export/tickets.csv")).read()).decode("utf-8-sig"))))
    assert all(r["building"] in theirs for r in rows)
    assert len(rows) == sum(t.building in theirs for t in tickets)
    assert (await client.get("/staff/failed")).status == 403


async def test_an_action_goes_through_the_chat_path(desk: Desk) -> None:
    client, station = desk.client, desk.station
    said = await station.person("resident-9").say("我住9号楼")
    said = await station.person("resident-9").say("9号楼2楼楼道灯坏了")
    code = re.search(r"R\d{4}", said)
    assert code, said
    await sign_in(client, "李琳")                             # 9号楼's leader
    token = await csrf_of(client, f"/staff/tickets/{code.group()}")
    # Without the form's token nothing happens.
    refused = await client.post(f"/staff/tickets/{code.group()}", data={"verb": "接单"})
    assert refused.status == 403
    page = await (await client.post(f"/staff/tickets/{code.group()}",
                                    data={"verb": "接单", "csrf": token})).text()
    assert "已接" in page or "接单" in page
    async with station.assistant.unit_of_work() as uow:
        ticket = await uow.tickets.by_code(code.group())
        assert ticket is not None and ticket.assignee == "李琳"
        events = list((await uow.session.execute(select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.platform == "web"))).scalars())
    assert [e.action for e in events] == ["claim"]


async def test_failed_notifications_can_be_sent_again(desk: Desk) -> None:
    client, station = desk.client, desk.station
    async with station.assistant.unit_of_work() as uow:
        uow.outbox.add("failed-1", "leader:李琳", "新报修 R0099")
        await uow.commit()
        message = (await uow.session.execute(select(OutboxMessage).where(
            OutboxMessage.idempotency_key == "failed-1"))).scalar_one()
        await uow.outbox.failed(message.id, "platform refused")
        await uow.commit()
    await sign_in(client, "王建华")
    page = await (await client.get("/staff/failed")).text()
    assert "新报修 R0099" in page and "platform refused" in page
    token = await csrf_of(client, "/staff/failed")
    await client.post(f"/staff/failed/{message.id}/retry", data={"csrf": token})
    async with station.assistant.unit_of_work() as uow:
        again = await uow.session.get(OutboxMessage, message.id)
        assert again is not None and again.state == "pending"


async def test_signing_in_locks_after_repeated_failures(desk: Desk) -> None:
    client, station = desk.client, desk.station
    for _ in range(LOCK_AFTER):
        assert await sign_in(client, "王建华", "guess") == 401
    assert await sign_in(client, "王建华") == 401              # even the right password
    page = await (await client.post("/staff/login", data={
        "name": "王建华", "password": PASSWORD})).text()
    assert "分钟后再试" in page
    station.advance(minutes=16)
    assert await sign_in(client, "王建华") == 303


async def test_signing_out_ends_the_session(desk: Desk) -> None:
    client = desk.client
    await sign_in(client, "王建华")
    kept = next(c for c in client.session.cookie_jar if c.key == COOKIE).value
    token = await csrf_of(client, "/staff/failed")
    await client.post("/staff/logout", data={"csrf": token})
    assert (await client.get("/staff/", allow_redirects=False)).status == 303
    # The cookie copied before signing out is void too, and so is its form token.
    client.session.cookie_jar.update_cookies({COOKIE: kept})
    assert (await client.get("/staff/", allow_redirects=False)).status == 303
    assert (await client.post("/staff/tickets/R0001", data={
        "verb": "接单", "csrf": token})).status == 401


async def test_the_desk_never_shows_who_a_resident_is(desk: Desk) -> None:
    await sign_in(desk.client, "王建华")
    page = await (await desk.client.get("/staff/tickets/W0004")).text()
    assert "resident:" not in page and "居民" in page


async def test_a_leader_sees_what_is_handed_to_them_but_no_consultation(desk: Desk) -> None:
    station = desk.station
    await station.person("r-c").say("转人工")
    await station.person("r-5").say("我住5号楼")
    said = await station.person("r-5").say("5号楼3楼楼道灯坏了")
    code = re.search(r"R\d{4}", said)
    assert code
    await station.assistant.dialogue.handle(IncomingMessage(
        "console", "staff:王建华", f"转交 {code.group()} 李琳"))
    await sign_in(desk.client, "李琳")                          # 9号楼's leader
    assert (await desk.client.get(f"/staff/tickets/{code.group()}")).status == 200
    listing = await (await desk.client.get("/staff/tickets")).text()
    assert code.group() in listing and "C00" not in listing
    consults = [t for t in await all_tickets(desk) if t.kind == "consult"]
    assert consults and (await desk.client.get(
        f"/staff/tickets/{consults[0].code}")).status == 404


async def test_bad_periods_and_numbers_get_pages_not_errors(desk: Desk) -> None:
    await sign_in(desk.client, "王建华")
    for path in ("/staff/?period=custom&from=0001-01-01&to=9999-12-31",
                 "/staff/?period=custom&from=2026-13-01&to=nonsense",
                 "/staff/unanswered?days=abc", "/staff/tickets/R99999999999999999999"):
        assert (await desk.client.get(path)).status in (200, 404), path
    page = await (await desk.client.get(
        "/staff/?period=custom&from=2001-01-01&to=2026-11-30")).text()
    assert "2025-11-29 至 2026-11-30" in page                  # a year at most


async def test_a_session_ends_after_a_working_day(desk: Desk) -> None:
    client, station = desk.client, desk.station
    await sign_in(client, "王建华")
    assert (await client.get("/staff/", allow_redirects=False)).status == 200
    station.advance(hours=13)
    assert (await client.get("/staff/", allow_redirects=False)).status == 303


def test_the_period_choices() -> None:
    from bot.staff.figures import period_of

    today = dt.date(2026, 11, 26)                               # a Thursday
    assert period_of("week", today) == (dt.date(2026, 11, 23), today)
    assert period_of("month", today) == (dt.date(2026, 11, 1), today)
    assert period_of("custom", today, dt.date(2026, 11, 20), dt.date(2026, 11, 10)) == (
        dt.date(2026, 11, 10), dt.date(2026, 11, 20))


def test_the_monthly_report_holds_the_months_numbers(desk: Desk, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    from bot.cli import main

    monkeypatch.setenv("YIZHAN_DATABASE_URL", desk.station.assistant.settings.database_url)
    assert main(["report", "--month", "2026-11", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "2026年11月" in text and "新工单 6 件" in text and "李琳" in text
    assert "满意度 4.3 分（3 人评价）" in text
    assert (tmp_path / "report-2026-11.txt").read_text(encoding="utf-8") == text
    assert "echarts" in (tmp_path / "report-2026-11.html").read_text(encoding="utf-8")
    for wrong in ("2026-13", "26-12", "2026-1"):
        assert main(["report", "--month", wrong, "--out", str(tmp_path)]) == 2


async def test_questions_the_bot_answered_are_counted_by_category(desk: Desk) -> None:
    from bot.server import write_consultations

    assistant = desk.station.assistant
    for text in ("敬老卡怎么办", "老年卡怎么办", "城乡居保缴费银行卡信息采集", "驿站几点开门",
                 "今天股票涨了吗"):
        await desk.station.person("asker").say(text)
    assert await write_consultations(assistant.dialogue, assistant.unit_of_work) >= 2
    assert await write_consultations(assistant.dialogue, assistant.unit_of_work) == 0
    await desk.station.person("asker").say("敬老卡怎么办")          # added to the same day
    await write_consultations(assistant.dialogue, assistant.unit_of_work)
    await sign_in(desk.client, "王建华")
    day = desk.station.now.date()
    page = await (await desk.client.get(
        f"/staff/?period=custom&from={day}&to={day}")).text()
    answered = re.search(r'id="consultations">(\d+)<', page)
    spot = re.search(r'id="on-the-spot">(\d+)<', page)
    assert answered and int(answered.group(1)) == 5             # the fallback is not counted
    assert spot and int(spot.group(1)) == 1                     # A001 is 当场办结
    assert "养老服务" in page and "驿站常见问题" in page
