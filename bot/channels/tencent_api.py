"""What the 服务号 and WeCom adapters share: Tencent's callback protocol and its HTTP APIs.

Callbacks: query parsing that keeps `+`, signatures compared in constant time, a timestamp
window, a capped body, wechatpy's AES envelope, wechatpy's XML parser (it refuses entities),
one core call per delivery with a passive-reply budget. APIs: small aiohttp clients (wechatpy's
HTTP client is synchronous), access tokens cached in SharedState, errcodes mapped to
exceptions the senders and the outbox understand, sliding-window rate limits.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import collections
import datetime as dt
import hashlib
import hmac
import importlib.util
import json
import logging
import re
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
import xmltodict  # type: ignore[import-untyped]  # wechatpy's own XML parser (a dependency)
from aiohttp import web

from bot.channels.base import (
    BODY_SECONDS,
    BodyRefused,
    MessageHandler,
    SharedState,
    read_body,
    split_text,
)
from bot.channels.inbox import MessageInbox
from bot.config import ConfigError
from bot.messages import DeliveryError, IncomingMessage, Reply

log = logging.getLogger(__name__)

DEFAULT_MENU: Mapping[str, str] = {
    "TODAY_MENU": "今日菜单",
    "REPORT": "我要报修",
    "WISH": "微心愿",
    "GUIDE": "办事指南",
    "MY_TICKETS": "我的工单",
}
"""Menu button keys (EventKey of a CLICK event) and the words the core understands for them."""

MAX_TEXT_BYTES = 2048
TOKEN_INVALID_CODES = frozenset({40001, 40014, 42001})
WINDOW_CLOSED_CODE = 45015
QUOTA_SPENT_CODE = 45047
TOKEN_MARGIN = dt.timedelta(minutes=5)
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]
SendPiece = Callable[[str, Reply, str], Awaitable[None]]


def utc_now() -> dt.datetime:
    """The current time, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def message_pieces(replies: Iterable[Reply]) -> list[str]:
    """The replies' texts cut into pieces of at most 2048 UTF-8 bytes, empty ones dropped."""
    return [piece for reply in replies
            for piece in split_text(reply.text, max_bytes=MAX_TEXT_BYTES) if piece.strip()]


def cdata_safe(text: str) -> str:
    """Text that can sit inside <![CDATA[...]]>: `]]>` split across two sections, characters
    XML forbids removed."""
    return _XML_INVALID.sub("", text).replace("]]>", "]]]]><![CDATA[>")


# --- Errors -----------------------------------------------------------------------------------


class TencentApiError(DeliveryError):
    """Tencent answered with a non-zero errcode."""

    def __init__(self, what: str, errcode: int, errmsg: str) -> None:
        super().__init__(f"{what}: errcode {errcode} ({errmsg})")
        self.errcode = errcode


class TokenInvalidError(TencentApiError):
    """The access token is invalid or expired (40001, 40014, 42001)."""


class WindowClosedError(TencentApiError):
    """45015: the user has not written within 48 hours; only a template message reaches them."""


class QuotaSpentError(TencentApiError):
    """45047: the customer-service messages allowed since the user's last message are used up."""


_ERRCODE_CLASSES: Mapping[int, type[TencentApiError]] = {
    **dict.fromkeys(TOKEN_INVALID_CODES, TokenInvalidError),
    WINDOW_CLOSED_CODE: WindowClosedError,
    QUOTA_SPENT_CODE: QuotaSpentError,
}


class UndeliverableError(DeliveryError):
    """The platform will not take the message now (already logged and recorded by the sender)."""


class CallbackRefused(Exception):
    """A callback request turned away with a 4xx status."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self, request: web.Request) -> web.Response:
        """The short plain-text refusal (logged)."""
        log.info("refused %s %s from %s: %s", request.method, request.path, request.remote,
                 self.reason)
        return web.Response(status=self.status, text=self.reason)


# --- Callbacks: query, freshness, signatures, body, crypto ------------------------------------


def callback_query(request: web.Request) -> dict[str, str]:
    """Query parameters with `+` kept: Tencent's base64 values carry it, and aiohttp's parsed
    query (and, in aiohttp 3.14, even `query_string`) turns a raw `+` into a space."""
    params: dict[str, str] = {}
    for part in request.rel_url.raw_query_string.split("&"):
        name, _, value = part.partition("=")
        if name:
            params.setdefault(unquote(name), unquote(value))
    return params


def tencent_signature(*parts: str) -> str:
    """sha1 over the sorted parts joined: Tencent's signature and msg_signature."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of two signatures."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


