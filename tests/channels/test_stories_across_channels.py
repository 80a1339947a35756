"""Whole stories through the running server: residents on the 服务号 or in a Telegram group,
the building leader on WeCom, every platform a fake on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.bootstrap import bootstrap
from bot.channels.telegram_settings import SECRET_HEADER
from bot.config import ServerSettings, load_settings
from bot.server import OUTBOX, create_app
from tests.channels.fake_telegram import TOKEN as TELEGRAM_TOKEN
from tests.channels.fake_telegram import FakeBotApi, group_chat, message_update
from tests.channels.fake_tencent import FakeClock, FakeTencent, TencentPusher, text_xml

ROOT = Path(__file__).resolve().parents[2]
MP_TOKEN, MP_AES = "mptoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WORK_TOKEN, WORK_AES = "worktoken", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
TELEGRAM_SECRET = "story_secret"
LEADER_WECOM = "zhangxiuying"   # 张秀英 leads 1号楼 in the roster
NOW = int(time.time())          # residents write now: the 48-hour reply window is open


@dataclass
class Station:
    """The server and every platform around it."""

    client: TestClient[web.Request, web.Application]
    tencent: FakeTencent
    telegram: FakeBotApi
    resident: TencentPusher
    leader: TencentPusher
    route: str

    async def deliver(self) -> None:
        """One pass of the outbox sender (the server's loop is off in tests)."""
        await self.client.app[OUTBOX].deliver_due(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))

    def work_texts(self, touser: str) -> list[str]:
        return [c.text for c in self.tencent.calls_to("/cgi-bin/message/send")
                if c.body.get("touser") == touser]

    def customer_texts(self, openid: str) -> list[str]:
        return [c.text for c in self.tencent.calls_to("/cgi-bin/message/custom/send")
                if c.body.get("touser") == openid]


@pytest.fixture
async def station(tmp_path: Path) -> AsyncIterator[Station]:
    async with running_station(tmp_path, background=False) as ready:
        yield ready


@contextlib.asynccontextmanager
async def running_station(tmp_path: Path, background: bool) -> AsyncIterator[Station]:
    """The server with every channel on, pointed at fakes; `background` runs its loops."""
    tencent, telegram = FakeTencent(), FakeBotApi()
    base = await tencent.start()
    await telegram.start()
    env = {
        "YIZHAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'station.db'}",
        "YIZHAN_WECHAT_TOKEN": MP_TOKEN, "YIZHAN_WECHAT_AES_KEY": MP_AES,
        "YIZHAN_WECHAT_APPID": tencent.appid, "YIZHAN_WECHAT_SECRET": tencent.secret,
        "YIZHAN_WECHAT_API_BASE": base, "YIZHAN_WECHAT_MAX_SKEW": "0",
        "YIZHAN_WECOM_TOKEN": WORK_TOKEN, "YIZHAN_WECOM_AES_KEY": WORK_AES,
        "YIZHAN_WECOM_CORP_ID": tencent.corp_id, "YIZHAN_WECOM_SECRET": tencent.corp_secret,
        "YIZHAN_WECOM_AGENT_ID": "1000002", "YIZHAN_WECOM_API_BASE": base,
        "YIZHAN_WECOM_MAX_SKEW": "0",
        "YIZHAN_TELEGRAM_TOKEN": TELEGRAM_TOKEN, "YIZHAN_TELEGRAM_SECRET": TELEGRAM_SECRET,
        "YIZHAN_TELEGRAM_API_BASE": telegram.base_url,
    }
    settings = load_settings(ROOT / "config.toml", environ=env)
    settings = dataclasses.replace(settings, server=ServerSettings(
        scheduler_seconds=0.05, outbox_seconds=0.05))
    assistant = await asyncio.to_thread(bootstrap, settings)
    app = await create_app(settings, assistant, background=background)
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    clock = FakeClock()
    session = aiohttp.ClientSession()
    resident = TencentPusher(session, str(client.make_url("/wechat/mp")), MP_TOKEN, MP_AES,
                             tencent.appid, clock, work=False)
    leader = TencentPusher(session, str(client.make_url("/wechat/work")), WORK_TOKEN, WORK_AES,
                           tencent.corp_id, clock, work=True)
    route = next(r for r in app.router.routes() if r.resource is not None
                 and r.resource.canonical.startswith("/telegram/")).resource
    assert route is not None
    try:
        yield Station(client, tencent, telegram, resident, leader, route.canonical)
    finally:
        await session.close()
        await client.close()
        await telegram.close()
        await tencent.close()


