"""WeCom (企业微信) adapter: building leaders and station staff talk to the bot through the
station's self-built app; group robots post notices into WeCom groups.

Callback at /wechat/work: the GET check decrypts WeCom's encrypted echostr (its `+` kept), POSTs
carry encrypted messages and events. Each delivery runs the core once; an answer ready within
`passive_seconds` goes back passively (encrypted), everything else as app messages, at most 30
per member per minute and 1000 per hour. Robots take at most 20 messages a minute each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.base import MessageHandler, SharedState
from bot.channels.inbox import MessageInbox
from bot.channels.tencent_api import (
    DEFAULT_MENU,
    CallbackCrypto,
    CallbackGuard,
    CallbackRefused,
    ChannelTable,
    Clock,
    ReplyCoordinator,
    SentPieces,
    Sleep,
    SlidingWindowLimiter,
    TencentCallback,
    WeComApi,
    WeComRobotApi,
    callback_query,
    cdata_safe,
    check_aes_key,
    check_api_base,
    env_seconds,
    env_text,
    limited,
    load_wechatpy_parts,
    new_nonce,
    parse_xml,
    read_callback,
    require_env,
    send_pieces,
    unix_time,
    utc_now,
)
from bot.config import ConfigError
from bot.messages import DeliveryError, Reply

log = logging.getLogger(__name__)

PLATFORM = "wecom"
ROBOT_PLATFORM = "wecom_robot"
TOKEN_VAR = "YIZHAN_WECOM_TOKEN"
AES_KEY_VAR = "YIZHAN_WECOM_AES_KEY"
CORP_ID_VAR = "YIZHAN_WECOM_CORP_ID"
SECRET_VAR = "YIZHAN_WECOM_SECRET"
AGENT_ID_VAR = "YIZHAN_WECOM_AGENT_ID"
MAX_SKEW_VAR = "YIZHAN_WECOM_MAX_SKEW"
API_BASE_VAR = "YIZHAN_WECOM_API_BASE"
DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
TABLE_KEYS = frozenset({"enabled", "passive_seconds", "max_body_bytes", "menu", "robots"})
APP_LIMITS = ((30, 60.0), (1000, 3600.0))      # per member
ROBOT_LIMITS = ((20, 60.0),)                  # per robot
MAX_WAIT_SECONDS = 5.0   # wait this long for a send slot; beyond it the outbox retries later


@dataclass(frozen=True)
class WeComSettings:
    """The self-built app's callback and API settings (secrets from the environment only)."""

    token: str = field(repr=False)
    aes_key: str = field(repr=False)
    corp_id: str
    secret: str = field(repr=False)
    agent_id: int
    max_skew: int = 300
    api_base: str = DEFAULT_API_BASE
    passive_seconds: float = 4.0
    max_body_bytes: int = 64 * 1024
    menu: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_MENU))

    @classmethod
    def from_env(cls, environ: Mapping[str, str], table: Mapping[str, Any]
                 ) -> WeComSettings | None:
        """Settings from the environment and `[channels.wecom]`; None when the app is off.

        On when any of its variables is set or the table says `enabled = true`;
        `enabled = false` turns it off. (Robots are read by WeComRobotSettings.)
        """
        options = ChannelTable(PLATFORM, table, TABLE_KEYS)
        enabled = options.flag("enabled")
        names = (TOKEN_VAR, AES_KEY_VAR, CORP_ID_VAR, SECRET_VAR, AGENT_ID_VAR)
        if enabled is False or (enabled is None and not any(env_text(environ, n) for n in names)):
            return None
        require_env(environ, names, "The WeCom app")
        aes_key = env_text(environ, AES_KEY_VAR)
        check_aes_key(AES_KEY_VAR, aes_key)
        try:
            agent_id = int(env_text(environ, AGENT_ID_VAR))
        except ValueError:
            raise ConfigError(f"{AGENT_ID_VAR} must be the app's numeric AgentId") from None
        return cls(token=env_text(environ, TOKEN_VAR),
                   aes_key=aes_key,
                   corp_id=env_text(environ, CORP_ID_VAR),
                   secret=env_text(environ, SECRET_VAR),
                   agent_id=agent_id,
                   max_skew=env_seconds(environ, MAX_SKEW_VAR, 300),
                   api_base=_api_base(environ),
                   passive_seconds=options.number("passive_seconds", 4.0, 0.0),
                   max_body_bytes=int(options.number("max_body_bytes", 64 * 1024, 1024)),
                   menu=options.menu())

    def __post_init__(self) -> None:
        if self.passive_seconds >= 5:
            raise ConfigError(f"[channels.{PLATFORM}] passive_seconds must be under 5 "
                              "(WeCom gives up after 5 seconds)")


@dataclass(frozen=True)
class WeComRobotSettings:
    """Group robots by name, with their webhook keys (secrets, from the environment)."""

    keys: Mapping[str, str] = field(repr=False)
    api_base: str = DEFAULT_API_BASE

    @classmethod
    def from_env(cls, environ: Mapping[str, str], table: Mapping[str, Any]
                 ) -> WeComRobotSettings | None:
        """The robots of `[channels.wecom] robots = { name = "ENV_VAR", ... }`; None when
        there are none. A robot whose variable is unset is a ConfigError."""
        options = ChannelTable(PLATFORM, table, TABLE_KEYS)
        if options.flag("enabled") is False:
            return None
        robots = options.strings("robots")
        if not robots:
            return None
        missing = sorted(var for var in robots.values() if not env_text(environ, var))
        if missing:
            raise ConfigError(f"[channels.{PLATFORM}] robots: {', '.join(missing)} "
                              f"{'is' if len(missing) == 1 else 'are'} not set")
        return cls(keys={name: env_text(environ, var) for name, var in robots.items()},
                   api_base=_api_base(environ))


