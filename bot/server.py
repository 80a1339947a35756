"""`yizhan serve`: one aiohttp application for every channel, the scheduler and the outbox.

The app factory is the server's composition root: it takes the assistant (built by
`bootstrap`), builds the channels the settings switch on, and ties their lifetimes to the
application's with `cleanup_ctx`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.bootstrap import Assistant
from bot.channels.base import ChannelSender, MessageHandler
from bot.channels.delivery import ChannelDeliverer
from bot.config import ConfigError, Settings
from bot.db.shared_state import DatabaseSharedState
from bot.db.unit_of_work import UnitOfWork
from bot.dialogue import Dialogue
from bot.knowledge_reload import KnowledgeReloader
from bot.messages import IncomingMessage, Reply
from bot.staff.web import DeskDependencies, staff_app
from bot.tickets.outbox import OutboxSender
from bot.tickets.scheduler import TicketScheduler

log = logging.getLogger(__name__)


class OneLineRefusals(logging.Filter):
    """aiohttp logs a refused request (an oversized header, a too-long URL, a client that hung
    up) with a 10-20 line traceback; one line says it."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, (HttpProcessingError, ConnectionError, asyncio.CancelledError)):
            record.msg = "refused a request: %s: %s"
            record.args = (type(error).__name__, str(error).splitlines()[0] if str(error)
                           else "")
            record.exc_info, record.exc_text = None, None
        return True


def quiet_refusals() -> None:
    """Install OneLineRefusals on aiohttp's server logger (once)."""
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, OneLineRefusals) for f in logger.filters):
        logger.addFilter(OneLineRefusals())


class ServerMetrics:
    """The Prometheus figures of one server process (a registry of its own, no globals)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter("yizhan_messages", "Messages handled, by channel and intent",
                                ("channel", "intent"), registry=self.registry)
        self.latency = Histogram(
            "yizhan_message_seconds", "Time to answer one message, by channel", ("channel",),
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry)
        self.errors = Counter("yizhan_message_errors", "Messages whose handling failed",
                              ("channel",), registry=self.registry)
        self.tickets = Gauge("yizhan_tickets", "Tickets by kind and state", ("kind", "state"),
                             registry=self.registry)
        self.outbox = Gauge("yizhan_outbox", "Notifications by delivery state", ("state",),
                            registry=self.registry)

    def initialise(self, channels: Sequence[str], labels: Sequence[str]) -> None:
        """Create every labelled series at zero, so that /metrics shows them before traffic."""
        for channel in channels:
            self.latency.labels(channel)
            self.errors.labels(channel)
            for label in labels:
                self.messages.labels(channel, label)

    def observe_intent(self, channel: str, intent: str) -> None:
        """Count one message under the intent the dialogue settled on."""
        self.messages.labels(channel, intent).inc()

    async def refresh(self, unit_of_work: Callable[[], UnitOfWork]) -> None:
        """Read the ticket and outbox gauges from the database (at scrape time)."""
        async with unit_of_work() as uow:
            tickets = await uow.tickets.counts()
            outbox = await uow.outbox.counts()
        self.tickets.clear()
        for kind, state, count in tickets:
            self.tickets.labels(kind, state).set(count)
        self.outbox.clear()
        for state, count in outbox:
            self.outbox.labels(state).set(count)


def timed_handler(handle: MessageHandler, metrics: ServerMetrics) -> MessageHandler:
    """The dialogue's entry point, timed; a failure is logged and answered politely."""

    async def handler(message: IncomingMessage) -> list[Reply]:
        started = time.perf_counter()
        try:
            return await handle(message)
        except Exception:
            metrics.errors.labels(message.platform).inc()
            log.exception("handling a %s message failed", message.platform)
            return [Reply(SORRY)]
        finally:
            metrics.latency.labels(message.platform).observe(time.perf_counter() - started)

    return handler


SORRY = "抱歉，系统出了点问题，您的消息没有处理。请稍后再发一次。"
# The platforms messages come from (the WeCom robot only sends).
PLATFORMS = ("wechat_mp", "wecom", "telegram")


def listening_line(url: str, channels: Channels, database_url: str) -> str:
    """The one line `yizhan serve` logs when it listens: where, which channels (and what
    switches the others on), which database (password hidden)."""
    from bot.channels import telegram_settings as telegram
    from bot.channels import wechat_mp, wecom
    from bot.db.database import safe_url

    switches = {
        "wechat_mp": (wechat_mp.TOKEN_VAR, wechat_mp.AES_KEY_VAR, wechat_mp.APPID_VAR,
                      wechat_mp.SECRET_VAR),
        "wecom": (wecom.TOKEN_VAR, wecom.AES_KEY_VAR, wecom.CORP_ID_VAR, wecom.SECRET_VAR,
                  wecom.AGENT_ID_VAR),
        "telegram": (telegram.TOKEN_VAR, telegram.SECRET_VAR),
    }
    on = [name for name in PLATFORMS if name in channels.senders]
    off = [f"{name} (set {', '.join(names)})" for name, names in switches.items()
           if name not in channels.senders]
    return (f"listening on {url}; channels on: {', '.join(on) or 'none (health only)'}"
            f"{'; off: ' + '; '.join(off) if off else ''}; routes: "
            f"{', '.join(channels.routes) or '-'}; database: {safe_url(database_url)}")


@dataclass
class Channels:
    """The channels switched on, their senders, and what to start and stop with the app."""

    senders: dict[str, ChannelSender] = field(default_factory=dict)
    start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    telegram_groups: dict[str, str] = field(default_factory=dict)


def _table(settings: Settings, name: str, own: tuple[str, ...] = ()) -> dict[str, Any]:
    """[channels.NAME] without the keys the server reads itself."""
    return {k: v for k, v in settings.channels.get(name, {}).items() if k not in own}


def build_channels(app: web.Application, settings: Settings, handler: MessageHandler,
                   state: DatabaseSharedState, http: aiohttp.ClientSession) -> Channels:
    """Every channel the settings switch on, its routes added to `app`.

    A channel switched on with a secret missing raises ConfigError (naming the variable)."""
    from bot.channels.inbox import inbox_for
    from bot.channels.telegram_settings import TelegramSettings
    from bot.channels.wechat_mp import WeChatMpChannel, WeChatMpSettings
    from bot.channels.wecom import (
        WeComChannel,
        WeComRobotSender,
        WeComRobotSettings,
        WeComSettings,
    )

    env = settings.environ
    channels = Channels()
    inboxes = settings.cache_dir.parent / "inbox"   # var/inbox: kept messages, per worker
    mp_settings = WeChatMpSettings.from_env(env, _table(settings, "wechat_mp"))
    if mp_settings is not None:
        mp = WeChatMpChannel(mp_settings, handler, state, http,
                             inbox=inbox_for(inboxes, "wechat_mp"))
        mp.add_routes(app, "/wechat/mp")
        channels.senders["wechat_mp"] = mp.sender
        channels.start.append(mp.start)
        channels.stop.append(mp.close)
        channels.routes.append("/wechat/mp")
    wecom_settings = WeComSettings.from_env(env, _table(settings, "wecom"))
    if wecom_settings is not None:
        wecom = WeComChannel(wecom_settings, handler, state, http,
                             inbox=inbox_for(inboxes, "wecom"))
        wecom.add_routes(app, "/wechat/work")
        channels.senders["wecom"] = wecom.sender
        channels.start.append(wecom.start)
        channels.stop.append(wecom.close)
        channels.routes.append("/wechat/work")
    robots = WeComRobotSettings.from_env(env, _table(settings, "wecom"))
    if robots is not None:
        channels.senders["wecom_robot"] = WeComRobotSender(robots, http, state)
    telegram_table = _table(settings, "telegram", own=("groups",))
    telegram_settings = TelegramSettings.from_env(env, telegram_table)
    if telegram_settings is not None:   # the SDK is imported only when Telegram is on
        from bot.channels.telegram import TelegramChannel

        telegram = TelegramChannel(telegram_settings, handler,
                                   inbox=inbox_for(inboxes, "telegram"))
        telegram.add_routes(app)
        channels.senders["telegram"] = telegram.sender
        channels.start.append(telegram.start)
        channels.stop.append(telegram.stop)
        channels.routes.append(telegram.route)
        groups = settings.channels.get("telegram", {}).get("groups", {})
        if not isinstance(groups, Mapping):
            raise ConfigError("[channels.telegram] groups must be a table: building = chat id")
        channels.telegram_groups = {str(k): str(v) for k, v in groups.items()}
    return channels


