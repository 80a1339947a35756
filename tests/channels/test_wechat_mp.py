"""The 服务号 adapter through a running loopback server: Tencent's vector V3, the security
rules, the passive-reply budget, the customer-service window, events and media."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.base import MemorySharedState, SharedState, Stamped
from bot.channels.inbox import MessageInbox
from bot.channels.tencent_api import DEFAULT_MENU, UndeliverableError, tencent_signature
from bot.channels.wechat_mp import CustomerServiceWindow, WeChatMpChannel, WeChatMpSettings
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

CUSTOM = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"
TOKEN = "station-token"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
USER = "o-resident-1"

V3_TOKEN = "spamtest"
V3_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
V3_APPID = "wx2c2769f8efd9abc2"
V3_QUERY = {"timestamp": "1409735669", "nonce": "1320562132",
            "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
            "signature": "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a", "encrypt_type": "aes"}
V3_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8P"
    "GHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa"
    "+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X"
    "8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9F"
    "yJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=")
V3_PLAIN_FIELDS = (
    "<ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
    "<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>")
V3_COMPAT_BODY = f"<xml>{V3_PLAIN_FIELDS}<Encrypt><![CDATA[{V3_ENCRYPT}]]></Encrypt></xml>"
V3_SAFE_BODY = ("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
                f"<Encrypt><![CDATA[{V3_ENCRYPT}]]></Encrypt></xml>")


@dataclass
class Station:
    """One running 服务号 callback server with its fakes."""

    channel: WeChatMpChannel
    core: RecordingCore
    wechat: TencentPusher
    clock: FakeClock
    settings: WeChatMpSettings

    async def say(self, text: str, msg_id: int = 1001, user: str = USER) -> str:
        """A resident's text message; the passive reply's Content, or the body as sent."""
        status, body = await self.wechat.push(text_xml(text, user=user, msg_id=msg_id,
                                                        created=self.clock.unix))
        assert status == 200
        return self.reply_text(body)

    def reply_text(self, body: str) -> str:
        """The Content of an encrypted passive reply, or the body itself ("success")."""
        return body if body == "success" else str(self.wechat.open_reply(body)["Content"])


StartStation = Callable[..., Awaitable[Station]]


@pytest.fixture
async def start(fake: FakeTencent, http: aiohttp.ClientSession
                ) -> AsyncIterator[StartStation]:
    running: list[tuple[WeChatMpChannel, TestServer]] = []

    async def start_station(core: RecordingCore | None = None,
                            state: SharedState | None = None,
                            inbox: MessageInbox | None = None, **changes: Any) -> Station:
        clock = FakeClock()
        settings = dataclasses.replace(WeChatMpSettings(
            token=TOKEN, appid=fake.appid, secret=fake.secret, aes_key=AES_KEY,
            api_base=fake.base_url), **changes)
        core = core or RecordingCore()
        channel = WeChatMpChannel(settings, core, state or MemorySharedState(), http, clock,
                                  inbox=inbox)
        app = web.Application()
        channel.add_routes(app)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        running.append((channel, server))
        wechat = TencentPusher(http, str(server.make_url("/wechat/mp")), settings.token,
                               settings.aes_key or AES_KEY, settings.appid, clock, work=False)
        return Station(channel, core, wechat, clock, settings)

    yield start_station
    for channel, server in running:
        await channel.close()
        await server.close()


# --- Settings ---------------------------------------------------------------------------------

ENV = {"YIZHAN_WECHAT_TOKEN": TOKEN, "YIZHAN_WECHAT_AES_KEY": AES_KEY,
       "YIZHAN_WECHAT_APPID": "wx1", "YIZHAN_WECHAT_SECRET": "s3cret"}


def test_settings_off_when_nothing_is_configured() -> None:
    assert WeChatMpSettings.from_env({}, {}) is None
    assert WeChatMpSettings.from_env(ENV, {"enabled": False}) is None


def test_settings_name_every_missing_secret() -> None:
    with pytest.raises(ConfigError) as raised:
        WeChatMpSettings.from_env({}, {"enabled": True})
    for name in ENV:
        assert name in str(raised.value)
    with pytest.raises(ConfigError) as raised:
        WeChatMpSettings.from_env({"YIZHAN_WECHAT_TOKEN": TOKEN}, {})
    assert "YIZHAN_WECHAT_TOKEN" not in str(raised.value)
    assert "YIZHAN_WECHAT_SECRET" in str(raised.value)


def test_settings_from_environment_and_table() -> None:
    settings = WeChatMpSettings.from_env(
        {**ENV, "YIZHAN_WECHAT_MAX_SKEW": "0",
         "YIZHAN_WECHAT_API_BASE": "http://127.0.0.1:8001/"},
        {"enabled": True, "passive_seconds": 3, "max_body_bytes": 8192,
         "template_id": "TPL-1", "menu": {"NEWS": "社区新闻", "WISH": "心愿"}})
    assert settings is not None
    assert (settings.token, settings.appid, settings.secret) == (TOKEN, "wx1", "s3cret")
    assert settings.max_skew == 0
    assert settings.api_base == "http://127.0.0.1:8001"
    assert (settings.passive_seconds, settings.max_body_bytes) == (3.0, 8192)
    assert settings.template_id == "TPL-1"
    assert settings.menu["NEWS"] == "社区新闻"
    assert settings.menu["WISH"] == "心愿"
    assert settings.menu["REPORT"] == "我要报修"
    assert TOKEN not in repr(settings)
    assert "s3cret" not in repr(settings)
    assert AES_KEY not in repr(settings)


@pytest.mark.parametrize(("environ", "table", "words"), [
    (ENV, {"secret": "in the table"}, "unknown"),
    ({**ENV, "YIZHAN_WECHAT_AES_KEY": "short"}, {}, "EncodingAESKey"),
    ({**ENV, "YIZHAN_WECHAT_MAX_SKEW": "soon"}, {}, "YIZHAN_WECHAT_MAX_SKEW"),
    ({**ENV, "YIZHAN_WECHAT_API_BASE": "api.weixin.qq.com"}, {}, "YIZHAN_WECHAT_API_BASE"),
    (ENV, {"passive_seconds": 6}, "passive_seconds"),
    (ENV, {"enabled": "yes"}, "enabled"),
    (ENV, {"menu": {"NEWS": 3}}, "menu"),
])
def test_settings_refuse_mistakes(environ: dict[str, str], table: dict[str, Any],
                                  words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        WeChatMpSettings.from_env(environ, table)


def test_aes_key_is_optional_only_in_plaintext_mode() -> None:
    environ = {k: v for k, v in ENV.items() if k != "YIZHAN_WECHAT_AES_KEY"}
    with pytest.raises(ConfigError, match="YIZHAN_WECHAT_AES_KEY"):
        WeChatMpSettings.from_env(environ, {})
    settings = WeChatMpSettings.from_env(environ, {"allow_plaintext": True})
    assert settings is not None and settings.aes_key is None


# --- Vector V3 and the URL check --------------------------------------------------------------


async def start_v3(start: StartStation, **changes: Any) -> Station:
    options: dict[str, Any] = {"token": V3_TOKEN, "aes_key": V3_AES_KEY, "appid": V3_APPID,
                               "max_skew": 0, **changes}
    return await start(**options)


@pytest.mark.parametrize("body", [V3_COMPAT_BODY, V3_SAFE_BODY], ids=["compat", "safe"])
async def test_vector_v3(start: StartStation, body: str) -> None:
    station = await start_v3(start)
    status, answer = await station.wechat.post(V3_QUERY, body)
    assert status == 200
    [message] = station.core.calls
    assert (message.platform, message.user_id, message.text, message.kind) == (
        "wechat_mp", "oyORnuP8q7ou2gfYjqLzSIWZf0rs", "abcdteT", "text")
    assert message.message_id == "6054768590064713728"
    reply = station.wechat.open_reply(answer)
    assert reply["Content"] == "收到：abcdteT"
    assert reply["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert reply["FromUserName"] == "gh_10f6c3c3ac5a"


async def test_vector_v3_refused_for_another_appid(start: StartStation) -> None:
    station = await start_v3(start, appid="wx0000000000000000")
    status, _ = await station.wechat.post(V3_QUERY, V3_SAFE_BODY)
    assert status == 403
    assert station.core.calls == []


async def test_vector_v3_checks_the_timestamp_when_the_window_is_on(
        start: StartStation) -> None:
    station = await start_v3(start, max_skew=300)
    status, _ = await station.wechat.post(V3_QUERY, V3_SAFE_BODY)
    assert status == 403
    assert station.core.calls == []


async def test_vector_v3_in_plaintext_mode(start: StartStation) -> None:
    station = await start_v3(start, aes_key=None, allow_plaintext=True)
    query = {k: V3_QUERY[k] for k in ("timestamp", "nonce", "signature")}
    status, answer = await station.wechat.post(query, f"<xml>{V3_PLAIN_FIELDS}</xml>")
    assert status == 200
    assert station.core.calls[0].text == "abcdteT"
    assert "<Content><![CDATA[收到：abcdteT]]></Content>" in answer
    status, _ = await station.wechat.post(V3_QUERY, V3_SAFE_BODY)   # no key: no safe mode
    assert status == 403


async def test_url_check_echoes_echostr(start: StartStation, fake: FakeTencent) -> None:
    station = await start()
    query = station.wechat.plain_query()
    echo = "3981542793814276617+/="
    assert await station.wechat.get(
        "&".join(f"{k}={v}" for k, v in query.items()) + "&echostr=3981542793814276617%2B%2F%3D"
    ) == (200, echo)
    forged = {**query, "signature": "0" * 40}
    status, _ = await station.wechat.get("&".join(f"{k}={v}" for k, v in forged.items()))
    assert status == 403
    stale = station.wechat.plain_query(timestamp=str(station.clock.unix - 301))
    status, _ = await station.wechat.get("&".join(f"{k}={v}" for k, v in stale.items()))
    assert status == 403


# --- Security: every refusal is a quick 4xx, the core is never called -------------------------

BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
        ']><xml><Encrypt>&lol2;</Encrypt></xml>')
XXE = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       f'<xml><FromUserName>&xxe;</FromUserName><Encrypt>{"A" * 44}</Encrypt></xml>')
Request = tuple[dict[str, str], Any]


def forged_signature(station: Station) -> Request:
    query, body = station.wechat.safe_request(text_xml("hi"))
    return {**query, "msg_signature": tencent_signature("guess", "1", "2")}, body


def stale(station: Station) -> Request:
    return station.wechat.safe_request(text_xml("hi"),
                                       timestamp=str(station.clock.unix - 301))


def from_the_future(station: Station) -> Request:
    return station.wechat.safe_request(text_xml("hi"),
                                       timestamp=str(station.clock.unix + 301))


def wrong_appid(station: Station) -> Request:
    return station.wechat.for_receive_id("wx_someone_else").safe_request(text_xml("hi"))


def oversized(station: Station) -> Request:
    query, body = station.wechat.safe_request(text_xml("hi" * 40_000))
    return query, body


def oversized_without_length(station: Station) -> Request:
    query, _ = station.wechat.safe_request(text_xml("hi"))

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"<!-- padding -->" * 1024

    return query, chunks()


def signed_envelope(station: Station, encrypt: str, envelope: str | None = None) -> Request:
    timestamp, nonce = str(station.clock.unix), "777"
    query = {"timestamp": timestamp, "nonce": nonce, "encrypt_type": "aes",
             "msg_signature": tencent_signature(TOKEN, timestamp, nonce, encrypt)}
    return query, envelope or f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"


def malformed_envelope(station: Station) -> Request:
    query, _ = station.wechat.safe_request(text_xml("hi"))
    return query, "<xml><Encrypt>abc</Encr"


def ciphertext_not_base64(station: Station) -> Request:
    return signed_envelope(station, "this is not base64 at all!")


def ciphertext_bad_length(station: Station) -> Request:
    return signed_envelope(station, base64.b64encode(b"x" * 20).decode())


def ciphertext_random(station: Station) -> Request:
    return signed_envelope(station, base64.b64encode(os.urandom(96)).decode())


def bomb_envelope(station: Station) -> Request:
    query, _ = station.wechat.safe_request(text_xml("hi"))
    return query, BOMB


def xxe_envelope(station: Station) -> Request:
    query, _ = station.wechat.safe_request(text_xml("hi"))
    return query, XXE


def bomb_inside_valid_encryption(station: Station) -> Request:
    return station.wechat.safe_request(BOMB)


def malformed_message_inside(station: Station) -> Request:
    return station.wechat.safe_request("<xml><FromUserName>o-1</FromUserName></xml>")


def bad_create_time_inside(station: Station) -> Request:
    return station.wechat.safe_request(text_xml("hi").replace("<CreateTime>1795000000<",
                                                              "<CreateTime>soon<"))


def plaintext_when_not_allowed(station: Station) -> Request:
    return station.wechat.plain_query(), text_xml("hi")


@pytest.mark.parametrize(("make", "statuses"), [
    (forged_signature, {401, 403}), (stale, {403}), (from_the_future, {403}),
    (wrong_appid, {403}), (oversized, {413}), (oversized_without_length, {413}),
    (malformed_envelope, {400}), (ciphertext_not_base64, {400}),
    (ciphertext_bad_length, {400}), (ciphertext_random, {400, 403}),
    (bomb_envelope, {400}), (xxe_envelope, {400}), (bomb_inside_valid_encryption, {400}),
    (malformed_message_inside, {400}), (bad_create_time_inside, {400}),
    (plaintext_when_not_allowed, {403}),
])
async def test_bad_requests_are_refused_and_the_server_keeps_serving(
        start: StartStation, make: Callable[[Station], Request], statuses: set[int]) -> None:
    station = await start(max_body_bytes=4096)
    query, body = make(station)
    status, _ = await station.wechat.post(query, body)
    assert status in statuses
    assert station.core.calls == []
    assert await station.say("你好") == "收到：你好"


async def test_a_burst_of_one_delivery_calls_the_core_once(start: StartStation) -> None:
    gate = asyncio.Event()
    station = await start(RecordingCore(gate=gate))
    query, body = station.wechat.safe_request(text_xml("几点开门", msg_id=4242))

    async def release_soon() -> None:
        await asyncio.sleep(0.05)
        gate.set()

    releasing = asyncio.create_task(release_soon())
    answers = await asyncio.gather(*(station.wechat.post(query, body) for _ in range(50)))
    await releasing
    assert len(station.core.calls) == 1
    assert {status for status, _ in answers} == {200}
    assert {station.reply_text(body) for _, body in answers} == {"收到：几点开门"}
    _, late_retry = await station.wechat.post(query, body)
    assert station.reply_text(late_retry) == "收到：几点开门"
    await asyncio.sleep(0.2)    # the delivery finished: remembered by its passive answer alone
    _, later_retry = await station.wechat.post(query, body)
    assert station.reply_text(later_retry) == "收到：几点开门"
    assert len(station.core.calls) == 1


async def test_a_core_failure_answers_success_and_the_server_keeps_serving(
        start: StartStation) -> None:
    def answer(message: IncomingMessage) -> list[Reply]:
        if message.text == "boom":
            raise RuntimeError("core bug")
        return [Reply("ok")]

    station = await start(RecordingCore(answer))
    assert await station.say("boom", msg_id=1) == "success"
    assert await station.say("fine", msg_id=2) == "ok"


# --- The reply budget and the customer-service API --------------------------------------------


async def test_a_slow_core_gets_success_then_a_customer_service_message(
        start: StartStation, fake: FakeTencent) -> None:
    gate = asyncio.Event()
    station = await start(RecordingCore(gate=gate), passive_seconds=0.01)
    assert await station.say("报修：水管漏水") == "success"
    assert await station.say("报修：水管漏水") == "success"      # Tencent's retry
    gate.set()
    [sent] = await fake.wait_for(CUSTOM, 1)
    assert sent.body == {"touser": USER, "msgtype": "text",
                         "text": {"content": "收到：报修：水管漏水"}}
    assert len(station.core.calls) == 1


async def test_long_answers_are_split_within_2048_bytes(
        start: StartStation, fake: FakeTencent) -> None:
    text = "长" * 2000 + "尾"
    station = await start(RecordingCore(lambda m: [Reply(text), Reply("第二条")]))
    first = await station.say("问")
    later = [call.text for call in await fake.wait_for(CUSTOM, 3)]
    pieces = [first, *later]
    assert all(len(piece.encode()) <= 2048 for piece in pieces)
    assert "".join(pieces[:3]) == text
    assert pieces[3] == "第二条"


async def test_cdata_terminator_in_a_reply_round_trips(start: StartStation) -> None:
    text = "代码 a]]>b <xml>&amp; ]]]]> 完"
    station = await start(RecordingCore(lambda m: [Reply(text)]))
    assert await station.say("问") == text


async def test_customer_service_quota_then_template(
        start: StartStation, fake: FakeTencent) -> None:
    replies = [Reply(f"第{n}条") for n in range(1, 8)]
    station = await start(RecordingCore(lambda m: replies), template_id="TPL-1")
    assert await station.say("问") == "第1条"
    await station.channel.close()
    assert [call.text for call in fake.calls_to(CUSTOM)] == [f"第{n}条" for n in range(2, 7)]
    [template] = fake.calls_to(TEMPLATE)
    assert template.body == {"touser": USER, "template_id": "TPL-1",
                             "data": {"content": {"value": "第7条"}}}


async def test_customer_service_quota_without_template_records_the_failure(
        start: StartStation, fake: FakeTencent, caplog: pytest.LogCaptureFixture) -> None:
    replies = [Reply(f"第{n}条") for n in range(1, 8)]
    station = await start(RecordingCore(lambda m: replies))
    with caplog.at_level(logging.WARNING):
        await station.say("问")
        await station.channel.close()
    assert len(fake.calls_to(CUSTOM)) == 5
    assert fake.calls_to(TEMPLATE) == []
    [failure] = station.channel.sender.failures
    assert failure.user_id == USER
    assert "5 messages" in failure.reason
    assert any(USER in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    station.clock.advance(60)
    await station.say("又问", msg_id=1002)                  # a new message opens a new window
    await station.channel.close()
    assert len(fake.calls_to(CUSTOM)) == 10


async def test_outbox_notification_outside_the_window(
        start: StartStation, fake: FakeTencent) -> None:
    station = await start()
    with pytest.raises(DeliveryError) as raised:
        await station.channel.sender.send("o-silent", Reply("您的工单已完成"), "outbox:1")
    assert isinstance(raised.value, UndeliverableError)
    assert fake.calls_to(CUSTOM) == []
    assert station.channel.sender.failures[-1].reason == "outside the 48-hour window"

    station = await start(template_id="TPL-9", template_field="thing1")
    await station.channel.sender.send("o-silent", Reply("您的工单已完成"), "outbox:1")
    assert fake.calls_to(TEMPLATE)[0].body["data"] == {"thing1": {"value": "您的工单已完成"}}


async def test_outbox_notification_within_the_window(
        start: StartStation, fake: FakeTencent) -> None:
    station = await start()
    await station.say("你好")
    station.clock.advance(47 * 3600)
    await station.channel.sender.send(USER, Reply("您的工单已完成"), "outbox:1")
    assert fake.calls_to(CUSTOM)[-1].text == "您的工单已完成"
    station.clock.advance(3600)
    with pytest.raises(DeliveryError):
        await station.channel.sender.send(USER, Reply("再提醒一次"), "outbox:2")


class CountingState(MemorySharedState):
    """Shared state that notes each write of opened windows (one transaction each)."""

    def __init__(self) -> None:
        super().__init__()
        self.advanced: list[set[str]] = []

    async def advance(self, values: Mapping[str, Stamped], order: str, now: dt.datetime
                      ) -> set[str]:
        self.advanced.append(set(values))
        return await super().advance(values, order, now)


async def test_windows_opened_at_the_same_moment_are_written_together(
        start: StartStation, fake: FakeTencent) -> None:
    state = CountingState()
    station = await start(state=state)
    residents = [f"o-resident-{n}" for n in range(8)]
    await asyncio.gather(*(station.say("你好", msg_id=2000 + n, user=user)
                           for n, user in enumerate(residents)))
    # A message sent to one of them at once waits for the window to be written, not refused.
    await station.channel.sender.send(residents[3], Reply("您的工单已完成"), "outbox:1")
    assert fake.calls_to(CUSTOM)[-1].text == "您的工单已完成"
    assert len(state.advanced) < len(residents)
    assert set().union(*state.advanced) == {f"wechat_mp:cs_window:{user}" for user in residents}


@pytest.mark.parametrize("errcode", [45015, 45047])
async def test_tencent_closing_the_window_falls_back_to_the_template(
        start: StartStation, fake: FakeTencent, errcode: int) -> None:
    station = await start(template_id="TPL-1")
    await station.say("你好")
    fake.fail(CUSTOM, errcode=errcode)
    await station.channel.sender.send(USER, Reply("通知"), "outbox:1")
    assert fake.calls_to(TEMPLATE)[0].body["data"] == {"content": {"value": "通知"}}
    await station.channel.sender.send(USER, Reply("通知二"), "outbox:2")   # window now spent
    assert len(fake.calls_to(CUSTOM)) == 1
    assert len(fake.calls_to(TEMPLATE)) == 2


async def test_a_redelivery_on_another_worker_sends_no_piece_twice(
        start: StartStation, fake: FakeTencent) -> None:
    """The same message reaching a second worker (or this one after a restart): the core
    answers it again from the processed message, the passive reply repeats the first piece,
    and the pieces sent later as customer-service messages go out once across workers."""
    shared = MemorySharedState()            # what the workers share: the database
    replies = [Reply("已登记，编号 R0001"), Reply("楼栋长会联系您"), Reply("回复“我的报修”查看")]
    first = await start(RecordingCore(lambda m: replies), state=shared)
    second = await start(RecordingCore(lambda m: replies), state=shared)
    assert await first.say("9号楼楼道灯坏了", msg_id=77) == "已登记，编号 R0001"
    await first.channel.close()             # its later pieces are out
    assert await second.say("9号楼楼道灯坏了", msg_id=77) == "已登记，编号 R0001"
    restarted = await start(RecordingCore(lambda m: replies), state=shared)
    assert await restarted.say("9号楼楼道灯坏了", msg_id=77) == "已登记，编号 R0001"
    await second.channel.close()
    await restarted.channel.close()
    sent = [call.text for call in fake.calls_to(CUSTOM)]
    assert sorted(sent) == sorted(["楼栋长会联系您", "回复“我的报修”查看"])


class SlowState(MemorySharedState):
    """Shared state over a database that another connection holds locked for a while."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def get(self, key: str, now: dt.datetime) -> dict[str, Any] | None:
        await asyncio.sleep(self.delay)
        return await super().get(key, now)

    async def put(self, key: str, value: dict[str, Any], expires_at: dt.datetime | None
                  ) -> None:
        await asyncio.sleep(self.delay)
        await super().put(key, value, expires_at)