class CallbackGuard:
    """The checks every callback passes before its content is trusted."""

    def __init__(self, token: str, max_skew: int, max_body_bytes: int, clock: Clock,
                 body_seconds: float = BODY_SECONDS) -> None:
        self._token = token
        self._max_skew = max_skew
        self._max_body_bytes = max_body_bytes
        self._clock = clock
        self._body_seconds = body_seconds

    def check_fresh(self, query: Mapping[str, str]) -> None:
        """Refuse a timestamp outside the window (max_skew 0 turns the check off)."""
        if self._max_skew <= 0:
            return
        try:
            timestamp = int(query.get("timestamp", ""))
        except ValueError:
            raise CallbackRefused(400, "bad timestamp") from None
        if abs(self._clock().timestamp() - timestamp) > self._max_skew:
            raise CallbackRefused(403, "stale timestamp")

    def check_signature(self, query: Mapping[str, str], name: str, *signed: str) -> None:
        """Refuse unless query[name] is the signature of token, timestamp, nonce (+ signed)."""
        expected = tencent_signature(self._token, query.get("timestamp", ""),
                                     query.get("nonce", ""), *signed)
        if not signature_matches(expected, query.get(name, "")):
            raise CallbackRefused(403, "bad signature")

    async def read_body(self, request: web.Request) -> bytes:
        """The body, refused with 413 when over the cap (declared or actually sent) and with
        408 when it does not arrive in time."""
        try:
            return await read_body(request, self._max_body_bytes, self._body_seconds)
        except BodyRefused as refusal:
            raise CallbackRefused(refusal.status, refusal.reason) from None


def parse_xml(body: bytes | str) -> dict[str, Any]:
    """The children of the <xml> root; entity declarations (XML bombs, XXE) are refused."""
    try:
        root = xmltodict.parse(body, disable_entities=True)["xml"]
    except Exception:  # expat, entities, no <xml> root: all malformed
        raise CallbackRefused(400, "malformed XML") from None
    if not isinstance(root, dict):
        raise CallbackRefused(400, "malformed XML")
    return root


