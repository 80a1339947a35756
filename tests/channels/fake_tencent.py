"""Test doubles for the Tencent adapters: a fake WeChat + WeCom API server on loopback, a
simulated Tencent pushing callbacks to our server, a recording core and a settable clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from bot.channels.tencent_api import CallbackCrypto, parse_xml, tencent_signature
from bot.messages import IncomingMessage, Reply

START = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


class FakeClock:
    """A clock tests move by hand; its `sleep` advances it instead of waiting."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += dt.timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        """Record the wait and advance the clock by it."""
        self.slept.append(seconds)
        self.advance(seconds)

    @property
    def unix(self) -> int:
        """The clock as a unix timestamp."""
        return int(self.now.timestamp())


class RecordingCore:
    """A fake core: records every message and answers with `answer(message)`, optionally
    waiting for `gate` first."""

    def __init__(self, answer: Callable[[IncomingMessage], list[Reply]] | None = None,
                 gate: asyncio.Event | None = None) -> None:
        self.calls: list[IncomingMessage] = []
        self._answer = answer or (lambda message: [Reply(f"收到：{message.text}")])
        self._gate = gate

    async def __call__(self, message: IncomingMessage) -> list[Reply]:
        self.calls.append(message)
        if self._gate is not None:
            await self._gate.wait()
        return self._answer(message)


@dataclass(frozen=True)
class ApiCall:
    """One request the fake API received."""

    method: str
    path: str
    query: Mapping[str, str]
    raw: bytes
    body: Any

    @property
    def text(self) -> str:
        """The content of a text message."""
        return str(self.body["text"]["content"])


@dataclass
class _Failure:
    errcode: int | None
    status: int | None
    times: int
    after: int


class FakeTencent:
    """A fake api.weixin.qq.com + qyapi.weixin.qq.com on 127.0.0.1, random port.

    Tokens are "mp-1", "mp-2", ... and "work-1", ...; `expire_tokens` makes the current ones
    invalid (40001 / 40014) and the token endpoints hand out new ones. `fail` makes the next
    calls to a path answer an errcode or an HTTP status.
    """

    appid = "wx00000000000000aa"
    secret = "mp-secret"
    corp_id = "ww00000000000000bb"
    corp_secret = "work-secret"
    robot_keys = frozenset({"robot-key-9"})

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self._generation = 1
        self._failures: dict[str, list[_Failure]] = {}
        self._server: TestServer | None = None
        self._arrived = asyncio.Event()
        self.base_url = ""

    async def start(self) -> str:
        """Serve; the base URL."""
        app = web.Application()
        app.router.add_post("/cgi-bin/stable_token", self._stable_token)
        app.router.add_post("/cgi-bin/message/custom/send", self._mp_send)
        app.router.add_post("/cgi-bin/message/template/send", self._mp_send)
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        app.router.add_post("/cgi-bin/message/send", self._work_send)
        app.router.add_post("/cgi-bin/webhook/send", self._webhook)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        self.base_url = str(self._server.make_url("")).rstrip("/")
        return self.base_url

    async def close(self) -> None:
        """Stop serving."""
        if self._server is not None:
            await self._server.close()

    def fail(self, path: str, *, errcode: int | None = None, status: int | None = None,
             times: int = 1, after: int = 0) -> None:
        """After `after` good calls, the next `times` calls to `path` fail with the errcode or
        HTTP status."""
        self._failures.setdefault(path, []).append(_Failure(errcode, status, times, after))

    def expire_tokens(self) -> None:
        """Invalidate the current access tokens; the token endpoints issue new ones."""
        self._generation += 1

    def calls_to(self, path: str) -> list[ApiCall]:
        """The calls made to one path, in order."""
        return [call for call in self.calls if call.path == path]

    async def wait_for(self, path: str, count: int, timeout: float = 5.0) -> list[ApiCall]:
        """Wait until `count` calls to `path` arrived (a safety timeout, not a measurement)."""
        async with asyncio.timeout(timeout):
            while len(self.calls_to(path)) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.calls_to(path)

    async def _record(self, request: web.Request) -> tuple[ApiCall, web.Response | None]:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        call = ApiCall(request.method, request.path, dict(request.query), raw, body)
        self.calls.append(call)
        self._arrived.set()
        return call, self._injected(request.path)

    def _injected(self, path: str) -> web.Response | None:
        queue = self._failures.get(path, [])
        if not queue:
            return None
        failure = queue[0]
        if failure.after > 0:
            failure.after -= 1
            return None
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        if failure.status is not None:
            return web.Response(status=failure.status, text="server trouble")
        return _errcode(failure.errcode or -1)

    async def _stable_token(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request)
        if failed:
            return failed
        if call.body.get("appid") != self.appid or call.body.get("secret") != self.secret:
            return _errcode(40125)
        return web.json_response({"access_token": f"mp-{self._generation}",
                                  "expires_in": 7200})

    async def _mp_send(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request)
        if failed:
            return failed
        if call.query.get("access_token") != f"mp-{self._generation}":
            return _errcode(40001)
        return _errcode(0)

    async def _gettoken(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request)
        if failed:
            return failed
        if (call.query.get("corpid"), call.query.get("corpsecret")) != (self.corp_id,
                                                                         self.corp_secret):
            return _errcode(40001)
        return web.json_response({"errcode": 0, "errmsg": "ok",
                                  "access_token": f"work-{self._generation}",
                                  "expires_in": 7200})

    async def _work_send(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request)
        if failed:
            return failed
        if call.query.get("access_token") != f"work-{self._generation}":
            return _errcode(40014)
        invalid = call.body["touser"] if call.body["touser"].startswith("gone-") else ""
        return web.json_response({"errcode": 0, "errmsg": "ok", "invaliduser": invalid})

    async def _webhook(self, request: web.Request) -> web.Response:
        call, failed = await self._record(request)
        if failed:
            return failed
        return _errcode(0 if call.query.get("key") in self.robot_keys else 93000)


def _errcode(code: int) -> web.Response:
    return web.json_response({"errcode": code, "errmsg": "ok" if code == 0 else "fake error"})


class TencentPusher:
    """Plays Tencent: signs (and encrypts) callbacks and posts them to our server; opens our
    encrypted passive replies."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str, aes_key: str,
                 receive_id: str, clock: FakeClock, *, work: bool) -> None:
        self._session = session
        self.url = url
        self._token = token
        self._aes_key = aes_key
        self._work = work
        self._crypto = CallbackCrypto(token, aes_key, receive_id, work=work)
        self._clock = clock

    def for_receive_id(self, receive_id: str) -> TencentPusher:
        """The same pusher encrypting for another appid / corp id."""
        return TencentPusher(self._session, self.url, self._token, self._aes_key, receive_id,
                             self._clock, work=self._work)

    def encrypt(self, xml: str, timestamp: str, nonce: str) -> tuple[str, str]:
        """Ciphertext of `xml` and its msg_signature."""
        sealed = parse_xml(self._crypto.seal(xml, nonce, timestamp))
        return str(sealed["Encrypt"]), str(sealed["MsgSignature"])

    def safe_request(self, xml: str, *, to: str = "gh_station", timestamp: str | None = None,
                     nonce: str = "12345") -> tuple[dict[str, str], str]:
        """Query and body of a safe-mode callback carrying `xml`."""
        timestamp = timestamp or str(self._clock.unix)
        encrypt, signature = self.encrypt(xml, timestamp, nonce)
        query = {"timestamp": timestamp, "nonce": nonce, "encrypt_type": "aes",
                 "msg_signature": signature,
                 "signature": tencent_signature(self._token, timestamp, nonce)}
        body = (f"<xml><ToUserName><![CDATA[{to}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
        return query, body

    def plain_query(self, *, timestamp: str | None = None, nonce: str = "12345"
                    ) -> dict[str, str]:
        """Query of a plaintext-mode callback (or the GET URL check, with echostr added)."""
        timestamp = timestamp or str(self._clock.unix)
        return {"timestamp": timestamp, "nonce": nonce,
                "signature": tencent_signature(self._token, timestamp, nonce)}

    async def post(self, query: Mapping[str, str], body: str | bytes,
                   headers: Mapping[str, str] | None = None) -> tuple[int, str]:
        """POST to our callback; status and body text."""
        async with self._session.post(self.url, params=dict(query), data=body,
                                      headers=dict(headers or {})) as response:
            return response.status, await response.text()

    async def get(self, raw_query: str) -> tuple[int, str]:
        """GET our callback with a query string sent exactly as given."""
        async with self._session.get(URL(f"{self.url}?{raw_query}", encoded=True)) as response:
            return response.status, await response.text()

    async def push(self, xml: str, **kwargs: Any) -> tuple[int, str]:
        """Post one safe-mode callback carrying `xml`."""
        query, body = self.safe_request(xml, **kwargs)
        return await self.post(query, body)

    def open_reply(self, text: str) -> dict[str, Any]:
        """The fields of an encrypted passive reply (signature and receive id checked)."""
        envelope = parse_xml(text)
        query = {"timestamp": str(envelope["TimeStamp"]), "nonce": str(envelope["Nonce"]),
                 "msg_signature": str(envelope["MsgSignature"])}
        return parse_xml(self._crypto.decrypt(str(envelope["Encrypt"]), query))


def text_xml(content: str, *, user: str = "o-resident-1", msg_id: int = 1001,
             created: int = 1_795_000_000, to: str = "gh_station") -> str:
    """A text message as Tencent writes it."""
    return (f"<xml><ToUserName><![CDATA[{to}]]></ToUserName>"
            f"<FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def message_xml(msg_type: str, fields: str, *, user: str = "o-resident-1",
                created: int = 1_795_000_000, to: str = "gh_station") -> str:
    """Any message or event, its own elements given as XML."""
    return (f"<xml><ToUserName><![CDATA[{to}]]></ToUserName>"
            f"<FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
            f"{fields}</xml>")