async def test_a_slow_database_does_not_hold_the_passive_reply(
        start: StartStation, fake: FakeTencent) -> None:
    """The 48-hour window is recorded beside the answer, not before the budget starts."""
    station = await start(RecordingCore(lambda m: [Reply("答复")]), state=SlowState(2.0),
                          passive_seconds=0.5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await station.say("问") == "答复"
    assert loop.time() - started < 1.5


async def test_a_message_kept_by_a_worker_that_died_is_finished_by_the_next(
        start: StartStation, fake: FakeTencent, tmp_path: Path) -> None:
    """Answered "success" at the budget while the core was still busy, then killed: the next
    worker finds the message on disk and answers it in customer-service messages."""
    gate = asyncio.Event()
    replies = [Reply("已登记，编号 R0001"), Reply("楼栋长会联系您")]
    dead_inbox = MessageInbox(tmp_path, "worker-a")
    dead_inbox.open()
    dying = await start(RecordingCore(lambda m: replies, gate=gate), inbox=dead_inbox,
                        passive_seconds=0.2)
    assert await dying.say("9号楼楼道灯坏了", msg_id=99) == "success"
    dead_inbox.close()                           # kill -9: the journal stays, unlocked
    await dying.channel._replies.close(timeout=0)
    after = await start(RecordingCore(lambda m: replies),
                        inbox=MessageInbox(tmp_path, "worker-b"))
    await after.channel.start()
    assert [m.text for m in after.core.calls] == ["9号楼楼道灯坏了"]
    assert [call.text for call in fake.calls_to(CUSTOM)] == ["已登记，编号 R0001", "楼栋长会联系您"]
    assert not dead_inbox.path.exists()
    gate.set()


async def test_a_piece_that_failed_is_sent_by_a_later_copy(
        start: StartStation, fake: FakeTencent) -> None:
    shared = MemorySharedState()
    replies = [Reply("第一段"), Reply("第二段")]
    first = await start(RecordingCore(lambda m: replies), state=shared)
    fake.fail(CUSTOM, status=500)
    assert await first.say("问", msg_id=88) == "第一段"
    await first.channel.close()             # 第二段 not delivered: its claim is given back
    second = await start(RecordingCore(lambda m: replies), state=shared)
    assert await second.say("问", msg_id=88) == "第一段"
    await second.channel.close()
    assert [call.text for call in fake.calls_to(CUSTOM)][-1] == "第二段"


async def test_a_retried_notification_resumes_after_the_pieces_already_sent(
        start: StartStation, fake: FakeTencent) -> None:
    station = await start()
    await station.say("你好")
    text = "甲" * 682 + "乙" * 682 + "丙" * 10
    fake.fail(CUSTOM, status=500, after=1)
    with pytest.raises(DeliveryError):
        await station.channel.sender.send(USER, Reply(text), "outbox:7")
    await station.channel.sender.send(USER, Reply(text), "outbox:7")
    delivered = [call.text for call in fake.calls_to(CUSTOM)]
    assert delivered == ["甲" * 682, "乙" * 682, "乙" * 682, "丙" * 10]   # 2nd try of 乙 only


async def test_token_is_cached_and_refreshed_once_when_tencent_refuses_it(
        start: StartStation, fake: FakeTencent) -> None:
    station = await start()
    await station.say("你好")
    for n in range(3):
        await station.channel.sender.send(USER, Reply(f"n{n}"), f"outbox:{n}")
    assert len(fake.calls_to("/cgi-bin/stable_token")) == 1
    fake.expire_tokens()
    await station.channel.sender.send(USER, Reply("after"), "outbox:9")
    assert len(fake.calls_to("/cgi-bin/stable_token")) == 2
    assert fake.calls_to(CUSTOM)[-1].text == "after"


# --- Events and media -------------------------------------------------------------------------

EVENT = "<Event><![CDATA[{}]]></Event>"


@pytest.mark.parametrize(("msg_type", "fields", "expected"), [
    ("event", EVENT.format("subscribe") + "<EventKey><![CDATA[]]></EventKey>",
     ("event", "subscribe")),
    ("event", EVENT.format("subscribe") + "<EventKey><![CDATA[qrscene_9]]></EventKey>",
     ("event", "subscribe")),
    ("event", EVENT.format("unsubscribe"), ("event", "unsubscribe")),
    ("event", EVENT.format("CLICK") + "<EventKey><![CDATA[REPORT]]></EventKey>",
     ("text", "我要报修")),
    ("event", EVENT.format("CLICK") + "<EventKey><![CDATA[TODAY_MENU]]></EventKey>",
     ("text", "今日菜单")),
    ("event", EVENT.format("CLICK") + "<EventKey><![CDATA[NO_SUCH_KEY]]></EventKey>", None),
    ("event", EVENT.format("VIEW") + "<EventKey><![CDATA[https://x]]></EventKey>", None),
    ("event", EVENT.format("LOCATION") + "<Latitude>23</Latitude>", None),
    ("voice", "<MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format>"
              "<Recognition><![CDATA[几点开门]]></Recognition><MsgId>5</MsgId>",
     ("text", "几点开门")),
    ("voice", "<MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format>"
              "<Recognition><![CDATA[]]></Recognition><MsgId>5</MsgId>", ("voice", "")),
    ("voice", "<MediaId><![CDATA[m1]]></MediaId><MsgId>5</MsgId>", ("voice", "")),
    ("image", "<PicUrl><![CDATA[http://mmbiz/p.jpg]]></PicUrl>"
              "<MediaId><![CDATA[m2]]></MediaId><MsgId>6</MsgId>",
     ("image", "http://mmbiz/p.jpg")),
    ("image", "<MediaId><![CDATA[m2]]></MediaId><MsgId>6</MsgId>", ("image", "m2")),
    ("video", "<MediaId><![CDATA[m3]]></MediaId><MsgId>7</MsgId>", None),
])
async def test_events_and_media(start: StartStation, msg_type: str, fields: str,
                                expected: tuple[str, str] | None) -> None:
    station = await start()
    status, body = await station.wechat.push(
        message_xml(msg_type, fields, created=station.clock.unix))
    assert status == 200
    if expected is None:
        assert body == "success"
        assert station.core.calls == []
        return
    [message] = station.core.calls
    assert (message.kind, message.text) == expected
    assert message.user_id == USER
    if msg_type == "event":
        assert str(message.message_id).startswith(f"{USER}:{station.clock.unix}:")
    else:
        assert message.message_id in {"5", "6"}


async def test_events_are_identified_by_user_time_and_event(start: StartStation) -> None:
    station = await start()
    click = EVENT.format("CLICK") + "<EventKey><![CDATA[WISH]]></EventKey>"
    for _ in range(2):                                  # the second is Tencent's retry
        await station.wechat.push(message_xml("event", click, created=1_795_000_123))
    await station.wechat.push(message_xml("event", EVENT.format("subscribe"),
                                          created=1_795_000_124))
    assert [m.message_id for m in station.core.calls] == [
        f"{USER}:1795000123:click", f"{USER}:1795000124:subscribe"]


async def test_menu_labels_come_from_the_settings(start: StartStation) -> None:
    station = await start(menu={**DEFAULT_MENU, "NEWS": "社区新闻"})
    await station.wechat.push(message_xml(
        "event", EVENT.format("CLICK") + "<EventKey><![CDATA[NEWS]]></EventKey>",
        created=station.clock.unix))
    assert station.core.calls[0].text == "社区新闻"


async def test_a_menu_click_opens_the_customer_service_window(
        start: StartStation, fake: FakeTencent) -> None:
    station = await start()
    await station.wechat.push(message_xml(
        "event", EVENT.format("CLICK") + "<EventKey><![CDATA[GUIDE]]></EventKey>",
        created=station.clock.unix))
    await station.channel.sender.send(USER, Reply("办事指南在此"), "outbox:1")
    assert fake.calls_to(CUSTOM)[0].text == "办事指南在此"


async def test_windows_waiting_for_a_writer_cancelled_at_shutdown_are_let_go() -> None:
    clock = FakeClock()
    window = CustomerServiceWindow(MemorySharedState(), clock)
    opening = asyncio.create_task(window.open("o-1", clock.unix))
    await asyncio.sleep(0)                # the writer is made, and cancelled before it runs
    writer = window._writes._runner
    assert writer is not None
    writer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(opening, 5)
    await asyncio.wait_for(window.open("o-2", clock.unix), 5)   # later windows are written
    assert await window.take("o-2") is None
