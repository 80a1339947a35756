"""One message in, replies out: numbered choices, classification, and the handler registry."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from bot.db.repositories import MessageContext
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import IncomingMessage, Reply
from bot.sessions import Choice, Session, SessionStore
from bot.tickets import texts as ticket_texts
from bot.tickets.desk import TicketDesk, in_private, wish_text
from bot.tickets.leaders import LeaderDesk
from handlers import affairs, faq, menu
from handlers.context import HandlerContext, HandlerResult
from intents.engine import Classification, IntentEngine

IntentHandler = Callable[[HandlerContext, Classification], Awaitable[HandlerResult]]

_PICK = re.compile(
    r"^\s*(?:第)?\s*([0-9０-９一二三四五六七八九])\s*(?:个|项|号|条)?\s*[。.!！]?\s*$")
_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

PICK_OUT_OF_RANGE = "请回复 1 到 {count} 之间的数字，或者直接打字问。"
NON_TEXT = "我现在只看得懂文字。请打字告诉我您想问什么。"
CONFLICT = "刚才同时有别的操作，这条没有保存。请再发一次。"
TICKET_CODE = re.compile(r"[RWrw]\d{3,}")


def picked_number(text: str) -> int | None:
    """"2", "２", "第2个", "二" -> 2; None if the message is not a bare choice."""
    match = _PICK.match(text)
    if not match:
        return None
    value = match.group(1)
    if value in _CN_DIGIT:
        return _CN_DIGIT[value]
    return int(value.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


@dataclass(frozen=True)
class DialogueSettings:
    """How long choices stay valid and how long replies may be."""

    session_minutes: int = 30
    max_reply_chars: int = 300


@dataclass(frozen=True)
class TicketDesks:
    """The ticket side: the database's units of work and the two desks that use them."""

    unit_of_work: Callable[[], UnitOfWork]
    residents: TicketDesk
    leaders: LeaderDesk


