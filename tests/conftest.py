"""Shared fixtures: the real knowledge base, one intent engine per session, and a station
harness that drives the production path (`bootstrap`, the route table, a real database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import Assistant, bootstrap
from bot.config import load_settings
from bot.db.database import upgrade
from bot.kb.loader import load_knowledge
from bot.kb.model import Knowledge
from bot.kb.phrasebook import build_phrasebook
from bot.messages import IncomingMessage, Reply
from intents.engine import IntentEngine
from tests.support import KNOWLEDGE_DIR, NOW


class Station:
    """The assistant on a fresh database with a clock that moves only when told."""

    def __init__(self, assistant: Assistant, clock: list[dt.datetime]) -> None:
        self.assistant = assistant
        self._clock = clock

    @property
    def now(self) -> dt.datetime:
        """The station's time."""
        return self._clock[0]

    @now.setter
    def now(self, value: dt.datetime) -> None:
        self._clock[0] = value

    def advance(self, **delta: float) -> None:
        """Move the clock on (hours=2, days=1...)."""
        self._clock[0] += dt.timedelta(**delta)

    def person(self, user_id: str = "resident-1", platform: str = "test",
               chat_id: str | None = None) -> Conversation:
        """Someone talking to the station."""
        return Conversation(self.assistant, user_id, platform, chat_id)


class Conversation:
    """One person talking to the bot: `say` a message, get the reply texts back, joined by
    newlines. The same path as the server's channels: `Dialogue.handle`."""

    def __init__(self, assistant: Assistant, user_id: str = "resident-1",
                 platform: str = "test", chat_id: str | None = None) -> None:
        self.assistant = assistant
        self.knowledge = assistant.knowledge
        self.user_id = user_id
        self.platform = platform
        self.chat_id = chat_id
        self.last: list[Reply] = []

    async def say(self, text: str, kind: str = "text") -> str:
        """Send one message; the replies' texts joined by newlines."""
        self.last = await self.assistant.dialogue.handle(IncomingMessage(
            self.platform, self.user_id, text, kind=kind, chat_id=self.chat_id))
        return "\n".join(reply.text for reply in self.last)


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The real knowledge base of the project."""
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def engine(knowledge: Knowledge, tmp_path_factory: pytest.TempPathFactory) -> IntentEngine:
    """The intent engine over the real knowledge base, built once (about a second)."""
    return IntentEngine(build_phrasebook(knowledge), cache_dir=tmp_path_factory.mktemp("jieba"))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the current schema, migrated once and copied per test."""
    path = tmp_path_factory.mktemp("template") / "yizhan.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def new_station(knowledge: Knowledge, engine: IntentEngine, template: Path, folder: Path,
                now: dt.datetime = NOW) -> Station:
    """The whole assistant on a fresh copy of the migrated database, the clock at `now`."""
    path = folder / "station.db"
    shutil.copyfile(template, path)
    settings = dataclasses.replace(load_settings(None),
                                   database_url=f"sqlite+aiosqlite:///{path}")
    clock = [now]
    assistant = bootstrap(settings, clock=lambda: clock[0], knowledge=knowledge, engine=engine,
                          migrate=False)
    return Station(assistant, clock)


@pytest.fixture
async def station(knowledge: Knowledge, engine: IntentEngine, migrated_sqlite: Path,
                  tmp_path: Path) -> AsyncIterator[Station]:
    """The whole assistant on its own fresh SQLite database, the clock at NOW."""
    ready = new_station(knowledge, engine, migrated_sqlite, tmp_path)
    try:
        yield ready
    finally:
        await ready.assistant.close()


@pytest.fixture
def conversation(station: Station) -> Conversation:
    """A resident talking to a fresh station."""
    return station.person()