def load_wechatpy_parts() -> None:
    """Let `import wechatpy.<part>` load only that part. wechatpy's package `__init__` (and
    its enterprise package's) imports its whole API client, pay and OAuth modules and
    `requests`: 6 MiB of every worker with a Tencent channel on, none of it used here (the
    API is called through our own aiohttp client). The packages are registered without
    running their `__init__`; their parts import as usual, by their module paths
    (`wechatpy.parser`, not `from wechatpy import parse_message`): the channels' only way
    of importing wechatpy. A wechatpy imported whole already is left as it is."""
    if "wechatpy" in sys.modules:
        return
    for name in ("wechatpy", "wechatpy.enterprise"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None:
            return      # not installed as a package: the import that follows says so
        sys.modules[name] = importlib.util.module_from_spec(spec)


class CallbackCrypto:
    """wechatpy's AES envelope for one app: decrypt with the receive id checked, encrypt replies.

    receive_id is the 服务号 appid or the WeCom corp id.
    """

    def __init__(self, token: str, aes_key: str, receive_id: str, *, work: bool) -> None:
        # wechatpy is loaded when a channel is built, not by a server that has none on, and
        # only the parts used (see load_wechatpy_parts).
        load_wechatpy_parts()
        from wechatpy.crypto import WeChatCrypto as MpCrypto
        from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto
        from wechatpy.enterprise.exceptions import InvalidCorpIdException
        from wechatpy.exceptions import InvalidAppIdException

        self._token = token
        self._crypto: Any = (WorkCrypto if work else MpCrypto)(token, aes_key, receive_id)
        self._wrong_receiver = (InvalidAppIdException, InvalidCorpIdException)

    def open(self, envelope: Mapping[str, Any], query: Mapping[str, str]) -> str:
        """The plaintext XML of a callback envelope, checked with msg_signature."""
        encrypt = envelope.get("Encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise CallbackRefused(400, "no Encrypt element")
        return self.decrypt(encrypt, query)

    def decrypt(self, encrypt: str, query: Mapping[str, str]) -> str:
        """Decrypt one ciphertext (a message or WeCom's echostr) after checking msg_signature."""
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        given = query.get("msg_signature", "")
        if not signature_matches(tencent_signature(self._token, timestamp, nonce, encrypt), given):
            raise CallbackRefused(403, "bad msg_signature")
        try:
            plain = self._crypto.decrypt_message({"Encrypt": encrypt}, given, timestamp, nonce)
        except self._wrong_receiver:
            raise CallbackRefused(403, "wrong receive id") from None
        except Exception:  # wechatpy raises ValueError, struct.error, UnicodeError...
            raise CallbackRefused(400, "malformed ciphertext") from None
        return str(plain)

    def seal(self, xml: str, nonce: str, timestamp: str) -> str:
        """An encrypted, signed reply envelope."""
        return str(self._crypto.encrypt_message(xml, nonce, timestamp))


# --- Callbacks: from wechatpy's message to ours -----------------------------------------------


WINDOW_EVENTS = frozenset({"subscribe", "subscribe_scan", "scan", "click", "scancode_push",
                           "scancode_waitmsg"})
"""Events that open the 48-hour customer-service window (besides any message)."""


@dataclass(frozen=True)
class CallbackMessage:
    """One callback, read: who sent it, when, and what the core gets (None: nothing)."""

    user_id: str
    created: int
    incoming: IncomingMessage | None
    opens_window: bool


def read_callback(xml: str, parse: Callable[[str], Any], platform: str,
                  menu: Mapping[str, str], received_at: dt.datetime
                  ) -> tuple[Any, CallbackMessage]:
    """Parse decrypted callback XML with wechatpy and read it; 400 when it is malformed."""
    try:
        message = parse(xml)
        if message is None:
            raise CallbackRefused(400, "empty message")
        return message, read_message(message, platform, menu, received_at)
    except CallbackRefused:
        raise
    except Exception:  # expat errors, entities refused, missing or malformed fields
        raise CallbackRefused(400, "malformed message") from None


def read_message(message: Any, platform: str, menu: Mapping[str, str],
                 received_at: dt.datetime) -> CallbackMessage:
    """Map a parsed wechatpy message or event to an IncomingMessage (or to nothing)."""
    user_id = str(message.source or "")
    if not user_id:
        raise CallbackRefused(400, "no FromUserName")
    created = int(message.time)
    kind, text = _kind_and_text(message, menu)
    if message.type == "event":
        event = str(getattr(message, "event", "") or "").lower()
        message_id = f"{user_id}:{created}:{event}"
        opens_window = event in WINDOW_EVENTS
    else:
        message_id = str(message.id) if message.id else f"{user_id}:{created}:{message.type}"
        opens_window = True
    incoming = None if kind is None else IncomingMessage(
        platform=platform, user_id=user_id, text=text, kind=kind, message_id=message_id,
        received_at=received_at)
    return CallbackMessage(user_id, created, incoming, opens_window)


def _kind_and_text(message: Any, menu: Mapping[str, str]) -> tuple[str | None, str]:
    if message.type == "text":
        return "text", str(message.content or "")
    if message.type == "voice":
        recognition = str(getattr(message, "recognition", None) or "").strip()
        return ("text", recognition) if recognition else ("voice", "")
    if message.type == "image":
        return "image", str(message.image or message.media_id or "")
    if message.type == "event":
        event = str(getattr(message, "event", "") or "").lower()
        if event in ("subscribe", "subscribe_scan"):
            return "event", "subscribe"
        if event == "unsubscribe":
            return "event", "unsubscribe"
        if event == "click":
            label = menu.get(str(message.key or ""))
            return ("text", label) if label else (None, "")
    return None, ""


# --- Callbacks: one core call per delivery, passive reply within budget -----------------------


@dataclass
class _Delivery:
    work: asyncio.Future[list[Reply]]
    passive: asyncio.Future[str | None]   # the text answered passively; None: all sent later
    prepared: Awaitable[None] | None = None   # to finish before anything is sent later


# How long a sent piece's claim is kept (Tencent retries within minutes; the customer-service
# window is 48 hours).
CLAIM_KEPT = dt.timedelta(hours=48)


class ReplyCoordinator:
    """Runs the core once per delivery; answers passively within the budget, sends the rest later.

    Tencent retries a callback it got no answer to within 5 s. A copy that arrives while the
    delivery is in progress shares its task; one that arrives after it finished gets the
    remembered answer without calling the core again (the last `remembered` deliveries).
    A copy that reaches another worker, or this one after a restart, is answered by the core
    from the processed message; each piece sent later (customer-service messages) is first
    claimed in the state every worker shares, so that it goes out once across workers.
    """

    def __init__(self, handler: MessageHandler, send_later: SendPiece, passive_seconds: float,
                 remembered: int = 2048, claims: SharedState | None = None,
                 clock: Clock = utc_now,
                 finished: Callable[[str], Awaitable[None]] | None = None) -> None:
        self._handler = handler
        self._send_later = send_later
        self._passive_seconds = passive_seconds
        self._remembered = remembered
        self._claims = claims
        self._clock = clock
        self._finished = finished
        self._deliveries: collections.OrderedDict[str, _Delivery] = collections.OrderedDict()
        self._background: set[asyncio.Task[None]] = set()
        self._nothing_left: asyncio.Future[list[Reply]] | None = None

    async def answer(self, message: IncomingMessage, key: str,
                     prepared: Awaitable[None] | None = None) -> str | None:
        """The text to answer passively, or None to answer "nothing now" (sent later).
        `prepared` (recording the customer-service window) runs meanwhile and is awaited
        before any piece is sent later: it never delays the passive answer."""
        delivery = self._deliveries.get(key) or self._start(message, key, prepared)
        if not delivery.passive.done():
            try:
                await asyncio.wait({delivery.work}, timeout=self._passive_seconds)
            except asyncio.CancelledError:
                if not delivery.passive.done():
                    delivery.passive.set_result(None)
                raise
            if not delivery.passive.done():
                delivery.passive.set_result(_first_piece(delivery.work))
        return delivery.passive.result()

    async def close(self, timeout: float = 5.0) -> None:
        """Let background sends finish for up to `timeout` seconds, then cancel them."""
        pending = set(self._background)
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def replay(self, message: IncomingMessage, key: str,
                     prepared: Awaitable[None] | None = None) -> None:
        """Handle a message kept by a worker that died before finishing it: every piece of
        the answer is sent as a customer-service message (each once across workers)."""
        delivery = self._deliveries.get(key) or self._start(message, key, prepared)
        if not delivery.passive.done():
            delivery.passive.set_result(None)
        await asyncio.gather(delivery.work, return_exceptions=True)

    def _start(self, message: IncomingMessage, key: str,
               prepared: Awaitable[None] | None = None) -> _Delivery:
        delivery = _Delivery(asyncio.create_task(self._run_core(message)),
                             asyncio.get_running_loop().create_future(), prepared)
        self._deliveries[key] = delivery
        while len(self._deliveries) > self._remembered:
            self._deliveries.popitem(last=False)
        finisher = asyncio.create_task(self._finish(message.user_id, key, delivery))
        self._background.add(finisher)
        finisher.add_done_callback(self._background.discard)
        return delivery

    async def _run_core(self, message: IncomingMessage) -> list[Reply]:
        return await self._handler(message)

    async def _finish(self, user_id: str, key: str, delivery: _Delivery) -> None:
        try:
            replies = await delivery.work
        except Exception:
            log.exception("the core failed on delivery %s", key)
            if self._deliveries.get(key) is delivery:
                del self._deliveries[key]   # a later retry may call the core again
            return
        try:
            await self._send_rest(user_id, key, delivery, replies)
        finally:
            if self._finished is not None:
                await self._finished(key)
            if self._deliveries.get(key) is delivery:
                # Remembered for a late retry by its passive answer alone: the replies, the
                # task and what was prepared are let go (2,048 of them add up).
                self._deliveries[key] = _Delivery(self._sent_all(), delivery.passive)

    def _sent_all(self) -> asyncio.Future[list[Reply]]:
        """A finished delivery's work: done, nothing left to send."""
        if self._nothing_left is None:
            self._nothing_left = asyncio.get_running_loop().create_future()
            self._nothing_left.set_result([])
        return self._nothing_left

    async def _send_rest(self, user_id: str, key: str, delivery: _Delivery,
                         replies: list[Reply]) -> None:
        if delivery.prepared is not None:
            try:
                await delivery.prepared
            except Exception:
                log.exception("preparing to send the rest of %s failed", key)
        passive = await delivery.passive
        pieces = message_pieces(replies)
        first = 1 if passive is not None else 0
        if passive is not None and len(pieces) > 1:
            # Answered, more to send: no worker sends the first piece again later. (A whole
            # answer given passively needs no claim: the journal's "done" line, written next,
            # keeps a worker that takes over from replaying it.)
            await self._claim(key, 0)
        for index in range(first, len(pieces)):
            if not await self._claim(key, index):
                continue                   # another worker (or an earlier run) sent it
            try:
                await self._send_later(user_id, Reply(pieces[index]), f"{key}:{index - first}")
            except UndeliverableError:
                return
            except DeliveryError as exc:
                await self._release(key, index)
                log.warning("reply to %s not delivered (%d of %d pieces left): %s",
                            user_id, len(pieces) - index, len(pieces), exc)
                return
            except Exception:
                await self._release(key, index)
                log.exception("reply to %s not delivered", user_id)
                return

    async def _claim(self, key: str, index: int) -> bool:
        if self._claims is None:
            return True
        return await self._claims.claim(f"reply:{key}:{index}", self._clock() + CLAIM_KEPT)

    async def _release(self, key: str, index: int) -> None:
        if self._claims is not None:
            await self._claims.release(f"reply:{key}:{index}")


def _first_piece(work: asyncio.Future[list[Reply]]) -> str | None:
    if not work.done() or work.cancelled() or work.exception() is not None:
        return None
    pieces = message_pieces(work.result())
    return pieces[0] if pieces else None


# --- APIs: HTTP, tokens -----------------------------------------------------------------------


class TencentHttp:
    """JSON calls to one Tencent API host. URLs carry secrets (tokens, robot keys): never logged,
    never put in an exception."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, timeout: float = 10.0) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def call(self, method: str, path: str, params: Mapping[str, str],
                   payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The JSON answer; DeliveryError on HTTP or network trouble, TencentApiError (or a
        subclass) on a non-zero errcode."""
        body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        headers = {} if body is None else {"Content-Type": "application/json; charset=utf-8"}
        try:
            async with self._http.request(method, self._base + path, params=dict(params),
                                          data=body, headers=headers,
                                          timeout=self._timeout) as response:
                if response.status != 200:
                    raise DeliveryError(f"{path}: HTTP {response.status}")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DeliveryError(f"{path}: {type(exc).__name__}") from None
        if not isinstance(data, dict):
            raise DeliveryError(f"{path}: unexpected answer")
        answer: dict[str, Any] = data
        errcode = answer.get("errcode") or 0
        if not isinstance(errcode, int):
            raise DeliveryError(f"{path}: unexpected answer")
        if errcode:
            error = _ERRCODE_CLASSES.get(errcode, TencentApiError)
            raise error(path, errcode, str(answer.get("errmsg", "")))
        return answer


TokenFetch = Callable[[], Awaitable[tuple[str, int]]]


class AccessTokens:
    """One app's access token, cached in SharedState (so every worker uses the same one) and
    refreshed 5 minutes before it expires; callers in one process share one refresh."""

    def __init__(self, state: SharedState, key: str, fetch: TokenFetch, clock: Clock) -> None:
        self._state = state
        self._key = key
        self._fetch = fetch
        self._clock = clock
        self._lock = asyncio.Lock()

    async def current(self) -> str:
        """A valid token (fetched when none is cached)."""
        found = await self._state.get(self._key, self._clock())
        if found is not None:
            return str(found["token"])
        return await self._refresh(stale=None)

    async def replace(self, stale: str) -> str:
        """A token other than `stale`, which Tencent refused (another worker may have one)."""
        return await self._refresh(stale)

    async def _refresh(self, stale: str | None) -> str:
        async with self._lock:
            found = await self._state.get(self._key, self._clock())
            if found is not None and found["token"] != stale:
                return str(found["token"])
            token, expires_in = await self._fetch()
            lifetime = max(dt.timedelta(seconds=expires_in) - TOKEN_MARGIN,
                           dt.timedelta(seconds=expires_in / 2))
            await self._state.put(self._key, {"token": token}, self._clock() + lifetime)
            return token


async def call_with_token(http: TencentHttp, tokens: AccessTokens, path: str,
                          payload: Mapping[str, Any]) -> dict[str, Any]:
    """POST with the access token; on "token invalid" get another one and try once more."""
    token = await tokens.current()
    try:
        return await http.call("POST", path, {"access_token": token}, payload)
    except TokenInvalidError:
        token = await tokens.replace(token)
        return await http.call("POST", path, {"access_token": token}, payload)


def _token_answer(data: Mapping[str, Any]) -> tuple[str, int]:
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise DeliveryError("token answer without access_token")
    return token, int(data.get("expires_in") or 7200)


class WeChatMpApi:
    """The 服务号 APIs the bot uses: stable access token, customer-service and template messages."""

    def __init__(self, http: aiohttp.ClientSession, state: SharedState, appid: str, secret: str,
                 base_url: str, clock: Clock) -> None:
        self._http = TencentHttp(http, base_url)
        self._appid = appid
        self._secret = secret
        self.tokens = AccessTokens(state, f"wechat_mp:access_token:{appid}", self._fetch_token,
                                   clock)

    async def send_text(self, openid: str, text: str) -> None:
        """One customer-service text message (message/custom/send)."""
        await call_with_token(self._http, self.tokens, "/cgi-bin/message/custom/send",
                              {"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_template(self, openid: str, template_id: str,
                            data: Mapping[str, Any]) -> None:
        """One template message (message/template/send)."""
        await call_with_token(self._http, self.tokens, "/cgi-bin/message/template/send",
                              {"touser": openid, "template_id": template_id, "data": data})

    async def _fetch_token(self) -> tuple[str, int]:
        # stable_token without force_refresh: idempotent while the token is valid.
        data = await self._http.call("POST", "/cgi-bin/stable_token", {}, {
            "grant_type": "client_credential", "appid": self._appid, "secret": self._secret,
            "force_refresh": False})
        return _token_answer(data)


class WeComApi:
    """The WeCom self-built app APIs the bot uses: gettoken and app messages."""

    def __init__(self, http: aiohttp.ClientSession, state: SharedState, corp_id: str, secret: str,
                 agent_id: int, base_url: str, clock: Clock) -> None:
        self._http = TencentHttp(http, base_url)
        self._corp_id = corp_id
        self._secret = secret
        self._agent_id = agent_id
        self.tokens = AccessTokens(state, f"wecom:access_token:{corp_id}:{agent_id}",
                                   self._fetch_token, clock)

    async def send_text(self, user_id: str, text: str) -> None:
        """One app text message to one member (message/send)."""
        data = await call_with_token(self._http, self.tokens, "/cgi-bin/message/send", {
            "touser": user_id, "msgtype": "text", "agentid": self._agent_id,
            "text": {"content": text}})
        if user_id in str(data.get("invaliduser") or "").split("|"):
            raise DeliveryError(f"/cgi-bin/message/send: {user_id} is not a member the app "
                                "can reach")

    async def _fetch_token(self) -> tuple[str, int]:
        data = await self._http.call("GET", "/cgi-bin/gettoken",
                                     {"corpid": self._corp_id, "corpsecret": self._secret})
        return _token_answer(data)


class WeComRobotApi:
    """WeCom group robot webhooks (send-only; the key is a secret)."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self._http = TencentHttp(http, base_url)

    async def send_text(self, robot_key: str, text: str) -> None:
        """One text message into the robot's group (webhook/send)."""
        await self._http.call("POST", "/cgi-bin/webhook/send", {"key": robot_key},
                              {"msgtype": "text", "text": {"content": text}})


# --- APIs: sending limits and resumable multi-piece sends -------------------------------------


class SlidingWindowLimiter:
    """At most `limit` sends per `period` seconds per key, for each (limit, period) window.

    In-process: several workers each keep their own count (Tencent's errcode then makes the
    outbox retry later).
    """

    def __init__(self, windows: Iterable[tuple[int, float]], clock: Clock) -> None:
        self._windows = tuple(windows)
        self._longest = max(period for _, period in self._windows)
        self._clock = clock
        self._sent: dict[str, list[float]] = {}   # sorted send (or reserved) times

    def reserve(self, key: str, max_wait: float) -> float | None:
        """Seconds to wait before sending (the slot is then taken), or None when the wait would
        be longer than max_wait (nothing is taken)."""
        now = self._clock().timestamp()
        sent = self._sent.setdefault(key, [])
        del sent[:bisect.bisect_right(sent, now - self._longest)]
        at = now
        for limit, period in self._windows:
            recent = len(sent) - bisect.bisect_right(sent, now - period)
            if recent >= limit:
                at = max(at, sent[len(sent) - limit] + period)
        if at - now > max_wait:
            if not sent:
                del self._sent[key]
            return None
        bisect.insort(sent, at)
        return at - now


class SentPieces:
    """How many pieces of a multi-piece message went out, so a retried send skips them."""

    def __init__(self, state: SharedState, platform: str, clock: Clock,
                 keep: dt.timedelta = dt.timedelta(hours=48)) -> None:
        self._state = state
        self._platform = platform
        self._clock = clock
        self._keep = keep

    async def count(self, key: str) -> int:
        """Pieces already sent under this idempotency key."""
        found = await self._state.get(self._state_key(key), self._clock())
        return int(found["pieces"]) if found else 0

    async def record(self, key: str, pieces: int) -> None:
        """Note that the first `pieces` pieces went out."""
        await self._state.put(self._state_key(key), {"pieces": pieces},
                              self._clock() + self._keep)

    def _state_key(self, key: str) -> str:
        return f"{self._platform}:sent:{key}"


async def send_pieces(text: str, key: str, sent: SentPieces,
                      send_one: Callable[[str], Awaitable[None]]) -> None:
    """Send text in pieces of at most 2048 bytes; a retry with the same key resumes where the
    last attempt stopped."""
    pieces = message_pieces([Reply(text)])
    if len(pieces) <= 1:
        for piece in pieces:
            await send_one(piece)
        return
    for index in range(await sent.count(key), len(pieces)):
        await send_one(pieces[index])
        await sent.record(key, index + 1)


async def limited(limiter: SlidingWindowLimiter, key: str, max_wait: float, sleep: Sleep,
                  what: str) -> None:
    """Wait for a send slot when the wait is short; DeliveryError (retry later) when it is not."""
    wait = limiter.reserve(key, max_wait)
    if wait is None:
        raise DeliveryError(f"rate limit reached for {what}; try later")
    if wait > 0:
        await sleep(wait)


def new_nonce() -> str:
    """A random nonce for a reply envelope."""
    return secrets.token_hex(8)


def unix_time(clock: Clock) -> str:
    """The clock's time as Tencent writes it (whole seconds)."""
    return str(int(clock().timestamp()))


# --- Settings helpers -------------------------------------------------------------------------


class ChannelTable:
    """Typed reading of one `[channels.NAME]` table; errors name the table and the key."""

    def __init__(self, name: str, table: Mapping[str, Any], known: Iterable[str]) -> None:
        self.name = name
        self._table = table
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise ConfigError(f"[channels.{name}] unknown setting(s): {', '.join(unknown)}")

    def flag(self, key: str) -> bool | None:
        """A true/false setting, None when absent."""
        value = self._table.get(key)
        if value is not None and not isinstance(value, bool):
            raise ConfigError(f"[channels.{self.name}] {key} must be true or false")
        return value

    def number(self, key: str, default: float, minimum: float) -> float:
        """A number at least `minimum`."""
        value = self._table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise ConfigError(f"[channels.{self.name}] {key} must be a number >= {minimum}")
        return float(value)

    def string(self, key: str) -> str | None:
        """A non-empty string, None when absent."""
        value = self._table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"[channels.{self.name}] {key} must be a non-empty string")
        return value.strip()

    def strings(self, key: str) -> dict[str, str]:
        """A table of strings (empty when absent)."""
        value = self._table.get(key, {})
        if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) and v.strip()
                for k, v in value.items()):
            raise ConfigError(f"[channels.{self.name}] {key} must be a table of strings")
        return {k: v.strip() for k, v in value.items()}

    def menu(self) -> dict[str, str]:
        """The menu keys and labels: the defaults, overridden by the table's `menu`."""
        return {**DEFAULT_MENU, **self.strings("menu")}


