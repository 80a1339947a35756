"""One message in, replies out. The one path every message takes: the server's channels, the
console, `yizhan ask` and the tests all call `Dialogue.handle`.

Each message is one unit of work: the sender's state is read in one query, the message becomes
a Turn, the route table picks its handler, and everything it changes (tickets, audit events,
notifications, the conversation's state, the record that this platform message was handled) is
committed together at the end, or not at all."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass

from bot.consultations import ConsultationTally
from bot.conversation.state import AppointmentDraft, OrderDraft, ReportDraft, SignupDraft
from bot.db.errors import ConcurrentChange
from bot.db.unit_of_work import UnitOfWork
from bot.messages import IncomingMessage, Reply
from bot.tickets import texts as ticket_texts
from bot.tickets.people import StationPeople
from bot.turn import Outcome, Turn
from intents.engine import AFFAIRS, FAQ, INTENTS, IntentEngine

ATTEMPTS = 3   # a message met by a concurrent change is read and handled again


@dataclass(frozen=True)
class BoundRoute:
    """A route of the table with its handler's dependencies injected."""

    name: str
    when: Callable[[Turn], bool]
    handle: Callable[[Turn, UnitOfWork], Awaitable[Outcome]]
    recalls_draft: bool = False


class Dialogue:
    """Turns an incoming message into replies. One instance per process."""

    def __init__(self, engine: IntentEngine, people: StationPeople, spots: Sequence[str],
                 routes: Sequence[BoundRoute], unit_of_work: Callable[[], UnitOfWork],
                 clock: Callable[[], dt.datetime],
                 observe: Callable[[str, str], None] | None = None,
                 tally: ConsultationTally | None = None) -> None:
        self.engine = engine
        self.people = people
        self.spots = tuple(spots)
        self.routes = tuple(routes)
        self.unit_of_work = unit_of_work
        self.clock = clock
        self._observe = observe or (lambda platform, intent: None)
        self.tally = tally       # questions answered outright, counted for the station

    def adopt(self, other: Dialogue) -> None:
        """Answer from now on as `other` does (the knowledge reloaded): its engine, people,
        places and routes; a message being handled finishes with what it started with."""
        self.engine, self.people, self.spots, self.routes = (
            other.engine, other.people, other.spots, other.routes)

    def metric_labels(self) -> tuple[str, ...]:
        """Every label a message can be counted under (see `_label`), for the metrics to
        show from the start."""
        labels = {route.name for route in self.routes if route.name != "question"}
        labels |= {*INTENTS, "clarify", "redelivered"}
        return tuple(sorted(labels))

    def route_for(self, turn: Turn) -> BoundRoute:
        """The first route whose condition holds (the last one always does)."""
        return next(route for route in self.routes if route.when(turn))

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Answer one message. A change someone else made at the same moment (two claims of
        one ticket, the same message on two workers) is met by reading again and handling the
        message once more: the second claim then hears who has the ticket."""
        for _ in range(ATTEMPTS):
            try:
                return await self._handle_once(message)
            except ConcurrentChange:
                continue
        return [Reply(ticket_texts.CONFLICT)]

    async def _handle_once(self, message: IncomingMessage) -> list[Reply]:
        now = self.clock()
        key = message.processed_key
        # Classified before the transaction opens: on SQLite the transaction holds the write
        # lock, and every other message waits for it (a redelivery classifies for nothing).
        classified = (self.engine.classify(message.text, now.date())
                      if message.kind == "text" else None)
        async with self.unit_of_work() as uow:
            context = await uow.conversations.context(
                message.platform, message.user_id, message.session_key, key, now)
            if context.earlier_reply is not None:  # the platform delivered this message again
                self._observe(message.platform, "redelivered")
                return decode_replies(context.earlier_reply)
            turn = Turn(message, now, context, self.engine, self.people.actor(message),
                        self.spots, classified)
            route = self.route_for(turn)
            outcome = await route.handle(turn, uow)
            replies = self._recall_draft(turn, route, outcome)
            state = outcome.state
            if turn.actor is None and message.kind == "text" and route.name != "unaddressed":
                state = state.with_said(message.text, now)  # handed to staff on 转人工
            if state != context.state or context.state.lapsed is not None:
                await uow.conversations.save(message.session_key, state)
            self._observe(message.platform, self._label(turn, route.name))
            answered = turn.classification if message.kind == "text" else None
            if self.tally is not None and route.name == "question" and turn.actor is None \
                    and answered is not None and answered.item is not None \
                    and answered.intent in (AFFAIRS, FAQ):
                self.tally.count(answered.item, now.date())
            if not uow.has_changes:
                return replies
            if key:
                uow.processed.add(key, encode_replies(replies))
            await uow.commit()
            return replies

    @staticmethod
    def _recall_draft(turn: Turn, route: BoundRoute, outcome: Outcome) -> list[Reply]:
        """After answering something else, one line recalls the report or wish half taken."""
        draft = turn.state.draft
        if (draft is None or not route.recalls_draft or not outcome.replies
                or outcome.state.draft != draft):
            return outcome.replies
        building = draft.building if isinstance(draft, ReportDraft) else ""
        waiting: str = draft.awaiting
        if isinstance(draft, OrderDraft | SignupDraft | AppointmentDraft):
            waiting = type(draft).__name__   # an order, sign-up or appointment half taken
        elif not isinstance(draft, ReportDraft) and waiting == "building":
            waiting = "wish_building"       # a wish waiting for its building, not a 报修
        return [*outcome.replies, Reply(ticket_texts.STILL_WAITING[waiting].format(
            building=building))]

    @staticmethod
    def _label(turn: Turn, route: str) -> str:
        """What the metrics count a message as: its route, or the kind of question."""
        if route != "question":
            return route
        return "clarify" if turn.classification.clarify else turn.classification.intent


def encode_replies(replies: list[Reply]) -> str:
    """Replies as stored with a processed message, to answer a redelivery the same way."""
    return json.dumps([asdict(r) for r in replies], ensure_ascii=False)


def decode_replies(stored: str) -> list[Reply]:
    """The replies stored by `encode_replies` (or, from older records, texts joined by \\x1e)."""
    if not stored.startswith("["):
        return [Reply(text) for text in stored.split("\x1e")]
    return [Reply(r["text"], tuple(r.get("choices", ())), tuple(r.get("actions", ())),
                  bool(r.get("private", False))) for r in json.loads(stored)]
