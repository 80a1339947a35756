"""One message in, replies out: numbered choices, classification, and the handler registry."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.kb.model import Knowledge
from bot.messages import IncomingMessage, Reply
from bot.sessions import Choice, Session, SessionStore
from bot.tickets.desk import TicketDesk
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


class Dialogue:
    """Turns an incoming message into replies. One instance per process."""

    def __init__(self, knowledge: Knowledge, engine: IntentEngine, sessions: SessionStore,
                 handlers: Mapping[str, IntentHandler], settings: DialogueSettings,
                 clock: Callable[[], dt.datetime], desk: TicketDesk | None = None,
                 leader_desk: LeaderDesk | None = None) -> None:
        self.desk = desk
        self.leader_desk = leader_desk
        self.knowledge = knowledge
        self.engine = engine
        self.sessions = sessions
        self.handlers = handlers
        self.settings = settings
        self.clock = clock

    def _context(self, now: dt.datetime) -> HandlerContext:
        return HandlerContext(self.knowledge, now.date(), self.settings.max_reply_chars)

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Answer one message."""
        now = self.clock()
        ctx = self._context(now)
        if message.kind == "image" and self.desk is not None:
            return await self.desk.attach_photo(message, now)
        if message.kind != "text":
            return [Reply(NON_TEXT)]
        if self.desk is not None:
            earlier = await self.desk.seen(message)
            if earlier is not None:  # the platform delivered this message again
                return earlier
        if self.leader_desk is not None:
            actor = self.leader_desk.actor(message)
            if actor is not None:
                done = await self.leader_desk.handle(actor, message, now)
                if done is not None:
                    return done
        if self.desk is not None:
            pending = await self.desk.pending(message, now)
            if pending is not None:
                await self.sessions.delete(message.session_key)
                return pending.replies
        session = await self.sessions.get(message.session_key)
        number = picked_number(message.text)
        if number is not None and session is not None and session.live(now):
            if not 1 <= number <= len(session.choices):
                return [Reply(PICK_OUT_OF_RANGE.format(count=len(session.choices)))]
            result = await self._choose(ctx, session.choices[number - 1])
        else:
            classification = self.engine.classify(message.text, ctx.today)
            if self.desk is not None and classification.intent in ("report.new", "wish.new"):
                await self.sessions.delete(message.session_key)
                if classification.intent == "wish.new":
                    return await self.desk.start_wish(message, now)
                return await self.desk.start_report(message, classification.category,
                                                    classification.normalised, now)
            result = await self._route(ctx, classification)
        await self._remember(message.session_key, result, now)
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

    async def _remember(self, key: str, result: HandlerResult, now: dt.datetime) -> None:
        if result.choices:
            expires = now + dt.timedelta(minutes=self.settings.session_minutes)
            await self.sessions.set(key, Session(result.choices, expires))
        else:
            await self.sessions.delete(key)
