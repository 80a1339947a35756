"""Shared fixtures: the real knowledge base, one intent engine per session, and a conversation
harness that drives the dialogue as an adapter would (memory sessions, fixed clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.bootstrap import intent_handlers
from bot.dialogue import Dialogue, DialogueSettings
from bot.kb.loader import load_knowledge
from bot.kb.model import Knowledge
from bot.kb.phrasebook import build_phrasebook
from bot.messages import IncomingMessage, Reply
from bot.sessions import MemorySessionStore
from intents.engine import IntentEngine
from tests.support import KNOWLEDGE_DIR, NOW


class Conversation:
    """One resident talking to the bot: `say` a message, get the reply text back.

    Built from the same pieces as `bot.bootstrap.bootstrap`, with memory sessions and a clock
    fixed at 2026-11-23 10:00 Asia/Shanghai (a Monday).
    """

    def __init__(self, knowledge: Knowledge, engine: IntentEngine,
                 user_id: str = "resident-1", now: dt.datetime = NOW) -> None:
        self.knowledge = knowledge
        self.engine = engine
        self.user_id = user_id
        self.now = now
        self.sessions = MemorySessionStore()
        self.dialogue = Dialogue(knowledge, engine, self.sessions, intent_handlers(),
                                 DialogueSettings(), clock=lambda: self.now)
        self.last: list[Reply] = []

    async def say(self, text: str) -> str:
        """Send one text message; the replies' texts joined by newlines."""
        self.last = await self.dialogue.handle(IncomingMessage("test", self.user_id, text))
        return "\n".join(reply.text for reply in self.last)


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The real knowledge base of the project."""
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def engine(knowledge: Knowledge, tmp_path_factory: pytest.TempPathFactory) -> IntentEngine:
    """The intent engine over the real knowledge base, built once (about a second)."""
    return IntentEngine(build_phrasebook(knowledge), cache_dir=tmp_path_factory.mktemp("jieba"))


@pytest.fixture
def conversation(knowledge: Knowledge, engine: IntentEngine) -> Conversation:
    """A fresh conversation (no pending choices) on the shared engine."""
    return Conversation(knowledge, engine)