def env_text(environ: Mapping[str, str], name: str) -> str:
    """An environment variable, stripped ('' when unset)."""
    return environ.get(name, "").strip()


def env_seconds(environ: Mapping[str, str], name: str, default: int) -> int:
    """A whole number of seconds (>= 0) from the environment."""
    value = env_text(environ, name)
    if not value:
        return default
    try:
        seconds = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of seconds") from None
    if seconds < 0:
        raise ConfigError(f"{name} must not be negative")
    return seconds


def require_env(environ: Mapping[str, str], names: Iterable[str], what: str) -> None:
    """ConfigError naming every variable of `names` that is unset."""
    missing = [name for name in names if not env_text(environ, name)]
    if missing:
        raise ConfigError(f"{what} is enabled but {', '.join(missing)} "
                          f"{'is' if len(missing) == 1 else 'are'} not set")


def check_aes_key(name: str, value: str) -> None:
    """An EncodingAESKey is 43 characters of base64 that decode to 32 bytes."""
    try:
        ok = len(value) == 43 and len(base64.b64decode(value + "=", validate=True)) == 32
    except binascii.Error:
        ok = False
    if not ok:
        raise ConfigError(f"{name} must be the 43-character EncodingAESKey")


def check_api_base(name: str, value: str) -> str:
    """An http(s) base URL, without the trailing slash."""
    if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
        raise ConfigError(f"{name} must be an http(s) URL")
    return value.rstrip("/")


