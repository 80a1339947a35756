"""The shared Tencent pieces: API clients against the fake server, tokens, errcodes, limits,
XML safety, query parsing, one core call per delivery."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from bot.channels.base import MemorySharedState
from bot.channels.tencent_api import (
    CallbackRefused,
    QuotaSpentError,
    ReplyCoordinator,
    SlidingWindowLimiter,
    TencentApiError,
    TokenInvalidError,
    WeChatMpApi,
    WeComApi,
    WeComRobotApi,
    WindowClosedError,
    callback_query,
    cdata_safe,
    message_pieces,
    parse_xml,
)
from bot.messages import DeliveryError, IncomingMessage, Reply
from tests.channels.fake_tencent import FakeClock, FakeTencent, RecordingCore

CUSTOM = "/cgi-bin/message/custom/send"
TOKEN = "/cgi-bin/stable_token"
BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
        ']><xml><Encrypt>&lol3;</Encrypt></xml>')
XXE = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       '<xml><Encrypt>&xxe;</Encrypt></xml>')


def mp_api(fake: FakeTencent, http: aiohttp.ClientSession, state: MemorySharedState,
           clock: FakeClock) -> WeChatMpApi:
    return WeChatMpApi(http, state, fake.appid, fake.secret, fake.base_url, clock)


async def test_token_is_fetched_once_and_shared_by_concurrent_callers(
        fake: FakeTencent, http: aiohttp.ClientSession) -> None:
    api = mp_api(fake, http, MemorySharedState(), FakeClock())
    await asyncio.gather(*(api.send_text(f"o-{n}", "hi") for n in range(10)))
    assert len(fake.calls_to(TOKEN)) == 1
    assert {call.query["access_token"] for call in fake.calls_to(CUSTOM)} == {"mp-1"}


async def test_token_lives_in_shared_state_for_other_workers(
        fake: FakeTencent, http: aiohttp.ClientSession) -> None:
    state, clock = MemorySharedState(), FakeClock()
    await mp_api(fake, http, state, clock).send_text("o-1", "hi")
    await mp_api(fake, http, state, clock).send_text("o-1", "hi again")   # another worker
    assert len(fake.calls_to(TOKEN)) == 1


async def test_token_is_refreshed_five_minutes_before_it_expires(
        fake: FakeTencent, http: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    api = mp_api(fake, http, MemorySharedState(), clock)
    await api.send_text("o-1", "one")
    clock.advance(7200 - 300 - 1)
    await api.send_text("o-1", "two")
    assert len(fake.calls_to(TOKEN)) == 1
    clock.advance(2)
    await api.send_text("o-1", "three")
    assert len(fake.calls_to(TOKEN)) == 2


async def test_invalid_token_is_replaced_once_and_the_call_retried(
        fake: FakeTencent, http: aiohttp.ClientSession) -> None:
    api = mp_api(fake, http, MemorySharedState(), FakeClock())
    await api.send_text("o-1", "one")
    fake.expire_tokens()
    await api.send_text("o-1", "two")
    sends = fake.calls_to(CUSTOM)
    assert [call.query["access_token"] for call in sends] == ["mp-1", "mp-1", "mp-2"]
    assert len(fake.calls_to(TOKEN)) == 2
    assert sends[-1].text == "two"


async def test_a_token_refused_twice_is_a_delivery_error(
        fake: FakeTencent, http: aiohttp.ClientSession) -> None:
    api = mp_api(fake, http, MemorySharedState(), FakeClock())
    fake.fail(CUSTOM, errcode=40001, times=2)
    with pytest.raises(TokenInvalidError) as raised:
        await api.send_text("o-1", "hi")
    assert isinstance(raised.value, DeliveryError)
    assert len(fake.calls_to(CUSTOM)) == 2
    assert len(fake.calls_to(TOKEN)) == 2


@pytest.mark.parametrize(("errcode", "error"), [
    (45015, WindowClosedError), (45047, QuotaSpentError), (40003, TencentApiError)])
async def test_errcodes_map_to_distinct_errors(
        fake: FakeTencent, http: aiohttp.ClientSession, errcode: int,
        error: type[TencentApiError]) -> None:
    api = mp_api(fake, http, MemorySharedState(), FakeClock())
    fake.fail(CUSTOM, errcode=errcode)
    with pytest.raises(error) as raised:
        await api.send_text("o-1", "hi")
    assert type(raised.value) is error
    assert raised.value.errcode == errcode
    assert str(errcode) in str(raised.value)


async def test_http_trouble_is_a_delivery_error(
        fake: FakeTencent, http: aiohttp.ClientSession) -> None:
    api = mp_api(fake, http, MemorySharedState(), FakeClock())
    fake.fail(CUSTOM, status=500)
    with pytest.raises(DeliveryError, match="HTTP 500"):
        await api.send_text("o-1", "hi")


async def test_unreachable_api_is_a_delivery_error_that_hides_the_url(
        http: aiohttp.ClientSession) -> None:
    api = WeComRobotApi(http, "http://127.0.0.1:9")
    with pytest.raises(DeliveryError) as raised:
        await api.send_text("secret-robot-key", "hi")
    assert "secret-robot-key" not in str(raised.value)
    assert raised.value.__cause__ is None


async def test_text_goes_out_as_utf8_json(fake: FakeTencent,
                                          http: aiohttp.ClientSession) -> None:
    await mp_api(fake, http, MemorySharedState(), FakeClock()).send_text("o-1", "水管漏水")
    call = fake.calls_to(CUSTOM)[0]
    assert "水管漏水".encode() in call.raw
    assert call.body == {"touser": "o-1", "msgtype": "text", "text": {"content": "水管漏水"}}


async def test_template_message(fake: FakeTencent, http: aiohttp.ClientSession) -> None:
    api = mp_api(fake, http, MemorySharedState(), FakeClock())
    await api.send_template("o-1", "TPL-1", {"content": {"value": "工单已完成"}})
    call = fake.calls_to("/cgi-bin/message/template/send")[0]
    assert call.body == {"touser": "o-1", "template_id": "TPL-1",
                         "data": {"content": {"value": "工单已完成"}}}


async def test_wecom_token_and_app_message(fake: FakeTencent,
                                           http: aiohttp.ClientSession) -> None:
    state, clock = MemorySharedState(), FakeClock()
    api = WeComApi(http, state, fake.corp_id, fake.corp_secret, 1000002, fake.base_url, clock)
    await api.send_text("lilin", "新工单 R0012")
    fake.expire_tokens()
    await api.send_text("lilin", "again")
    gets = fake.calls_to("/cgi-bin/gettoken")
    assert len(gets) == 2
    assert gets[0].query == {"corpid": fake.corp_id, "corpsecret": fake.corp_secret}
    sends = fake.calls_to("/cgi-bin/message/send")
    assert sends[0].body == {"touser": "lilin", "msgtype": "text", "agentid": 1000002,
                             "text": {"content": "新工单 R0012"}}
    assert [call.query["access_token"] for call in sends] == ["work-1", "work-1", "work-2"]
    assert await state.get(f"wecom:access_token:{fake.corp_id}:1000002", clock()) == {
        "token": "work-2"}


async def test_wecom_member_out_of_reach_is_a_delivery_error(
        fake: FakeTencent, http: aiohttp.ClientSession) -> None:
    api = WeComApi(http, MemorySharedState(), fake.corp_id, fake.corp_secret, 1, fake.base_url,
                   FakeClock())
    with pytest.raises(DeliveryError, match="gone-zhang"):
        await api.send_text("gone-zhang", "hi")


async def test_robot_webhook(fake: FakeTencent, http: aiohttp.ClientSession) -> None:
    api = WeComRobotApi(http, fake.base_url)
    await api.send_text("robot-key-9", "停水通知")
    call = fake.calls_to("/cgi-bin/webhook/send")[0]
    assert call.query == {"key": "robot-key-9"}
    assert call.body == {"msgtype": "text", "text": {"content": "停水通知"}}
    with pytest.raises(TencentApiError) as raised:
        await api.send_text("wrong-key", "x")
    assert "wrong-key" not in str(raised.value)


def test_sliding_window_allows_the_limit_then_names_the_wait() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(((30, 60.0), (1000, 3600.0)), clock)
    assert [limiter.reserve("lilin", 5.0) for _ in range(30)] == [0.0] * 30
    assert limiter.reserve("lilin", 5.0) is None          # would wait 60 s
    assert limiter.reserve("wangjh", 5.0) == 0.0          # another member
    clock.advance(57)
    assert limiter.reserve("lilin", 5.0) == pytest.approx(3.0)
    assert limiter.reserve("lilin", 5.0) == pytest.approx(3.0)   # same slot time, 2nd freed
    clock.advance(3)
    assert limiter.reserve("lilin", 0.0) == 0.0


def test_sliding_window_hourly_limit() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(((30, 60.0), (1000, 3600.0)), clock)
    for _ in range(1000):
        assert limiter.reserve("lilin", 0.0) == 0.0
        clock.advance(2.5)                   # 24 a minute: under the minute limit
    assert limiter.reserve("lilin", 5.0) is None
    clock.advance(3600 - 2500 + 0.1)
    assert limiter.reserve("lilin", 0.0) == 0.0


def test_cdata_safe_text_round_trips_through_the_parser() -> None:
    text = "a]]>b ]]]]> <c/> & \x01 末尾]]>"
    parsed = parse_xml(f"<xml><Content><![CDATA[{cdata_safe(text)}]]></Content></xml>")
    assert parsed["Content"] == text.replace("\x01", "")


@pytest.mark.parametrize("body", [BOMB, XXE, "<xml><a>", "not xml", "<other/>"])
def test_parser_refuses_entities_and_malformed_xml(body: str) -> None:
    with pytest.raises(CallbackRefused) as raised:
        parse_xml(body)
    assert raised.value.status == 400


async def test_query_keeps_plus_whether_encoded_or_raw(http: aiohttp.ClientSession) -> None:
    async def echo_query(request: web.Request) -> web.Response:
        return web.json_response(callback_query(request))

    app = web.Application()
    app.router.add_get("/q", echo_query)
    async with TestServer(app, host="127.0.0.1") as server:
        for raw in ("echostr=a%2Fb%2Bc%3D%3D&nonce=1", "echostr=a/b+c==&nonce=1"):
            url = URL(f"{server.make_url('/q')}?{raw}", encoded=True)
            async with http.get(url) as response:
                assert await response.json() == {"echostr": "a/b+c==", "nonce": "1"}


def test_message_pieces_stay_within_2048_bytes() -> None:
    pieces = message_pieces([Reply("居民" * 1500), Reply(""), Reply("好")])
    assert all(len(piece.encode()) <= 2048 for piece in pieces)
    assert "".join(pieces) == "居民" * 1500 + "好"


def test_a_reply_is_cut_only_when_it_is_over_the_limit() -> None:
    at_limit = "居" * 682 + "ab"                 # 2,048 bytes exactly
    assert message_pieces([Reply(at_limit)]) == [at_limit]
    over = at_limit + "c"
    assert message_pieces([Reply(over)]) == [at_limit, "c"]
    assert message_pieces([Reply("a" * 2048)]) == ["a" * 2048]
    assert message_pieces([Reply("好\n" * 700)])[0].endswith("好")   # cut at a line break


async def test_coordinator_forgets_a_delivery_the_core_failed_on() -> None:
    failing = True

    def answer(message: IncomingMessage) -> list[Reply]:
        if failing:
            raise RuntimeError("database down")
        return [Reply("ok")]

    core = RecordingCore(answer)
    sent: list[str] = []

    async def send_later(user_id: str, reply: Reply, key: str) -> None:
        sent.append(reply.text)

    replies = ReplyCoordinator(core, send_later, passive_seconds=5)
    message = IncomingMessage("wechat_mp", "o-1", "hi", message_id="7")
    assert await replies.answer(message, "k7") is None
    await replies.close()
    failing = False
    assert await replies.answer(message, "k7") == "ok"      # the retry runs the core again
    assert await replies.answer(message, "k7") == "ok"      # ... once
    assert len(core.calls) == 2
    await replies.close()
    assert sent == []


@pytest.mark.parametrize("answer", ["[1, 2]", '{"errcode": "oops"}', "<html>busy</html>"])
async def test_answers_that_are_not_tencent_json_are_delivery_errors(
        http: aiohttp.ClientSession, answer: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=answer)

    app = web.Application()
    app.router.add_post("/cgi-bin/webhook/send", handler)
    async with TestServer(app, host="127.0.0.1") as server:
        api = WeComRobotApi(http, str(server.make_url("")))
        with pytest.raises(DeliveryError, match="webhook/send"):
            await api.send_text("k", "hi")
