"""Telegram adapter: Bot API updates in (webhook or polling), replies and outbox messages out.

python-telegram-bot (PTB) runs inside our own event loop: `start()` initialises the
application (getMe gives the bot's username for mention detection), the webhook route is
served by our aiohttp server, polling (for a station without a public HTTPS address) uses
PTB's updater without `run_polling`. Every update is turned into one `IncomingMessage`, the
core answers with `Reply` objects, and those go back as plain text with inline buttons.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import hmac
import json
import logging
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from telegram import (
    Bot,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, TypeHandler
from telegram.warnings import PTBDeprecationWarning

from bot.channels.base import BODY_SECONDS, BodyRefused, MessageHandler, read_body, split_text
from bot.channels.inbox import MessageInbox
from bot.channels.telegram_settings import (
    PLATFORM,
    SECRET_HEADER,
    TelegramSettings,
)
from bot.messages import DeliveryError, IncomingMessage, Reply

log = logging.getLogger(__name__)

COMMANDS: Mapping[str, str] = {
    "start": "你好",
    "help": "帮助",
    "menu": "今日菜单",
    "report": "我要报修",
    "wish": "微心愿",
    "mytickets": "我的工单",
    "my_tickets": "我的工单",
}
"""Bot commands and the words the core understands for them; others pass through as typed."""

# Said in the group when a private answer cannot reach someone who never opened the bot.
START_PRIVATE_CHAT = "我没法私信您：请先点我的头像，和我私聊说一句“你好”，我再把详情发给您。"
ALLOWED_UPDATES = ("message", "callback_query")
MAX_TEXT_CHARS = 4096
MAX_CALLBACK_BYTES = 64
MAX_BODY_BYTES = 256 * 1024
GROUP_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})

Sleep = Callable[[float], Awaitable[None]]


class ChatPacer:
    """Spaces messages out: one a second per chat, twenty a minute per group."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep,
                 per_chat_interval: float = 1.0, group_per_minute: int = 20,
                 max_chats: int = 1024) -> None:
        self._clock = clock
        self._sleep = sleep
        self._interval = per_chat_interval
        self._group_limit = group_per_minute
        self._max_chats = max_chats
        self._slots: dict[str, collections.deque[float]] = {}

    def reserve(self, chat_id: str) -> float:
        """Book the next free slot for a message to `chat_id`; the seconds to wait for it."""
        now = self._clock()
        if len(self._slots) >= self._max_chats:
            self._forget_before(now - 60.0)
        slots = self._slots.setdefault(chat_id, collections.deque(maxlen=self._group_limit))
        at = now
        if slots:
            at = max(at, slots[-1] + self._interval)
        if _is_group_id(chat_id) and len(slots) == self._group_limit:
            at = max(at, slots[0] + 60.0)
        slots.append(at)
        return at - now

    async def wait(self, chat_id: str) -> None:
        """Wait for the next free slot for `chat_id`."""
        delay = self.reserve(chat_id)
        if delay > 0:
            await self._sleep(delay)

    def _forget_before(self, cutoff: float) -> None:
        for chat_id in [c for c, slots in self._slots.items() if slots[-1] < cutoff]:
            del self._slots[chat_id]


def _is_group_id(chat_id: str) -> bool:
    """Groups, supergroups and channels have negative ids; people have positive ones."""
    return chat_id.startswith("-")