class TencentCallback:
    """What the 服务号 and WeCom callbacks share: their GET and POST routes, a graceful close."""

    default_path = ""
    _replies: ReplyCoordinator
    _inbox: MessageInbox | None = None

    def add_routes(self, app: web.Application, path: str | None = None) -> None:
        """Serve the callback (GET URL check, POST messages) at `path`."""
        app.router.add_get(path or self.default_path, self._verify_url)
        app.router.add_post(path or self.default_path, self._receive)

    async def start(self) -> None:
        """Open this worker's inbox and finish the messages dead workers left unfinished."""
        if self._inbox is None:
            return
        self._inbox.open()
        await self._inbox.finish_orphans(self._finish_kept)

    async def _finish_kept(self, key: str, message: IncomingMessage) -> None:
        await self._replies.replay(message, key, self._opening(message))
        await self._replies.close()     # its pieces are out before the journal goes

    async def close(self) -> None:
        """Let replies still being sent finish (a few seconds at most)."""
        await self._replies.close()
        if self._inbox is not None:
            self._inbox.close()

    async def _answer(self, message: IncomingMessage,
                      opening: asyncio.Task[None] | None = None) -> str | None:
        """Keep the message in the inbox (on disk) first, then answer it: the passive text,
        or None for "nothing now" (the rest follows as customer-service messages).
        `opening` is work to finish before any piece is sent later."""
        key = f"{message.platform}:{message.message_id}"
        if self._inbox is not None:
            await self._inbox.keep(key, message)
        return await self._replies.answer(message, key, opening)

    def _opening(self, message: IncomingMessage) -> asyncio.Task[None] | None:
        """For a replayed message: work to finish before its answer is sent."""
        return None

    async def _verify_url(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    async def _receive(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError
