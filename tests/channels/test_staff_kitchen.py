"""The staff desk's sheets for the kitchen (备餐单: counts per meal point and set or dish, and
the delivery round by building and floor) and for the counter (the day's appointments), with
their CSV downloads, on a station whose orders and appointments were made by residents in chat.
The page, the CSV and the chat's own 订餐统计 must agree; leaders and strangers are refused and
a query the desk cannot read gets a 400 page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.staff.auth import hash_password
from bot.staff.exports import COUNTER_COLUMNS, KITCHEN_COLUMNS, as_csv, floor_of
from bot.staff.web import DeskDependencies, staff_app
from tests.channels.test_staff_desk import PASSWORD, Client, sign_in
from tests.conftest import Station
from tests.stories import play, read_story

TUESDAY, WEDNESDAY = dt.date(2026, 11, 24), dt.date(2026, 11, 25)
KITCHEN = f"/staff/kitchen?day={TUESDAY}&meal=lunch"
KITCHEN_CSV = f"/staff/kitchen.csv?day={TUESDAY}&meal=lunch"
COUNTER = f"/staff/counter?day={WEDNESDAY}"
COUNTER_CSV = f"/staff/counter.csv?day={WEDNESDAY}"
# The story starts on Monday 2026-11-23 at 09:00: orders for Tuesday's lunch at three points,
# two elders' standing deliveries (approved by staff), and Wednesday's counter appointments,
# one cancelled by its resident and one marked 未到 by staff on the day.
SEED = """\
resident:韩老师@11号楼: 明天中午订两份A套餐
resident:韩老师@11号楼: 1
resident:张阿姨@12号楼: 明天中午在桂花苑订一份B套餐
resident:张阿姨@12号楼: 1
resident:陈老伯@2号楼: 明天中午订三份A套餐
resident:陈老伯@2号楼: 1
resident:赵阿姨@5号楼: 明天中午在食堂订一份百叶结烧肉和蒜蓉菠菜
resident:赵阿姨@5号楼: 1
resident:李阿姨@9号楼: 每天中午一份A套餐送到9号楼302
resident:李阿姨@9号楼: 83岁，老两口
resident:李阿姨@9号楼: 1
staff:王建华: 批准送餐 S0001
#> staff:王建华: 已批准 S0001
resident:周老伯@3号楼: 每天中午一份B套餐送到3号楼501
resident:周老伯@3号楼: 88岁，一个人住
resident:周老伯@3号楼: 1
staff:王建华: 批准送餐 S0002
#> staff:王建华: 已批准 S0002
resident:孙老伯@20号楼: 礼拜三上午9点预约办敬老卡
#> resident:孙老伯@20号楼: Y0001
resident:韩老师@11号楼: 礼拜三上午10点预约办敬老卡
#> resident:韩老师@11号楼: Y0002
resident:张阿姨@12号楼: 礼拜三上午9点预约办敬老卡
#> resident:张阿姨@12号楼: Y0003
resident:张阿姨@12号楼: 取消预约
#> resident:张阿姨@12号楼: 已取消预约 Y0003
staff:王建华: 11月24日午餐统计
# Wednesday 11:00: 韩老师 did not come at 10:00.
@clock +50h
staff:王建华: 未到 Y0002
#> staff:王建华: Y0002 已标记为未到
"""


@dataclass
class Kitchen:
    client: Client
    station: Station
    said: list[str]                  # everything the story sent


@pytest.fixture
async def desk(station: Station, tmp_path: Path) -> AsyncIterator[Kitchen]:
    story = tmp_path / "kitchen.txt"
    story.write_text(SEED, encoding="utf-8")
    said: list[str] = []
    problems = await play(station, read_story(story), said)
    assert not problems, "\n".join(problems)
    assistant = station.assistant
    async with assistant.unit_of_work() as uow:
        for name in ("王建华", "李琳"):
            await uow.credentials.set_password(name, hash_password(PASSWORD), station.now)
        await uow.commit()
    root = web.Application()
    root.add_subapp("/staff", staff_app(DeskDependencies(
        assistant.knowledge, assistant.unit_of_work, assistant.dialogue,
        lambda: station.now, secret="a-test-secret-of-enough-length",
        bookings=assistant.bookings)))
    async with TestClient(TestServer(root)) as client:
        yield Kitchen(client, station, said)


class _Tables(HTMLParser):
    """The text of every cell of every table, by the table's class."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows = self.tables.setdefault(dict(attrs).get("class") or "", [])
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._rows is not None and self._cell is not None:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def counts_on(page: str) -> dict[str, dict[str, int]]:
    """The counts table: meal point -> set or dish -> portions (合计 included)."""
    header, *rows = tables(page)["sheet counts"]
    return {row[0]: {what: int(n) for what, n in zip(header[1:], row[1:], strict=True) if n}
            for row in rows}


def csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode()), body[:20]          # Excel reads the Chinese
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


async def test_the_kitchen_sheet_counts_what_residents_ordered_in_chat(desk: Kitchen) -> None:
    client = desk.client
    assert await sign_in(client, "王建华") == 303
    response = await client.get(KITCHEN)
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    page = await response.text()
    assert "11月24日（周二）午餐" in page
    counts = counts_on(page)
    assert counts == {
        "梧桐路驿站长者食堂": {"百叶结烧肉": 1, "蒜蓉菠菜": 1, "合计": 2},
        "桂花苑助餐点": {"套餐A": 2, "套餐B": 1, "合计": 3},
        "梅园小区助餐点": {"套餐A": 3, "合计": 3},
        "送餐上门": {"套餐A": 1, "套餐B": 1, "合计": 2},
        "合计": {"套餐A": 6, "套餐B": 2, "百叶结烧肉": 1, "蒜蓉菠菜": 1, "合计": 10},
    }
    # The chat's 订餐统计 for the same meal says the same total.
    chat = next(re.search(r"合计 (\d+) 份", line) for line in desk.said
                if line.startswith("-> staff:王建华") and "订餐统计" in line)
    assert chat and int(chat.group(1)) == counts["合计"]["合计"]
    # The delivery round, building by building, the floor read from the room.
    header, *rows = tables(page)["sheet deliveries"]
    assert header[:6] == ["楼栋", "楼层", "房间", "姓名", "餐", "份数"]
    stops = [row for row in rows if len(row) > 1]
    assert [row[:6] for row in stops] == [["3号楼", "5楼", "501", "周老伯", "套餐B", "1"],
                                          ["9号楼", "3楼", "302", "李阿姨", "套餐A", "1"]]
    groups = [row[0] for row in rows if len(row) == 1]
    assert groups == ["3号楼（1 户，1 份）", "9号楼（1 户，1 份）"]
    # The menu of the day is printed for the kitchen, and dinner has nothing ordered.
    assert "套餐A</b>：" in page
    dinner = await (await client.get(f"/staff/kitchen?day={TUESDAY}&meal=dinner")).text()
    assert "11月24日（周二）晚餐还没有人订餐" in dinner and "李阿姨" not in dinner


async def test_the_kitchen_csv_holds_the_same_counts_and_round(desk: Kitchen) -> None:
    client = desk.client
    await sign_in(client, "王建华")
    page = await (await client.get(KITCHEN)).text()
    assert f'href="{KITCHEN_CSV.replace("&", "&amp;")}"' in page
    response = await client.get(KITCHEN_CSV)
    assert response.status == 200 and "text/csv" in response.headers["Content-Type"]
    assert 'filename="kitchen-20261124-lunch.csv"' in response.headers["Content-Disposition"]
    body = await response.read()
    assert body.decode("utf-8-sig").splitlines()[0] == ",".join(KITCHEN_COLUMNS)
    rows = csv_rows(body)
    assert {r["日期"] for r in rows} == {"2026-11-24"} and {r["餐次"] for r in rows} == {"午餐"}
    tally: dict[str, Counter[str]] = {}
    for row in rows:
        if row["部分"] == "备餐统计":
            tally.setdefault(row["取餐点"], Counter())[row["餐"]] += int(row["份数"])
    counts = counts_on(page)
    assert {point: {**parts, "合计": parts.total()} for point, parts in tally.items()} == {
        point: parts for point, parts in counts.items() if point != "合计"}
    assert sum(c.total() for c in tally.values()) == counts["合计"]["合计"] == 10
    round_ = [(r["楼栋"], r["楼层"], r["房间"], r["姓名"], r["餐"], r["份数"])
              for r in rows if r["部分"] == "送餐名单"]
    assert round_ == [("3号楼", "5楼", "501", "周老伯", "套餐B", "1"),
                      ("9号楼", "3楼", "302", "李阿姨", "套餐A", "1")]


async def test_the_counter_lists_the_days_appointments(desk: Kitchen) -> None:
    client = desk.client
    await sign_in(client, "王建华")
    page = await (await client.get(COUNTER)).text()
    assert "11月25日（周三）" in page and re.search(r'id="appointment-count">2<', page)
    header, *rows = tables(page)["sheet appointments"]
    assert header == ["时间", "预约号", "事项", "居民", "状态"]
    assert rows == [["09:00", "Y0001", "敬老卡申领", "孙老伯", "已预约"],
                    ["10:00", "Y0002", "敬老卡申领", "韩老师", "未到"]]   # Y0003 was cancelled
    assert f'href="{COUNTER_CSV}"' in page
    response = await client.get(COUNTER_CSV)
    assert response.status == 200
    assert 'filename="counter-20261125.csv"' in response.headers["Content-Disposition"]
    body = await response.read()
    assert body.decode("utf-8-sig").splitlines()[0] == ",".join(COUNTER_COLUMNS)
    assert [[r[c] for c in COUNTER_COLUMNS[1:]] for r in csv_rows(body)] == rows
    empty = await (await client.get(f"/staff/counter?day={TUESDAY}")).text()
    assert "11月24日（周二）没有预约" in empty


async def test_the_sheets_print_without_the_desks_navigation(desk: Kitchen) -> None:
    client = desk.client
    await sign_in(client, "王建华")
    for path in (KITCHEN, COUNTER):
        page = await (await client.get(path)).text()
        assert '<link rel="stylesheet" href="/staff/static/print.css" media="print">' in page
        assert "data-print" in page and 'class="filters no-print"' in page
    style = await (await client.get("/staff/static/print.css")).text()
    assert re.search(r"\.top, nav, form, button, \.no-print[^{]*\{ display: none", style)
    # Staff find both sheets in the desk's navigation.
    dashboard = await (await client.get("/staff/")).text()
    assert 'href="/staff/kitchen"' in dashboard and 'href="/staff/counter"' in dashboard


async def test_the_next_meal_is_shown_when_none_is_asked(desk: Kitchen) -> None:
    client, station = desk.client, desk.station
    station.now = dt.datetime(2026, 11, 24, 12, 59, tzinfo=station.now.tzinfo)
    await sign_in(client, "王建华")
    page = await (await client.get("/staff/kitchen")).text()
    assert "11月24日（周二）午餐" in page and counts_on(page)["合计"]["合计"] == 10
    station.now = dt.datetime(2026, 11, 24, 13, 0, tzinfo=station.now.tzinfo)
    page = await (await client.get("/staff/kitchen")).text()
    assert "11月24日（周二）晚餐" in page
    page = await (await client.get(f"/staff/kitchen?day={TUESDAY}")).text()
    assert "11月24日（周二）晚餐" in page
    page = await (await client.get("/staff/counter")).text()
    assert "11月24日（周二）" in page


async def test_signed_out_and_leaders_are_refused(desk: Kitchen) -> None:
    client = desk.client
    for path in (KITCHEN, COUNTER):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"].startswith(
            "/staff/login"), path
    for path in (KITCHEN_CSV, COUNTER_CSV):
        assert (await client.get(path, allow_redirects=False)).status == 401, path
    assert await sign_in(client, "李琳") == 303                     # 9号楼's leader
    for path in (KITCHEN, COUNTER, KITCHEN_CSV, COUNTER_CSV, "/staff/kitchen?day=nonsense"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 403, path
        assert "李阿姨" not in await response.text()
    dashboard = await (await client.get("/staff/")).text()
    assert "/staff/kitchen" not in dashboard and "/staff/counter" not in dashboard


async def test_a_query_the_desk_cannot_read_gets_a_400_page(desk: Kitchen) -> None:
    client = desk.client
    await sign_in(client, "王建华")
    for path in ("/staff/kitchen?day=2026-13-40", "/staff/kitchen.csv?day=nonsense",
                 "/staff/kitchen?day=0001-01-01&meal=lunch", "/staff/counter?day=11月25日",
                 "/staff/counter.csv?day=2026-02-30"):
        response = await client.get(path)
        page = await response.text()
        assert response.status == 400, path
        assert "text/html" in response.headers["Content-Type"]
        assert "查询有误" in page and "看不懂日期" in page and "2026-11-24 这样" in page, path
    for path in ("/staff/kitchen?meal=supper", f"/staff/kitchen.csv?day={TUESDAY}&meal=午饭",
                 "/staff/kitchen?meal=<script>alert(1)</script>"):
        response = await client.get(path)
        page = await response.text()
        assert response.status == 400, path
        assert "没有“" in page and "午餐（lunch）" in page, path
        assert "<script>alert" not in page                         # escaped, not run
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_csv_keeps_a_residents_words_as_text() -> None:
    body = as_csv([["备餐统计", "=HYPERLINK(\"http://x\")", "-1+2", "@SUM(A1)", "王阿婆"]],
                  KITCHEN_COLUMNS)
    row = next(csv.reader(io.StringIO(body.decode("utf-8-sig").splitlines()[1])))
    assert row == ["备餐统计", "'=HYPERLINK(\"http://x\")", "'-1+2", "'@SUM(A1)", "王阿婆"]


@pytest.mark.parametrize(("room", "floor"), [
    ("302", "3楼"), ("1203室", "12楼"), ("5楼", "5楼"), ("3楼到4楼当中", "3楼"), ("", ""),
    ("底楼", "")])
def test_the_floor_of_a_room(room: str, floor: str) -> None:
    assert floor_of(room) == floor