def _api_chat_id(chat_id: str) -> int | str:
    try:
        return int(chat_id)
    except ValueError:
        return chat_id       # "@channelname"


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Inline buttons for a reply: choice n sends "n", an action sends itself; one per row."""
    buttons = [InlineKeyboardButton(label.strip() or str(n), callback_data=str(n))
               for n, label in enumerate(reply.choices, start=1)]
    for action in reply.actions:
        if action.strip() and len(action.encode("utf-8")) <= MAX_CALLBACK_BYTES:
            buttons.append(InlineKeyboardButton(action, callback_data=action))
        else:
            log.warning("telegram: no button for action %r (callback data over %d bytes)",
                        action, MAX_CALLBACK_BYTES)
    return InlineKeyboardMarkup([[button] for button in buttons]) if buttons else None


def retry_seconds(error: RetryAfter) -> float:
    """The wait a 429 asks for, whether PTB gives it as int or timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)   # int now, timedelta later
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class TelegramSender:
    """Sends replies to a chat: split at 4096 characters, buttons on the last piece, paced,
    one retry after a short 429."""

    platform = PLATFORM

    def __init__(self, bot: Bot, pacer: ChatPacer, sleep: Sleep = asyncio.sleep,
                 max_retry_after: float = 30.0) -> None:
        self._bot = bot
        self._pacer = pacer
        self._sleep = sleep
        self._max_retry_after = max_retry_after

    async def send(self, user_id: str, reply: Reply, key: str) -> None:
        """Deliver for the outbox (`user_id` is a user or group chat id); DeliveryError on failure.

        Telegram has no idempotency key: the outbox's own bookkeeping prevents repeats.
        """
        if not user_id.strip():
            raise DeliveryError("telegram: empty chat id")
        try:
            await self.deliver(user_id, reply)
        except TelegramError as exc:
            raise DeliveryError(f"telegram chat {user_id} ({key}): {exc}") from exc

    async def deliver(self, chat_id: str, reply: Reply) -> None:
        """Send one reply to one chat; raises PTB's TelegramError on failure."""
        pieces = [piece for piece in split_text(reply.text, max_chars=MAX_TEXT_CHARS)
                  if piece.strip()]
        if not pieces:
            log.warning("telegram: reply to %s has no text; nothing sent", chat_id)
            return
        markup = keyboard(reply)
        for index, piece in enumerate(pieces):
            await self._send_piece(chat_id, piece,
                                   markup if index == len(pieces) - 1 else None)

    async def _send_piece(self, chat_id: str, text: str,
                          markup: InlineKeyboardMarkup | None) -> None:
        await self._pacer.wait(chat_id)
        try:
            await self._bot.send_message(chat_id=_api_chat_id(chat_id), text=text,
                                         reply_markup=markup)
        except RetryAfter as exc:
            delay = retry_seconds(exc)
            if delay > self._max_retry_after:
                raise
            log.info("telegram: flood control on %s, retrying in %.0f s", chat_id, delay)
            await self._sleep(delay)
            await self._bot.send_message(chat_id=_api_chat_id(chat_id), text=text,
                                         reply_markup=markup)


class RecentIds:
    """The last `capacity` ids seen, to drop updates Telegram sends again."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._ids: collections.OrderedDict[int, None] = collections.OrderedDict()

    def add(self, update_id: int) -> bool:
        """Remember an id; False if it was already there."""
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True


class TurnLocks:
    """One lock per conversation, so a person's messages reach the core in arrival order."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the conversation's lock (waiters are served first come, first served)."""
        lock, holders = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, holders + 1)
        try:
            async with lock:
                yield
        finally:
            lock, holders = self._locks[key]
            if holders == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, holders - 1)


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is, from getMe: for mentions and replies to it."""

    id: int
    username: str


class UpdateReader:
    """Turns a Telegram update into the core's IncomingMessage, or None to ignore it."""

    def __init__(self, me: BotIdentity) -> None:
        self._me = me

    def read(self, update: Update, now: dt.datetime) -> IncomingMessage | None:
        """The message for the core (callback data counts as a text the user sent)."""
        query = update.callback_query
        if query is not None:
            if not query.data:
                return None
            chat = query.message.chat if query.message is not None else None
            return IncomingMessage(PLATFORM, str(query.from_user.id), query.data,
                                   chat_id=_group_id(chat), message_id=f"cb:{query.id}",
                                   addressed=True, received_at=now)
        message = update.message
        if message is None or message.from_user is None or message.from_user.is_bot:
            return None
        if message.chat.type not in GROUP_TYPES and message.chat.type != Chat.PRIVATE:
            return None
        content = self._content(message)
        if content is None:
            return None
        kind, text, addressed = content
        return IncomingMessage(PLATFORM, str(message.from_user.id), text, kind=kind,
                               chat_id=_group_id(message.chat),
                               message_id=str(update.update_id),
                               addressed=addressed or message.chat.type == Chat.PRIVATE,
                               received_at=now)

    def _content(self, message: Message) -> tuple[str, str, bool] | None:
        """(kind, text, addressed) of a message the core can take."""
        replies_to_bot = (message.reply_to_message is not None
                          and message.reply_to_message.from_user is not None
                          and message.reply_to_message.from_user.id == self._me.id)
        if message.photo:
            largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
            mentioned = bool(self._mentions(message.parse_caption_entities()))
            return "image", largest.file_id, replies_to_bot or mentioned
        if message.voice is not None:
            return "voice", "", replies_to_bot
        if message.text is None:
            return None
        entities = message.parse_entities()
        for entity in entities:
            if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
                text = self._command(message.text, entity.length)
                return None if text is None else ("text", text, True)
        mentions = self._mentions(entities)
        return "text", _without(message.text, mentions).strip(), replies_to_bot or bool(mentions)

    def _command(self, text: str, length: int) -> str | None:
        """"/report@bot 3楼" → "我要报修 3楼"; None for a command to another bot."""
        name, _, target = text[1:length].partition("@")     # commands are ASCII
        rest = text[length:]
        if target and target.lower() != self._me.username.lower():
            return None
        return f"{COMMANDS.get(name.lower(), name)} {rest.strip()}".strip()

    def _mentions(self, entities: Mapping[MessageEntity, str]) -> list[MessageEntity]:
        handle = "@" + self._me.username.lower()
        return [entity for entity, text in entities.items()
                if (entity.type == MessageEntity.MENTION and text.lower() == handle)
                or (entity.type == MessageEntity.TEXT_MENTION and entity.user is not None
                    and entity.user.id == self._me.id)]


