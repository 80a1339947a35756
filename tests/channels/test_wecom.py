"""The WeCom adapter through a running loopback server: Tencent's vector V1 (with its `+` on the
wire), the security rules, the reply budget, app messages within rate limits, group robots."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.base import MemorySharedState
from bot.channels.tencent_api import tencent_signature
from bot.channels.wecom import (
    WeComAppSender,
    WeComChannel,
    WeComRobotSender,
    WeComRobotSettings,
    WeComSettings,
)
from bot.config import ConfigError
from bot.messages import DeliveryError, IncomingMessage, Reply
from tests.channels.fake_tencent import (
    FakeClock,
    FakeTencent,
    RecordingCore,
    TencentPusher,
    message_xml,
    text_xml,
)

SEND = "/cgi-bin/message/send"
WEBHOOK = "/cgi-bin/webhook/send"
TOKEN = "work-callback-token"
AES_KEY = base64.b64encode(bytes(range(100, 132))).decode().rstrip("=")
LEADER = "lilin"

V1_TOKEN = "QDG6eK"
V1_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
V1_CORP_ID = "wx5823bf96d3bd56c7"
V1_ECHO_ON_THE_WIRE = ("P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8T"
                       "gAE7OaBO%2BFZXvnaqQ%3D%3D")
V1_ECHO_RAW = ("P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO"
               "+FZXvnaqQ==")
V1_GET = ("msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589"
          "&nonce=263014780&echostr=")
V1_POST_QUERY = {"msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6",
                 "timestamp": "1409659813", "nonce": "1372623149"}
V1_POST_BODY = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA["
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdC"
    "Upj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4X"
    "gpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+K"
    "qCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XX"
    "ZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHB"
    "ZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>")


@dataclass
class Office:
    """One running WeCom callback server with its fakes."""

    channel: WeComChannel
    core: RecordingCore
    wecom: TencentPusher
    clock: FakeClock

    async def say(self, text: str, msg_id: int = 2001, user: str = LEADER) -> str:
        """A member's text message; the passive reply's Content, or "" when none."""
        status, body = await self.wecom.push(text_xml(text, user=user, msg_id=msg_id,
                                                       created=self.clock.unix))
        assert status == 200
        return str(self.wecom.open_reply(body)["Content"]) if body else ""


StartOffice = Callable[..., Awaitable[Office]]


@pytest.fixture
async def start(fake: FakeTencent, http: aiohttp.ClientSession) -> AsyncIterator[StartOffice]:
    running: list[tuple[WeComChannel, TestServer]] = []

    async def start_office(core: RecordingCore | None = None, **changes: Any) -> Office:
        clock = FakeClock()
        settings = dataclasses.replace(WeComSettings(
            token=TOKEN, aes_key=AES_KEY, corp_id=fake.corp_id, secret=fake.corp_secret,
            agent_id=1000002, api_base=fake.base_url), **changes)
        core = core or RecordingCore()
        channel = WeComChannel(settings, core, MemorySharedState(), http, clock, clock.sleep)
        app = web.Application()
        channel.add_routes(app)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        running.append((channel, server))
        wecom = TencentPusher(http, str(server.make_url("/wechat/work")), settings.token,
                              settings.aes_key, settings.corp_id, clock, work=True)
        return Office(channel, core, wecom, clock)

    yield start_office
    for channel, server in running:
        await channel.close()
        await server.close()


# --- Settings ---------------------------------------------------------------------------------

ENV = {"YIZHAN_WECOM_TOKEN": TOKEN, "YIZHAN_WECOM_AES_KEY": AES_KEY,
       "YIZHAN_WECOM_CORP_ID": "ww1", "YIZHAN_WECOM_SECRET": "corp-s3cret",
       "YIZHAN_WECOM_AGENT_ID": "1000002"}


def test_settings_off_when_nothing_is_configured() -> None:
    assert WeComSettings.from_env({}, {}) is None
    assert WeComSettings.from_env(ENV, {"enabled": False}) is None
    assert WeComRobotSettings.from_env({}, {}) is None


def test_settings_name_every_missing_secret() -> None:
    with pytest.raises(ConfigError) as raised:
        WeComSettings.from_env({}, {"enabled": True})
    for name in ENV:
        assert name in str(raised.value)
    partial = {k: v for k, v in ENV.items() if k != "YIZHAN_WECOM_SECRET"}
    with pytest.raises(ConfigError, match="YIZHAN_WECOM_SECRET is not set"):
        WeComSettings.from_env(partial, {})


def test_settings_from_environment_and_table() -> None:
    settings = WeComSettings.from_env(
        {**ENV, "YIZHAN_WECOM_API_BASE": "http://127.0.0.1:8002", "YIZHAN_WECOM_MAX_SKEW": "60"},
        {"passive_seconds": 2.5, "max_body_bytes": 16384, "robots": {"9号楼群": "R9"}})
    assert settings is not None
    assert (settings.corp_id, settings.agent_id, settings.max_skew) == ("ww1", 1000002, 60)
    assert (settings.passive_seconds, settings.max_body_bytes) == (2.5, 16384)
    assert settings.api_base == "http://127.0.0.1:8002"
    assert settings.menu["REPORT"] == "我要报修"
    assert "corp-s3cret" not in repr(settings)
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(("environ", "words"), [
    ({**ENV, "YIZHAN_WECOM_AGENT_ID": "app"}, "YIZHAN_WECOM_AGENT_ID"),
    ({**ENV, "YIZHAN_WECOM_AES_KEY": "!" * 43}, "EncodingAESKey"),
    ({**ENV, "YIZHAN_WECOM_AES_KEY": AES_KEY + "A"}, "EncodingAESKey"),
])
def test_settings_refuse_mistakes(environ: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        WeComSettings.from_env(environ, {})


@pytest.mark.parametrize(("table", "words"), [
    ({"passive_seconds": 5}, "passive_seconds"), ({"token": "x"}, "unknown"),
    ({"max_body_bytes": "big"}, "max_body_bytes")])
def test_settings_refuse_table_mistakes(table: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        WeComSettings.from_env(ENV, table)


def test_robots_read_their_keys_from_the_environment() -> None:
    table = {"robots": {"9号楼群": "YIZHAN_WECOM_ROBOT_9", "站务群": "YIZHAN_WECOM_ROBOT_S"}}
    with pytest.raises(ConfigError, match="YIZHAN_WECOM_ROBOT_9, YIZHAN_WECOM_ROBOT_S"):
        WeComRobotSettings.from_env({}, table)
    robots = WeComRobotSettings.from_env(
        {"YIZHAN_WECOM_ROBOT_9": "key-9", "YIZHAN_WECOM_ROBOT_S": "key-s"}, table)
    assert robots is not None
    assert dict(robots.keys) == {"9号楼群": "key-9", "站务群": "key-s"}
    assert "key-9" not in repr(robots)
    with pytest.raises(ConfigError, match="robots"):
        WeComRobotSettings.from_env({}, {"robots": ["YIZHAN_WECOM_ROBOT_9"]})


# --- Vector V1 --------------------------------------------------------------------------------


async def start_v1(start: StartOffice, **changes: Any) -> Office:
    options: dict[str, Any] = {"token": V1_TOKEN, "aes_key": V1_AES_KEY,
                               "corp_id": V1_CORP_ID, "agent_id": 218, "max_skew": 0, **changes}
    return await start(**options)


@pytest.mark.parametrize("echo", [V1_ECHO_ON_THE_WIRE, V1_ECHO_RAW], ids=["encoded", "raw"])
async def test_vector_v1_url_check(start: StartOffice, echo: str) -> None:
    office = await start_v1(start)
    assert await office.wecom.get(V1_GET + echo) == (200, "1616140317555161061")


async def test_vector_v1_url_check_refusals(start: StartOffice) -> None:
    office = await start_v1(start)
    forged = V1_GET.replace("5c45ff5e", "00000000") + V1_ECHO_ON_THE_WIRE
    assert (await office.wecom.get(forged))[0] == 403
    as_if_plus_were_space = V1_GET + V1_ECHO_RAW.replace("+", "%20")
    assert (await office.wecom.get(as_if_plus_were_space))[0] == 403
    assert (await office.wecom.get(V1_GET))[0] == 400
    other_corp = await start_v1(start, corp_id="ww_another_corp")
    assert (await other_corp.wecom.get(V1_GET + V1_ECHO_ON_THE_WIRE))[0] == 403
    fresh_only = await start_v1(start, max_skew=300)
    assert (await fresh_only.wecom.get(V1_GET + V1_ECHO_ON_THE_WIRE))[0] == 403


async def test_vector_v1_message(start: StartOffice) -> None:
    office = await start_v1(start)
    status, body = await office.wecom.post(V1_POST_QUERY, V1_POST_BODY)
    assert status == 200
    [message] = office.core.calls
    assert (message.platform, message.user_id, message.text, message.kind) == (
        "wecom", "mycreate", "hello", "text")
    assert message.message_id == "4561255354251345929"
    reply = office.wecom.open_reply(body)
    assert reply["Content"] == "收到：hello"
    assert reply["ToUserName"] == "mycreate"
    assert reply["FromUserName"] == V1_CORP_ID
    assert reply["AgentID"] == "218"


async def test_vector_v1_message_refused_for_another_corp(start: StartOffice) -> None:
    office = await start_v1(start, corp_id="ww_another_corp")
    status, _ = await office.wecom.post(V1_POST_QUERY, V1_POST_BODY)
    assert status == 403
    assert office.core.calls == []


# --- Security ---------------------------------------------------------------------------------

BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        ']><xml><Encrypt>&lol1;</Encrypt></xml>')
Request = tuple[dict[str, str], str]


def forged(office: Office) -> Request:
    query, body = office.wecom.safe_request(text_xml("hi"))
    return {**query, "msg_signature": "f" * 40}, body


def stale(office: Office) -> Request:
    return office.wecom.safe_request(text_xml("hi"), timestamp=str(office.clock.unix - 400))


def other_corp(office: Office) -> Request:
    return office.wecom.for_receive_id("ww_another_corp").safe_request(text_xml("hi"))


def oversized(office: Office) -> Request:
    return office.wecom.safe_request(text_xml("长" * 30_000))


def malformed(office: Office) -> Request:
    query, _ = office.wecom.safe_request(text_xml("hi"))
    return query, "<xml><Encrypt>"


def bad_ciphertext(office: Office) -> Request:
    timestamp, nonce, encrypt = str(office.clock.unix), "1", "!!not-base64!!"
    return ({"timestamp": timestamp, "nonce": nonce,
             "msg_signature": tencent_signature(TOKEN, timestamp, nonce, encrypt)},
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")


def bomb(office: Office) -> Request:
    query, _ = office.wecom.safe_request(text_xml("hi"))
    return query, BOMB


def bomb_inside(office: Office) -> Request:
    return office.wecom.safe_request(BOMB)


@pytest.mark.parametrize(("make", "status"), [
    (forged, 403), (stale, 403), (other_corp, 403), (oversized, 413), (malformed, 400),
    (bad_ciphertext, 400), (bomb, 400), (bomb_inside, 400)])
async def test_bad_requests_are_refused_and_the_server_keeps_serving(
        start: StartOffice, make: Callable[[Office], Request], status: int) -> None:
    office = await start(max_body_bytes=8192)
    query, body = make(office)
    assert (await office.wecom.post(query, body))[0] == status
    assert office.core.calls == []
    assert await office.say("在吗") == "收到：在吗"


async def test_a_burst_of_one_delivery_calls_the_core_once(start: StartOffice) -> None:
    gate = asyncio.Event()
    office = await start(RecordingCore(gate=gate))
    query, body = office.wecom.safe_request(text_xml("接单 R0012", user=LEADER, msg_id=77))

    async def release_soon() -> None:
        await asyncio.sleep(0.05)
        gate.set()

    releasing = asyncio.create_task(release_soon())
    answers = await asyncio.gather(*(office.wecom.post(query, body) for _ in range(50)))
    await releasing
    assert len(office.core.calls) == 1
    assert {office.wecom.open_reply(text)["Content"] for _, text in answers} == {
        "收到：接单 R0012"}


# --- Replies: passive within budget, app messages otherwise -----------------------------------


async def test_a_slow_core_gets_an_empty_answer_then_an_app_message(
        start: StartOffice, fake: FakeTencent) -> None:
    gate = asyncio.Event()
    office = await start(RecordingCore(gate=gate), passive_seconds=0.01)
    assert await office.say("我的工单") == ""
    gate.set()
    [sent] = await fake.wait_for(SEND, 1)
    assert sent.body == {"touser": LEADER, "msgtype": "text", "agentid": 1000002,
                         "text": {"content": "收到：我的工单"}}


async def test_long_answers_are_split_within_2048_bytes(
        start: StartOffice, fake: FakeTencent) -> None:
    text = "工" * 1500                                   # 4500 bytes: three pieces
    office = await start(RecordingCore(lambda m: [Reply(text)]))
    first = await office.say("工单列表")
    rest = [call.text for call in await fake.wait_for(SEND, 2)]
    assert all(len(piece.encode()) <= 2048 for piece in [first, *rest])
    assert "".join([first, *rest]) == text


@pytest.mark.parametrize(("fields", "expected"), [
    ("<Event><![CDATA[click]]></Event><EventKey><![CDATA[MY_TICKETS]]></EventKey>"
     "<AgentID>1000002</AgentID>", ("text", "我的工单")),
    ("<Event><![CDATA[subscribe]]></Event><AgentID>1000002</AgentID>", ("event", "subscribe")),
    ("<Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey>"
     "<AgentID>1000002</AgentID>", None),
])
async def test_events(start: StartOffice, fields: str,
                      expected: tuple[str, str] | None) -> None:
    office = await start()
    status, body = await office.wecom.push(message_xml("event", fields, user=LEADER,
                                                       created=office.clock.unix))
    assert status == 200
    if expected is None:
        assert body == ""
        assert office.core.calls == []
    else:
        assert [(m.kind, m.text, m.platform) for m in office.core.calls] == [
            (*expected, "wecom")]


# --- Senders and rate limits ------------------------------------------------------------------


async def test_app_messages_honour_30_per_member_per_minute(
        start: StartOffice, fake: FakeTencent) -> None:
    office = await start()
    sender: WeComAppSender = office.channel.sender
    for n in range(30):
        await sender.send(LEADER, Reply(f"n{n}"), f"k{n}")
    assert office.clock.slept == []
    with pytest.raises(DeliveryError, match="rate limit"):
        await sender.send(LEADER, Reply("too soon"), "k30")
    await sender.send("wangjh", Reply("another member"), "k31")
    office.clock.advance(57)
    await sender.send(LEADER, Reply("after a short wait"), "k32")
    assert office.clock.slept == [pytest.approx(3.0)]
    assert [call.text for call in fake.calls_to(SEND)][-2:] == ["another member",
                                                              "after a short wait"]


async def test_app_message_to_a_member_out_of_reach_is_a_delivery_error(
        start: StartOffice) -> None:
    office = await start()
    with pytest.raises(DeliveryError, match="gone-zhao"):
        await office.channel.sender.send("gone-zhao", Reply("hi"), "k1")


@pytest.fixture
def robots(fake: FakeTencent, http: aiohttp.ClientSession) -> tuple[WeComRobotSender, FakeClock]:
    clock = FakeClock()
    settings = WeComRobotSettings(keys={"9号楼群": "robot-key-9", "旧群": "revoked-key"},
                                  api_base=fake.base_url)
    return WeComRobotSender(settings, http, MemorySharedState(), clock, clock.sleep), clock


async def test_robot_posts_into_its_group(robots: tuple[WeComRobotSender, FakeClock],
                                          fake: FakeTencent) -> None:
    sender, _ = robots
    assert sender.platform == "wecom_robot"
    assert sender.robots == {"9号楼群", "旧群"}
    await sender.send("9号楼群", Reply("明天9:00-12:00停水"), "notice:1")
    [call] = fake.calls_to(WEBHOOK)
    assert call.query == {"key": "robot-key-9"}
    assert call.text == "明天9:00-12:00停水"
    with pytest.raises(DeliveryError, match="no WeCom robot"):
        await sender.send("10号楼群", Reply("x"), "notice:2")


async def test_robot_honours_20_per_minute(robots: tuple[WeComRobotSender, FakeClock],
                                           fake: FakeTencent) -> None:
    sender, clock = robots
    for n in range(20):
        await sender.send("9号楼群", Reply(f"n{n}"), f"notice:{n}")
    with pytest.raises(DeliveryError, match="rate limit"):
        await sender.send("9号楼群", Reply("too soon"), "notice:20")
    clock.advance(58)
    await sender.send("9号楼群", Reply("later"), "notice:21")
    assert clock.slept == [pytest.approx(2.0)]
    assert len(fake.calls_to(WEBHOOK)) == 21


async def test_robot_key_never_reaches_the_logs(robots: tuple[WeComRobotSender, FakeClock],
                                                caplog: pytest.LogCaptureFixture) -> None:
    sender, _ = robots
    with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError) as raised:
        await sender.send("旧群", Reply("x"), "notice:1")
    assert "revoked-key" not in str(raised.value)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert not any("revoked-key" in text for text in ours)


async def test_core_failures_do_not_break_the_callback(start: StartOffice) -> None:
    def answer(message: IncomingMessage) -> list[Reply]:
        if message.text == "boom":
            raise RuntimeError("core bug")
        return [Reply("ok")]

    office = await start(RecordingCore(answer))
    assert await office.say("boom", msg_id=1) == ""
    assert await office.say("fine", msg_id=2) == "ok"