class Dialogue:
    """Turns an incoming message into replies. One instance per process.

    With tickets, each message is one unit of work: its state is read in one query, every
    change it causes (ticket, audit event, outbox notification, conversation state, the
    processed-message record) is committed together at the end, or not at all.
    """

    def __init__(self, knowledge: Knowledge, engine: IntentEngine, sessions: SessionStore,
                 handlers: Mapping[str, IntentHandler], settings: DialogueSettings,
                 clock: Callable[[], dt.datetime], tickets: TicketDesks | None = None,
                 observe: Callable[[str, str], None] | None = None) -> None:
        self.tickets = tickets
        self._observe = observe or (lambda platform, intent: None)
        self.knowledge = knowledge
        self.engine = engine
        self.sessions = sessions
        self.handlers = handlers
        self.settings = settings
        self.clock = clock

    @property
    def desk(self) -> TicketDesk | None:
        """The residents' ticket desk, when tickets are on."""
        return self.tickets.residents if self.tickets else None

    def _context(self, now: dt.datetime) -> HandlerContext:
        return HandlerContext(self.knowledge, now.date(), self.settings.max_reply_chars,
                              now=now)

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Answer one message."""
        now = self.clock()
        if self.tickets is None:
            return await self._answer_only(message, now)
        async with self.tickets.unit_of_work() as uow:
            ctx = await uow.conversations.context(
                message.platform, message.user_id, message.session_key,
                _processed_key(message), now)
            if ctx.earlier_reply is not None:  # the platform delivered this message again
                self._observe(message.platform, "redelivered")
                return decode_replies(ctx.earlier_reply)
            try:  # a flush inside the handlers may meet the conflict as well as the commit
                replies = await self._handle(uow, ctx, message, now)
                if not uow.has_changes:
                    return replies
                if message.message_id:
                    uow.processed.add(_processed_key(message) or "", encode_replies(replies))
                await uow.commit()
                return replies
            except (IntegrityError, StaleDataError):
                await uow.rollback()
        # Someone else changed the same thing at the same moment (or this very message was
        # handled by another worker): give the first answer, or ask to send again.
        async with self.tickets.unit_of_work() as uow:
            earlier = await uow.processed.get(_processed_key(message) or "")
        if earlier is not None:
            return decode_replies(earlier.reply)
        code = TICKET_CODE.search(message.text)
        return [Reply(ticket_texts.CONFLICT.format(code=code.group(0).upper()) if code
                      else CONFLICT)]

    async def introduce(self, platform: str, user_id: str, name: str, building: str) -> None:
        """Record a known resident and their building (console stories, imports)."""
        if self.tickets is None:
            return
        async with self.tickets.unit_of_work() as uow:
            await self.tickets.residents.introduce(uow, platform, user_id, name, building)
            await uow.commit()

    async def _handle(self, uow: UnitOfWork, ctx: MessageContext, message: IncomingMessage,
                      now: dt.datetime) -> list[Reply]:
        assert self.tickets is not None
        desk, leaders = self.tickets.residents, self.tickets.leaders
        if not message.addressed and ctx.state is None:
            self._observe(message.platform, "not_addressed")
            return []  # group talk (or a photo) not meant for the bot
        if message.kind != "text":
            self._observe(message.platform, message.kind)
            if message.kind == "event":
                return await self._event(uow, message, now)
            if message.kind == "image":
                return await desk.attach_photo(uow, ctx, message, now)
            return [Reply(NON_TEXT)]
        actor = leaders.actor(message)
        if actor is not None:
            done = await leaders.handle(uow, actor, message, now)
            if done is not None:
                self._observe(message.platform, "ticket.command")
                return in_private(message, done)  # in a group, a leader's answers go privately
        ctx_h = self._context(now)
        # A leader waits for this resident: a new report or wish is not the answer. The
        # classification is kept for the routing below.
        early = self.engine.classify(message.text, ctx_h.today) if ctx.waiting else None
        relay = early is None or early.intent not in ("report.new", "wish.new")
        pending = await desk.pending(uow, ctx, message, now, relay)
        if pending is not None:
            self._observe(message.platform, "ticket.flow")
            return pending
        stored = ctx.state if ctx.state and ctx.state.get("flow") == "choices" else None
        session = _session(stored) if stored else None
        number = picked_number(message.text)
        if number is not None and session is not None and session.live(now):
            if not 1 <= number <= len(session.choices):
                return [Reply(PICK_OUT_OF_RANGE.format(count=len(session.choices)))]
            self._observe(message.platform, "choice")
            result = await self._choose(ctx_h, session.choices[number - 1])
        else:
            classification = early or self.engine.classify(message.text, ctx_h.today)
            self._observe(message.platform, "clarify" if classification.clarify
                          else classification.intent)
            if classification.intent == "wish.new":
                return await desk.start_wish(uow, ctx, message, wish_text(message.text), now)
            if classification.intent == "report.new":
                return await desk.start_report(uow, ctx, message, classification.category,
                                               classification.normalised, now)
            result = await self._route(ctx_h, classification)
        if result.choices:
            expires = now + dt.timedelta(minutes=self.settings.session_minutes)
            await uow.conversations.set(message.session_key, {
                "flow": "choices", "expires": expires.isoformat(),
                "choices": [asdict(c) for c in result.choices]}, expires)
        elif stored is not None:
            await uow.conversations.delete(message.session_key)
        return result.replies

    async def _event(self, uow: UnitOfWork, message: IncomingMessage, now: dt.datetime
                     ) -> list[Reply]:
        """Platform events: a new follower is greeted; one who leaves is forgotten."""
        assert self.tickets is not None
        if message.text == "subscribe":
            greeting = await self.handlers["greeting"](
                self._context(now), self.engine.classify("你好", now.date()))
            return greeting.replies
        if message.text == "unsubscribe":
            await self.tickets.residents.forget(uow, message, now)
        return []

    async def _answer_only(self, message: IncomingMessage, now: dt.datetime) -> list[Reply]:
        """Questions and answers without a database: choices live in the session store."""
        ctx = self._context(now)
        if message.kind == "event":
            if message.text != "subscribe":
                return []
            return (await self.handlers["greeting"](
                ctx, self.engine.classify("你好", ctx.today))).replies
        if message.kind != "text":
            return [Reply(NON_TEXT)]
        session = await self.sessions.get(message.session_key)
        if not message.addressed and session is None:
            return []
        number = picked_number(message.text)
        if number is not None and session is not None and session.live(now):
            if not 1 <= number <= len(session.choices):
                return [Reply(PICK_OUT_OF_RANGE.format(count=len(session.choices)))]
            result = await self._choose(ctx, session.choices[number - 1])
        else:
            result = await self._route(ctx, self.engine.classify(message.text, ctx.today))
        if result.choices:
            expires = now + dt.timedelta(minutes=self.settings.session_minutes)
            await self.sessions.set(message.session_key, Session(result.choices, expires))
        else:
            await self.sessions.delete(message.session_key)
        return result.replies

    async def _route(self, ctx: HandlerContext, c: Classification) -> HandlerResult:
        if c.clarify:
            return await affairs.clarify(ctx, c.candidates,
                                         self.engine.settings.clarify_choices)
        handler = self.handlers.get(c.intent) or self.handlers["fallback"]
        return await handler(ctx, c)

    async def _choose(self, ctx: HandlerContext, choice: Choice) -> HandlerResult:
        if choice.action == "item":
            return await affairs.answer_item(ctx, choice.ref)
        if choice.action == "faq":
            return await faq.answer_faq(ctx, choice.ref)
        if choice.action == "menu":
            date, meal, point = menu.follow_up_choice(choice.ref)
            return await menu.menu_for(ctx, date, meal, point)
        return await affairs.item_detail(ctx, choice.ref, choice.action)


def _session(state: dict[str, Any]) -> Session:
    return Session(tuple(Choice(**c) for c in state.get("choices", [])),
                   dt.datetime.fromisoformat(state["expires"]))


def _processed_key(message: IncomingMessage) -> str | None:
    return f"{message.platform}:{message.message_id}" if message.message_id else None


def encode_replies(replies: list[Reply]) -> str:
    """Replies as stored with a processed message, to answer a redelivery the same way."""
    return json.dumps([asdict(r) for r in replies], ensure_ascii=False)


def decode_replies(stored: str) -> list[Reply]:
    """The replies stored by `encode_replies` (or, from older records, texts joined by \\x1e)."""
    if not stored.startswith("["):
        return [Reply(text) for text in stored.split("\x1e")]
    return [Reply(r["text"], tuple(r.get("choices", ())), tuple(r.get("actions", ())),
                  bool(r.get("private", False))) for r in json.loads(stored)]