def _api_base(environ: Mapping[str, str]) -> str:
    return check_api_base(API_BASE_VAR, env_text(environ, API_BASE_VAR) or DEFAULT_API_BASE)


class WeComAppSender:
    """Sends app messages to one member, in 2048-byte pieces, within WeCom's rate limits."""

    platform = PLATFORM

    def __init__(self, api: WeComApi, state: SharedState, clock: Clock = utc_now,
                 sleep: Sleep = asyncio.sleep, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self._api = api
        self._sent = SentPieces(state, PLATFORM, clock)
        self._limiter = SlidingWindowLimiter(APP_LIMITS, clock)
        self._sleep = sleep
        self._max_wait = max_wait

    async def send(self, user_id: str, reply: Reply, key: str) -> None:
        """Deliver `reply` to the member `user_id`; DeliveryError when it cannot (now)."""
        async def send_one(piece: str) -> None:
            await limited(self._limiter, user_id, self._max_wait, self._sleep,
                          f"member {user_id}")
            await self._api.send_text(user_id, piece)

        await send_pieces(reply.text, key, self._sent, send_one)


class WeComRobotSender:
    """Posts notices into WeCom groups through their robots; `user_id` is the robot's name."""

    platform = ROBOT_PLATFORM

    def __init__(self, settings: WeComRobotSettings, http: aiohttp.ClientSession,
                 state: SharedState, clock: Clock = utc_now, sleep: Sleep = asyncio.sleep,
                 max_wait: float = MAX_WAIT_SECONDS) -> None:
        self._keys = settings.keys
        self._api = WeComRobotApi(http, settings.api_base)
        self._sent = SentPieces(state, ROBOT_PLATFORM, clock)
        self._limiter = SlidingWindowLimiter(ROBOT_LIMITS, clock)
        self._sleep = sleep
        self._max_wait = max_wait

    @property
    def robots(self) -> frozenset[str]:
        """The configured robot names."""
        return frozenset(self._keys)

    async def send(self, user_id: str, reply: Reply, key: str) -> None:
        """Post `reply` through the robot named `user_id`; DeliveryError when it cannot (now)."""
        robot_key = self._keys.get(user_id)
        if robot_key is None:
            raise DeliveryError(f"no WeCom robot named {user_id!r}")

        async def send_one(piece: str) -> None:
            await limited(self._limiter, user_id, self._max_wait, self._sleep,
                          f"robot {user_id}")
            await self._api.send_text(robot_key, piece)

        await send_pieces(reply.text, key, self._sent, send_one)


class WeComChannel(TencentCallback):
    """The self-built app callback (add_routes) and the app-message sender (`sender`)."""

    platform = PLATFORM
    default_path = "/wechat/work"

    def __init__(self, settings: WeComSettings, handler: MessageHandler, state: SharedState,
                 http: aiohttp.ClientSession, clock: Clock = utc_now,
                 sleep: Sleep = asyncio.sleep, inbox: MessageInbox | None = None) -> None:
        # The SDK is loaded when the channel is built, not by a server with it off.
        load_wechatpy_parts()
        from wechatpy.enterprise.parser import parse_message
        from wechatpy.enterprise.replies import TextReply

        self._parse_message = parse_message
        self._text_reply = TextReply
        self._settings = settings
        self._clock = clock
        self._guard = CallbackGuard(settings.token, settings.max_skew, settings.max_body_bytes,
                                    clock)
        self._crypto = CallbackCrypto(settings.token, settings.aes_key, settings.corp_id,
                                      work=True)
        self.api = WeComApi(http, state, settings.corp_id, settings.secret, settings.agent_id,
                            settings.api_base, clock)
        self.sender = WeComAppSender(self.api, state, clock, sleep)
        self._replies = ReplyCoordinator(handler, self.sender.send, settings.passive_seconds,
                                         claims=state, clock=clock,
                                         finished=inbox.done if inbox else None)
        self._inbox = inbox

    async def _verify_url(self, request: web.Request) -> web.StreamResponse:
        query = callback_query(request)
        try:
            self._guard.check_fresh(query)
            echo = query.get("echostr", "")
            if not echo:
                raise CallbackRefused(400, "no echostr")
            plain = self._crypto.decrypt(echo, query)
        except CallbackRefused as refusal:
            return refusal.response(request)
        return web.Response(text=plain)

    async def _receive(self, request: web.Request) -> web.StreamResponse:
        query = callback_query(request)
        try:
            self._guard.check_fresh(query)
            envelope = parse_xml(await self._guard.read_body(request))
            xml = self._crypto.open(envelope, query)
            message, read = read_callback(xml, self._parse_message, PLATFORM, self._settings.menu,
                                          self._clock())
        except CallbackRefused as refusal:
            return refusal.response(request)
        if read.incoming is None or read.incoming.message_id is None:
            return web.Response(text="")
        passive = await self._answer(read.incoming)
        if passive is None:
            return web.Response(text="")
        return web.Response(text=self._render(message, passive),
                            content_type="application/xml")

    def _render(self, message: Any, text: str) -> str:
        now = unix_time(self._clock)
        xml = str(self._text_reply(source=cdata_safe(str(message.target)),
                            target=cdata_safe(str(message.source)),
                            agent=self._settings.agent_id,
                            content=cdata_safe(text), time=int(now)).render())
        return self._crypto.seal(xml, new_nonce(), now)