async def passive_text(pusher: TencentPusher, status_body: tuple[int, str]) -> str:
    status, body = status_body
    assert status == 200, body
    return str(pusher.open_reply(body)["Content"])


def work_xml(content: str, msg_id: int, user: str = LEADER_WECOM) -> str:
    return (f"<xml><ToUserName><![CDATA[{FakeTencent.corp_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>1795000000"
            f"</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]>"
            f"</Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>")


async def test_reported_on_the_official_account_done_from_wecom_told_back(
        station: Station) -> None:
    said = await passive_text(station.resident, await station.resident.push(
        text_xml("1号楼3楼楼道灯坏了", user="o-zhang", msg_id=501, created=NOW)))
    assert "R0001" in said and "张秀英" in said
    # WeChat retries the same message: same answer, still one ticket
    again = await passive_text(station.resident, await station.resident.push(
        text_xml("1号楼3楼楼道灯坏了", user="o-zhang", msg_id=501, created=NOW)))
    assert again == said

    await station.deliver()
    [notice] = station.work_texts(LEADER_WECOM)
    assert "R0001" in notice and "1号楼" in notice

    done = await passive_text(station.leader, await station.leader.push(
        work_xml("完成 R0001 换了新灯泡", 9001)))
    assert "已标记 R0001 完成" in done
    await station.deliver()
    [told] = station.customer_texts("o-zhang")
    assert "R0001" in told and "换了新灯泡" in told and "回复1确认" in told

    thanks = await passive_text(station.resident, await station.resident.push(
        text_xml("1", user="o-zhang", msg_id=502, created=NOW)))
    assert "已完成" in thanks


async def test_a_leader_from_another_building_is_refused_on_wecom(station: Station) -> None:
    await station.resident.push(text_xml("1号楼楼道灯坏了", user="o-li", msg_id=601, created=NOW))
    refused = await passive_text(station.leader, await station.leader.push(
        work_xml("接单 R0001", 9101, user="liujianguo")))
    assert "不是您负责" in refused


async def test_the_same_story_inside_a_telegram_group(station: Station) -> None:
    group = group_chat()
    update = message_update(1, 7001, "@yizhan_bot 1号楼楼道灯坏了", chat=group,
                            entities=[{"type": "mention", "offset": 0, "length": 11}])
    headers = {SECRET_HEADER: TELEGRAM_SECRET}
    assert (await station.client.post(station.route, json=update, headers=headers)).status == 200
    await station.telegram.wait_for("sendMessage", 2)
    in_group = [c for c in station.telegram.sent if c.chat_id == str(group["id"])]
    private = [c for c in station.telegram.sent if c.chat_id == "7001"]
    assert len(in_group) == 1 and "R0001" in in_group[0].params["text"]
    assert "楼道" not in in_group[0].params["text"]        # details go privately
    assert private and "楼道" in private[0].params["text"]

    await station.deliver()
    [notice] = station.work_texts(LEADER_WECOM)
    assert "R0001" in notice
    await station.leader.push(work_xml("完成 R0001 修好了", 9201))
    await station.deliver()
    told = [c for c in station.telegram.sent if c.chat_id == "7001"][-1]
    assert "R0001" in told.params["text"] and "修好了" in told.params["text"]
    assert ("1", "1") in told.buttons and ("2", "2") in told.buttons   # 已修好了吗: 1 / 2


async def test_the_server_sends_notifications_by_itself(tmp_path: Path) -> None:
    async with running_station(tmp_path, background=True) as station:
        await station.resident.push(text_xml("1号楼楼道灯坏了", user="o-wu", msg_id=701,
                                             created=NOW))
        async with asyncio.timeout(10):
            while not station.work_texts(LEADER_WECOM):
                await asyncio.sleep(0.05)
        assert "R0001" in station.work_texts(LEADER_WECOM)[0]