def _inbox_key(update: Update) -> str:
    return f"telegram:{update.update_id}"


def _group_id(chat: Chat | None) -> str | None:
    return str(chat.id) if chat is not None and chat.type in GROUP_TYPES else None


def _without(text: str, entities: list[MessageEntity]) -> str:
    """Text with the entities cut out (their offsets count UTF-16 code units)."""
    units = text.encode("utf-16-le")
    for entity in sorted(entities, key=lambda e: e.offset, reverse=True):
        units = units[:2 * entity.offset] + units[2 * (entity.offset + entity.length):]
    return units.decode("utf-16-le")


class TelegramChannel:
    """The Telegram channel: webhook route or polling in, core replies and outbox messages out."""

    def __init__(self, settings: TelegramSettings, handler: MessageHandler, *,
                 pacer: ChatPacer | None = None, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], dt.datetime] | None = None,
                 drain_seconds: float = 10.0, body_seconds: float = BODY_SECONDS,
                 inbox: MessageInbox | None = None) -> None:
        self._settings = settings
        self._body_seconds = body_seconds
        self._inbox = inbox
        self._handler = handler
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._drain_seconds = drain_seconds
        builder = ApplicationBuilder().token(settings.token)
        if settings.api_base:
            builder = builder.base_url(settings.api_base)
        if settings.mode == "webhook":
            builder = builder.updater(None)
        self._application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self._application.add_handler(TypeHandler(Update, self._on_polled_update))
        self._sender = TelegramSender(self._application.bot, pacer or ChatPacer(), sleep=sleep)
        self._seen = RecentIds()
        self._turns = TurnLocks()
        self._tasks: set[asyncio.Task[None]] = set()
        self._reader: UpdateReader | None = None

    @property
    def sender(self) -> TelegramSender:
        """The ChannelSender for the outbox (usable between start and stop)."""
        return self._sender

    @property
    def route(self) -> str:
        """The webhook route this channel serves."""
        return self._settings.route

    async def start(self) -> None:
        """Initialise PTB (getMe), start it, then set the webhook or start polling."""
        await self._application.initialize()
        me = self._application.bot
        self._reader = UpdateReader(BotIdentity(me.id, me.username))
        await self._application.start()
        if self._application.updater is not None:
            await self._application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        elif self._settings.public_webhook is not None:
            await self._application.bot.set_webhook(
                url=self._settings.public_webhook, secret_token=self._settings.secret,
                allowed_updates=ALLOWED_UPDATES)
        log.info("telegram: @%s started (%s)", me.username, self._settings.mode)
        if self._inbox is not None:
            self._inbox.open()
            await self._inbox.finish_orphans(self._finish_kept)

    async def stop(self) -> None:
        """Stop taking updates, let in-flight ones finish (or cancel them), shut PTB down."""
        self._reader = None
        updater = self._application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self._application.running:
            await self._application.stop()
        await self._drain()
        await self._application.shutdown()
        if self._inbox is not None:
            self._inbox.close()

    def add_routes(self, app: web.Application) -> None:
        """Add POST /telegram/<secret path> to our aiohttp app (nothing in polling mode)."""
        if self._settings.mode == "webhook":
            app.router.add_post(self._settings.route, self._webhook)

    async def join(self) -> None:
        """Wait until every update taken so far has been processed."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _webhook(self, request: web.Request) -> web.Response:
        secret = (self._settings.secret or "").encode()
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret):
            return web.Response(status=403)
        if self._reader is None:
            return web.Response(status=503)
        try:
            body = await read_body(request, MAX_BODY_BYTES, self._body_seconds)
        except BodyRefused as refusal:
            log.info("telegram: refused an update from %s: %s", request.remote, refusal.reason)
            return web.Response(status=refusal.status)
        update = self._parse(body)
        if update is None:
            return web.Response(status=400)
        if self._inbox is not None:     # on disk before Telegram hears 200 (it never resends)
            incoming = self._reader.read(update, self._clock())
            if incoming is not None:
                await self._inbox.keep(_inbox_key(update), incoming)
        self._accept(update)
        return web.Response(status=200)

    def _parse(self, body: bytes) -> Update | None:
        """The update in a webhook body, or None for anything that is not one: bad JSON, JSON
        nested past the parser's depth, or fields of the wrong type ("update_id": "abc")."""
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("no integer update_id")
            update = Update.de_json(data, self._application.bot)
        except Exception as exc:   # bad JSON, too deep (RecursionError), or a shape the SDK rejects
            log.info("telegram: malformed update refused (%s)", type(exc).__name__)
            return None
        return update

    async def _on_polled_update(self, update: object, context: object) -> None:
        if isinstance(update, Update):
            self._accept(update)

    def _accept(self, update: Update) -> None:
        """Process a new update in the background; drop one seen before."""
        if not self._seen.add(update.update_id):
            log.debug("telegram: update %s seen before", update.update_id)
            return
        task = asyncio.create_task(self._process(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, update: Update) -> None:
        """Hand one update to the core, after the same person's earlier ones."""
        reader = self._reader
        incoming = reader.read(update, self._clock()) if reader is not None else None
        key = incoming.session_key if incoming is not None else f"update:{update.update_id}"
        try:
            async with self._turns.hold(key):
                if update.callback_query is not None:
                    await self._acknowledge(update)
                if incoming is None:
                    return
                await self._respond(incoming)
        except Exception:
            log.exception("telegram: update %s failed", update.update_id)
        finally:
            if self._inbox is not None:
                await self._inbox.done(_inbox_key(update))

    async def _respond(self, incoming: IncomingMessage) -> None:
        """The core's replies to one message, sent."""
        for reply in await self._handler(incoming):
            await self._reply(incoming, reply)

    async def _finish_kept(self, key: str, incoming: IncomingMessage) -> None:
        """Handle a kept message a dead worker left and send its replies."""
        try:
            async with self._turns.hold(incoming.session_key):
                await self._respond(incoming)
        except Exception:
            log.exception("telegram: a kept message of %s failed", incoming.user_id)

    async def _acknowledge(self, update: Update) -> None:
        """Answer the button press and drop the keyboard it came from."""
        query = update.callback_query
        assert query is not None
        bot = self._application.bot
        try:
            await bot.answer_callback_query(query.id)
            if query.message is not None:
                await bot.edit_message_reply_markup(chat_id=query.message.chat.id,
                                                    message_id=query.message.message_id,
                                                    reply_markup=None)
        except TelegramError as exc:
            log.info("telegram: callback %s not acknowledged: %s", query.id, exc)

    async def _reply(self, incoming: IncomingMessage, reply: Reply) -> None:
        """Send one reply to the chat, or privately to the sender when it asks for that."""
        private = reply.private or incoming.chat_id is None
        target = incoming.user_id if private else str(incoming.chat_id)
        try:
            await self._sender.deliver(target, reply)
        except Forbidden as exc:
            log.warning("telegram: %s refuses messages from the bot (%s)", target, exc)
            if private and incoming.chat_id is not None:  # say so where they can see it
                await self._reply(incoming, Reply(START_PRIVATE_CHAT))
        except TelegramError as exc:
            log.error("telegram: reply to %s failed: %s", target, exc)

    async def _drain(self) -> None:
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=self._drain_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
