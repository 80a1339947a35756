"""服务号 (WeChat official account) adapter: residents talk to the bot 1:1.

Callback at /wechat/mp: the GET URL check, then POSTed messages and events in safe mode
(encrypt_type=aes, msg_signature; compatibility-mode bodies are read from their Encrypt element)
or, only when `allow_plaintext = true`, in plaintext mode. Each delivery runs the core once; an
answer ready within `passive_seconds` goes back passively (its first 2048-byte piece), everything
else goes out as customer-service messages: at most 5 within 48 hours of the resident's last
message, a template message outside that (when `template_id` is set), a recorded failure
otherwise.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.base import CoalescedRuns, MessageHandler, SharedState
from bot.channels.inbox import MessageInbox
from bot.channels.tencent_api import (
    DEFAULT_MENU,
    CallbackCrypto,
    CallbackGuard,
    CallbackRefused,
    ChannelTable,
    Clock,
    QuotaSpentError,
    ReplyCoordinator,
    SentPieces,
    TencentCallback,
    UndeliverableError,
    WeChatMpApi,
    WindowClosedError,
    callback_query,
    cdata_safe,
    check_aes_key,
    check_api_base,
    env_seconds,
    env_text,
    load_wechatpy_parts,
    message_pieces,
    new_nonce,
    parse_xml,
    read_callback,
    require_env,
    unix_time,
    utc_now,
)
from bot.config import ConfigError
from bot.messages import DeliveryError, IncomingMessage, Reply

log = logging.getLogger(__name__)

PLATFORM = "wechat_mp"
TOKEN_VAR = "YIZHAN_WECHAT_TOKEN"
AES_KEY_VAR = "YIZHAN_WECHAT_AES_KEY"
APPID_VAR = "YIZHAN_WECHAT_APPID"
SECRET_VAR = "YIZHAN_WECHAT_SECRET"
MAX_SKEW_VAR = "YIZHAN_WECHAT_MAX_SKEW"
API_BASE_VAR = "YIZHAN_WECHAT_API_BASE"
DEFAULT_API_BASE = "https://api.weixin.qq.com"
TABLE_KEYS = frozenset({"enabled", "passive_seconds", "max_body_bytes", "template_id",
                        "template_field", "menu", "allow_plaintext"})
CS_WINDOW = dt.timedelta(hours=48)
CS_MESSAGES_PER_WINDOW = 5
WINDOW_REFRESH_SECONDS = 600   # a chatting resident's window start is rewritten at most this often
FRESH_CAPACITY = 50_000
WINDOW_BATCH_SECONDS = 0.05   # windows opened this close together are written in one transaction
NOTHING_NOW = "success"   # tells WeChat "no passive reply, do not retry"


@dataclass(frozen=True)
class WeChatMpSettings:
    """The 服务号 callback and API settings (secrets from the environment only)."""

    token: str = field(repr=False)
    appid: str
    secret: str = field(repr=False)
    aes_key: str | None = field(default=None, repr=False)
    allow_plaintext: bool = False
    max_skew: int = 300
    api_base: str = DEFAULT_API_BASE
    passive_seconds: float = 4.0
    max_body_bytes: int = 64 * 1024
    template_id: str | None = None
    template_field: str = "content"
    menu: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_MENU))

    @classmethod
    def from_env(cls, environ: Mapping[str, str], table: Mapping[str, Any]
                 ) -> WeChatMpSettings | None:
        """Settings from the environment and `[channels.wechat_mp]`; None when the channel is off.

        On when any of its variables is set or the table says `enabled = true`;
        `enabled = false` turns it off. The AES key may be left out only with
        `allow_plaintext = true` (plaintext callbacks can be replayed with any body).
        """
        options = ChannelTable(PLATFORM, table, TABLE_KEYS)
        enabled = options.flag("enabled")
        names = (TOKEN_VAR, AES_KEY_VAR, APPID_VAR, SECRET_VAR)
        if enabled is False or (enabled is None and not any(env_text(environ, n) for n in names)):
            return None
        allow_plaintext = bool(options.flag("allow_plaintext"))
        required = names if not allow_plaintext else (TOKEN_VAR, APPID_VAR, SECRET_VAR)
        require_env(environ, required, "The 服务号 channel")
        aes_key = env_text(environ, AES_KEY_VAR) or None
        if aes_key is not None:
            check_aes_key(AES_KEY_VAR, aes_key)
        return cls(token=env_text(environ, TOKEN_VAR),
                   appid=env_text(environ, APPID_VAR),
                   secret=env_text(environ, SECRET_VAR),
                   aes_key=aes_key,
                   allow_plaintext=allow_plaintext,
                   max_skew=env_seconds(environ, MAX_SKEW_VAR, 300),
                   api_base=check_api_base(API_BASE_VAR,
                                           env_text(environ, API_BASE_VAR) or DEFAULT_API_BASE),
                   passive_seconds=options.number("passive_seconds", 4.0, 0.0),
                   max_body_bytes=int(options.number("max_body_bytes", 64 * 1024, 1024)),
                   template_id=options.string("template_id"),
                   template_field=options.string("template_field") or "content",
                   menu=options.menu())

    def __post_init__(self) -> None:
        if self.passive_seconds >= 5:
            raise ConfigError(f"[channels.{PLATFORM}] passive_seconds must be under 5 "
                              "(WeChat gives up after 5 seconds)")


class CustomerServiceWindow:
    """Per resident, in SharedState: when they last wrote and how many customer-service
    messages went out since (at most 5 within 48 hours)."""

    def __init__(self, state: SharedState, clock: Clock,
                 allowed: int = CS_MESSAGES_PER_WINDOW, length: dt.timedelta = CS_WINDOW) -> None:
        self._state = state
        self._clock = clock
        self._allowed = allowed
        self._length = length
        self._locks = [asyncio.Lock() for _ in range(16)]   # one process; Tencent enforces too
        # openid -> when this process last recorded a fresh window for them (unix time)
        self._fresh: collections.OrderedDict[str, int] = collections.OrderedDict()
        # openid -> when they wrote, for the next write of opened windows
        self._opened: dict[str, int] = {}
        self._unwritten: dict[str, asyncio.Future[None]] = {}   # openid -> its write
        self._writes = CoalescedRuns(self._write_opened, pause=WINDOW_BATCH_SECONDS)

    async def open(self, openid: str, created: int) -> None:
        """The resident wrote at `created` (unix time); a retried delivery changes nothing.
        Returns once it is stored.

        A resident chatting away is not written down on every message: while this process
        recorded an untouched window for them in the last few minutes, the stored start is
        kept (the window then closes those minutes early, never late). The windows opened
        within WINDOW_BATCH_SECONDS of each other are stored together (one transaction for
        all of them, not one each): nothing waits for this but a reply sent later."""
        recorded = self._fresh.get(openid)
        if recorded is not None and 0 <= created - recorded < WINDOW_REFRESH_SECONDS:
            return
        self._opened[openid] = max(created, self._opened.get(openid, created))
        stored = self._unwritten[openid] = self._writes.request()
        try:
            await asyncio.shield(stored)
        finally:
            if self._unwritten.get(openid) is stored:
                del self._unwritten[openid]

    async def _write_opened(self) -> None:
        """Store the windows opened since the last write, in one transaction."""
        opened, self._opened = self._opened, {}
        if not opened:
            return
        try:
            async with contextlib.AsyncExitStack() as held:
                for stripe in sorted({self._stripe(openid) for openid in opened}):
                    await held.enter_async_context(self._locks[stripe])
                await self._state.advance(
                    {self._key(openid): ({"opened_at": created, "sent": 0},
                                         dt.datetime.fromtimestamp(created, dt.UTC)
                                         + self._length)
                     for openid, created in opened.items()}, "opened_at", self._clock())
        except Exception:
            log.exception("recording %d residents' 48-hour windows failed", len(opened))
            raise
        for openid, created in opened.items():
            self._fresh[openid] = created
            self._fresh.move_to_end(openid)
        while len(self._fresh) > FRESH_CAPACITY:
            self._fresh.popitem(last=False)

    async def take(self, openid: str) -> str | None:
        """Count one message: None when allowed, else why not."""
        await self._written(openid)
        async with self._lock(openid):
            found = await self._state.get(self._key(openid), self._clock())
            if found is None:
                return "outside the 48-hour window"
            if int(found["sent"]) >= self._allowed:
                return f"{self._allowed} messages already sent in this window"
            await self._put(openid, int(found["opened_at"]), int(found["sent"]) + 1)
            self._fresh.pop(openid, None)  # the window is used now: the next message renews it
            return None

    async def give_back(self, openid: str) -> None:
        """Undo one `take` (the message did not go out)."""
        await self._adjust(openid, lambda sent: max(sent - 1, 0))

    async def spend(self, openid: str) -> None:
        """Tencent says the window is closed or the quota spent."""
        await self._adjust(openid, lambda sent: self._allowed)

    async def _adjust(self, openid: str, change: Callable[[int], int]) -> None:
        await self._written(openid)
        async with self._lock(openid):
            found = await self._state.get(self._key(openid), self._clock())
            if found is not None:
                await self._put(openid, int(found["opened_at"]), change(int(found["sent"])))

    async def _put(self, openid: str, opened_at: int, sent: int) -> None:
        closes = dt.datetime.fromtimestamp(opened_at, dt.UTC) + self._length
        await self._state.put(self._key(openid), {"opened_at": opened_at, "sent": sent}, closes)

    async def _written(self, openid: str) -> None:
        """Once the window the resident opened last, if still being written, is stored (a
        failed write leaves the stored one as it was)."""
        stored = self._unwritten.get(openid)
        if stored is not None and not stored.cancelled():
            with contextlib.suppress(Exception):
                await asyncio.shield(stored)

    def _lock(self, openid: str) -> asyncio.Lock:
        return self._locks[self._stripe(openid)]

    def _stripe(self, openid: str) -> int:
        return hash(openid) % len(self._locks)

    @staticmethod
    def _key(openid: str) -> str:
        return f"{PLATFORM}:cs_window:{openid}"


@dataclass(frozen=True)
class DeliveryFailure:
    """A message that could not reach a resident (outside the window, no template)."""

    user_id: str
    reason: str
    at: dt.datetime


class WeChatMpSender:
    """Sends to a resident: customer-service messages within the window, a template message
    (when configured) outside it. Used for chat replies and for outbox notifications."""

    platform = PLATFORM

    def __init__(self, api: WeChatMpApi, window: CustomerServiceWindow, sent: SentPieces,
                 settings: WeChatMpSettings, clock: Clock) -> None:
        self._api = api
        self._window = window
        self._sent = sent
        self._template_id = settings.template_id
        self._template_field = settings.template_field
        self._clock = clock
        self.failures: collections.deque[DeliveryFailure] = collections.deque(maxlen=100)

    async def send(self, user_id: str, reply: Reply, key: str) -> None:
        """Deliver `reply` to the resident `user_id` (openid); DeliveryError when it cannot."""
        pieces = message_pieces([reply])
        several = len(pieces) > 1
        for index in range(await self._sent.count(key) if several else 0, len(pieces)):
            refused = await self._send_in_window(user_id, pieces[index])
            if refused is not None:
                await self._send_outside_window(user_id, "\n".join(pieces[index:]), refused)
            if several:
                await self._sent.record(key, len(pieces) if refused else index + 1)
            if refused is not None:
                return

    async def _send_in_window(self, openid: str, text: str) -> str | None:
        refused = await self._window.take(openid)
        if refused is not None:
            return refused
        try:
            await self._api.send_text(openid, text)
        except (WindowClosedError, QuotaSpentError) as exc:
            await self._window.spend(openid)
            return str(exc)
        except DeliveryError:
            await self._window.give_back(openid)
            raise
        return None

    async def _send_outside_window(self, openid: str, text: str, reason: str) -> None:
        if self._template_id is not None:
            await self._api.send_template(openid, self._template_id,
                                          {self._template_field: {"value": text}})
            log.info("template message sent to %s instead (%s)", openid, reason)
            return
        self.failures.append(DeliveryFailure(openid, reason, self._clock()))
        log.warning("message to resident %s not sent: %s, and no template_id is configured",
                    openid, reason)
        raise UndeliverableError(f"{openid}: {reason}")


class WeChatMpChannel(TencentCallback):
    """The 服务号 callback (add_routes) and the resident sender (`sender`)."""

    platform = PLATFORM
    default_path = "/wechat/mp"

    def __init__(self, settings: WeChatMpSettings, handler: MessageHandler, state: SharedState,
                 http: aiohttp.ClientSession, clock: Clock = utc_now,
                 inbox: MessageInbox | None = None) -> None:
        # The SDK is loaded when the channel is built, not by a server with it off.
        load_wechatpy_parts()
        from wechatpy.parser import parse_message
        from wechatpy.replies import TextReply

        self._parse_message = parse_message
        self._text_reply = TextReply
        self._settings = settings
        self._inbox = inbox
        self._window_tasks: set[asyncio.Task[None]] = set()
        self._clock = clock
        self._guard = CallbackGuard(settings.token, settings.max_skew, settings.max_body_bytes,
                                    clock)
        self._crypto = (None if settings.aes_key is None else
                        CallbackCrypto(settings.token, settings.aes_key, settings.appid,
                                       work=False))
        self.api = WeChatMpApi(http, state, settings.appid, settings.secret, settings.api_base,
                               clock)
        self.window = CustomerServiceWindow(state, clock)
        self.sender = WeChatMpSender(self.api, self.window, SentPieces(state, PLATFORM, clock),
                                     settings, clock)
        self._replies = ReplyCoordinator(handler, self.sender.send, settings.passive_seconds,
                                         claims=state, clock=clock,
                                         finished=inbox.done if inbox else None)

    async def _verify_url(self, request: web.Request) -> web.StreamResponse:
        query = callback_query(request)
        try:
            self._guard.check_fresh(query)
            self._guard.check_signature(query, "signature")
        except CallbackRefused as refusal:
            return refusal.response(request)
        return web.Response(text=query.get("echostr", ""))

    async def _receive(self, request: web.Request) -> web.StreamResponse:
        query = callback_query(request)
        try:
            self._guard.check_fresh(query)
            xml, encrypted = await self._plaintext(request, query)
            message, read = read_callback(xml, self._parse_message, PLATFORM, self._settings.menu,
                                          self._clock())
        except CallbackRefused as refusal:
            return refusal.response(request)
        if read.incoming is None or read.incoming.message_id is None:
            if read.opens_window:           # an event: recorded meanwhile, answered now
                self._background(self.window.open(read.user_id, read.created))
            return web.Response(text=NOTHING_NOW)
        passive = await self._answer(read.incoming, self._background(
            self.window.open(read.user_id, read.created)) if read.opens_window else None)
        if passive is None:
            return web.Response(text=NOTHING_NOW)
        return web.Response(text=self._render(message, passive, encrypted),
                            content_type="application/xml")

    def _opening(self, message: IncomingMessage) -> asyncio.Task[None] | None:
        """A replayed message the resident wrote: their 48-hour window is recorded before its
        answer is sent (a live one records it beside the answer, never before it: a slow
        database must not hold the passive reply)."""
        if message.kind == "event":
            return None
        return self._background(self.window.open(message.user_id,
                                                 int(message.received_at.timestamp())))

    def _background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._window_tasks.add(task)
        task.add_done_callback(self._window_tasks.discard)
        return task

    async def _plaintext(self, request: web.Request, query: Mapping[str, str]
                         ) -> tuple[str, bool]:
        """The message XML and whether it came encrypted."""
        if query.get("encrypt_type", "raw") == "aes":
            if self._crypto is None:
                raise CallbackRefused(403, "safe mode is not configured")
            envelope = parse_xml(await self._guard.read_body(request))
            return self._crypto.open(envelope, query), True
        if not self._settings.allow_plaintext:
            raise CallbackRefused(403, "plaintext callbacks are not accepted")
        self._guard.check_signature(query, "signature")
        try:
            return (await self._guard.read_body(request)).decode("utf-8"), False
        except UnicodeDecodeError:
            raise CallbackRefused(400, "body is not UTF-8") from None

    def _render(self, message: Any, text: str, encrypted: bool) -> str:
        now = unix_time(self._clock)
        xml = str(self._text_reply(source=cdata_safe(str(message.target)),
                            target=cdata_safe(str(message.source)),
                            content=cdata_safe(text), time=int(now)).render())
        if encrypted and self._crypto is not None:
            return self._crypto.seal(xml, new_nonce(), now)
        return xml