async def write_consultations(dialogue: Dialogue, unit_of_work: Callable[[], UnitOfWork]
                              ) -> int:
    """Write the questions answered since the last time (a batch); on failure they are kept
    for the next time. How many rows were written."""
    tally = dialogue.tally
    rows = tally.take() if tally is not None else []
    if not rows or tally is None:
        return 0
    try:
        async with unit_of_work() as uow:
            await uow.consultations.add(rows)
            await uow.commit()
    except Exception:
        tally.back(rows)
        raise
    return len(rows)


async def _every(seconds: float, work: Callable[[], Awaitable[object]], name: str) -> None:
    """Run `work` forever at a steady pace; an error is logged and the loop goes on."""
    while True:
        try:
            await work()
        except Exception:
            log.exception("%s failed; retrying in %s s", name, seconds)
        await asyncio.sleep(seconds)


HEALTHY = "ok\n"
ASSISTANT = web.AppKey("assistant", Assistant)
METRICS = web.AppKey("metrics", ServerMetrics)
CHANNELS = web.AppKey("channels", Channels)
OUTBOX = web.AppKey("outbox", OutboxSender)
SCHEDULER = web.AppKey("scheduler", TicketScheduler)


async def create_app(settings: Settings, assistant: Assistant,
                     metrics: ServerMetrics | None = None,
                     clock: Callable[[], dt.datetime] | None = None,
                     background: bool = True) -> web.Application:
    """The whole server: channels, /healthz, /metrics, the scheduler and the outbox sender.

    `assistant` comes from `bootstrap(settings, observe=metrics.observe_intent)`, built outside
    the event loop (it migrates the database). `background=False` leaves the scheduler and
    outbox loops to the caller (tests drive them by hand)."""
    metrics = metrics or ServerMetrics()
    quiet_refusals()
    now = clock or assistant.clock     # the station's time: duty rotas are by its weekday
    app = web.Application(client_max_size=1 << 20)
    app[ASSISTANT] = assistant
    app[METRICS] = metrics

    unit_of_work = assistant.unit_of_work
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
    handler = timed_handler(assistant.dialogue.handle, metrics)
    try:
        channels = build_channels(app, settings, handler, DatabaseSharedState(unit_of_work),
                                  http)
    except BaseException:
        await http.close()
        raise
    app[CHANNELS] = channels
    metrics.initialise([name for name in channels.senders if name in PLATFORMS],
                       assistant.dialogue.metric_labels())
    deliverer = ChannelDeliverer(unit_of_work, assistant.knowledge.roster, channels.senders,
                                 channels.telegram_groups)
    outbox = assistant.notifications(deliverer)
    scheduler = assistant.scheduler(holder=f"{socket.gethostname()}:{os.getpid()}")
    app[OUTBOX], app[SCHEDULER] = outbox, scheduler

    async def healthz(request: web.Request) -> web.Response:
        async with unit_of_work() as uow:
            await uow.ping()
        return web.Response(text=HEALTHY)

    async def metrics_page(request: web.Request) -> web.Response:
        await metrics.refresh(unit_of_work)
        return web.Response(body=generate_latest(metrics.registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        for start in channels.start:
            await start()
        loops = []
        if background:
            loops = [
                asyncio.create_task(_every(settings.server.scheduler_seconds,
                                           lambda: scheduler.tick_if_leader(now()),
                                           "scheduler")),
                asyncio.create_task(_every(settings.server.outbox_seconds,
                                           lambda: outbox.deliver_due(now()), "outbox")),
            ]
            loops.append(asyncio.create_task(_every(
                settings.server.scheduler_seconds,
                lambda: write_consultations(assistant.dialogue, unit_of_work), "consultations")))
            if settings.server.reload_seconds > 0:   # every worker watches knowledge/
                loops.append(asyncio.create_task(_every(
                    settings.server.reload_seconds, reloader.check_for_changes, "reload")))
        log.info("serving %s", ", ".join(channels.routes) or "no channels (health only)")
        yield
        for task in loops:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:                                   # the last answers counted before stopping
            await write_consultations(assistant.dialogue, unit_of_work)
        except Exception as exc:
            log.warning("answered-question counts not written at stop: %s", type(exc).__name__)
        for stop in reversed(channels.stop):
            await stop()
        await http.close()
        await assistant.close()

    reloader = KnowledgeReloader(assistant)
    app.add_subapp("/staff", staff_app(DeskDependencies(
        assistant.knowledge, unit_of_work, assistant.dialogue, now,
        settings.environ.get("YIZHAN_STAFF_SECRET"), reloader, assistant.bookings)))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    app.cleanup_ctx.append(lifetime)
    return app

