"""The composition root: configuration in, a ready assistant out. Nothing is built at import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.db.database import Database, upgrade
from bot.db.unit_of_work import UnitOfWork
from bot.dialogue import Dialogue, DialogueSettings, IntentHandler, TicketDesks
from bot.kb.loader import load_knowledge
from bot.kb.model import Knowledge
from bot.kb.phrasebook import build_phrasebook
from bot.sessions import MemorySessionStore, SessionStore
from bot.tickets.desk import TicketDesk
from bot.tickets.leaders import LeaderDesk
from bot.tickets.routing import TicketRouter
from handlers import conversation
from handlers.affairs import answer_item
from handlers.context import HandlerContext, HandlerResult
from handlers.faq import answer_faq
from handlers.menu import answer_menu
from intents.engine import Classification, IntentEngine


async def _affairs(ctx: HandlerContext, c: Classification) -> HandlerResult:
    """An affairs item answered directly."""
    return await answer_item(ctx, c.item or "")


async def _faq(ctx: HandlerContext, c: Classification) -> HandlerResult:
    """A station FAQ answered directly."""
    return await answer_faq(ctx, c.item or "")


def intent_handlers() -> dict[str, IntentHandler]:
    """The explicit registry: every intent and the handler that answers it."""
    return {
        "affairs.ask": _affairs,
        "faq.ask": _faq,
        "menu.ask": answer_menu,
        "report.new": conversation.take_report,
        "wish.new": conversation.take_wish,
        "greeting": conversation.greet,
        "handoff": conversation.hand_off,
        "fallback": conversation.fall_back,
    }


@dataclass(frozen=True)
class Assistant:
    """Everything built from the settings."""

    settings: Settings
    knowledge: Knowledge
    engine: IntentEngine
    dialogue: Dialogue
    database: Database | None = None

    async def close(self) -> None:
        """Release the database connections."""
        if self.database is not None:
            await self.database.dispose()


def build_engine(settings: Settings, knowledge: Knowledge) -> IntentEngine:
    """The intent engine for a knowledge base."""
    return IntentEngine(build_phrasebook(knowledge), settings.engine, settings.cache_dir)


def ticket_desks(knowledge: Knowledge, database: Database, zone: ZoneInfo,
                 notice_groups: tuple[str, ...] = ()) -> TicketDesks:
    """The ticket side of the dialogue over one database."""
    router = TicketRouter(knowledge.roster)
    return TicketDesks(lambda: UnitOfWork(database.sessions),
                       TicketDesk(knowledge, router, zone),
                       LeaderDesk(knowledge, router, zone, notice_groups))


def bootstrap(settings: Settings, sessions: SessionStore | None = None,
              clock: Callable[[], dt.datetime] | None = None, tickets: bool = True,
              observe: Callable[[str, str], None] | None = None) -> Assistant:
    """Load the knowledge, build the engine, migrate the database and wire the dialogue.

    Call it outside a running event loop: a fresh database is created and migrated here.
    """
    knowledge = load_knowledge(settings.knowledge_dir)
    engine = build_engine(settings, knowledge)
    zone = ZoneInfo(settings.chat.timezone)
    database = desks = None
    if tickets:
        upgrade(settings.database_url)
        database = Database(settings.database_url)
        desks = ticket_desks(knowledge, database, zone, settings.server.notice_groups)
    dialogue = Dialogue(
        knowledge, engine, sessions or MemorySessionStore(), intent_handlers(),
        DialogueSettings(settings.chat.session_minutes, settings.chat.max_reply_chars),
        clock or (lambda: dt.datetime.now(zone)), desks, observe,
    )
    return Assistant(settings, knowledge, engine, dialogue, database)
