"""A station over a test database (SQLite or PostgreSQL): people talk through the production
path; the tests look at what the database holds."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.bootstrap import Assistant, bootstrap
from bot.config import load_settings
from bot.db.database import Database
from bot.db.models import OutboxMessage, Ticket
from bot.db.unit_of_work import UnitOfWork
from bot.dialogue import Dialogue
from bot.kb.model import Knowledge
from bot.messages import IncomingMessage, Reply
from intents.engine import IntentEngine

ZONE = ZoneInfo("Asia/Shanghai")


class Station:
    """Residents, leaders and staff talking to one assistant over one database; the clock can
    move. Two Stations on one database are two workers."""

    def __init__(self, knowledge: Knowledge, engine: IntentEngine, database: Database,
                 notice_groups: tuple[str, ...] = ()) -> None:
        self.database = database
        self.now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)
        settings = load_settings(None)
        settings = dataclasses.replace(
            settings, database_url=database.url,
            server=dataclasses.replace(settings.server, notice_groups=notice_groups))
        self.assistant: Assistant = bootstrap(settings, clock=lambda: self.now,
                                              knowledge=knowledge, engine=engine,
                                              database=database, migrate=False)

    @property
    def dialogue(self) -> Dialogue:
        """The dialogue every message goes through."""
        return self.assistant.dialogue

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """One message, as a channel would hand it over."""
        return await self.dialogue.handle(message)

    async def say(self, who: str, text: str) -> str:
        """A console message from `who` (a resident's id, or leader:NAME / staff:NAME)."""
        replies = await self.dialogue.handle(IncomingMessage("console", who, text))
        return "\n".join(r.text for r in replies)

    async def tickets(self) -> list[Ticket]:
        async with UnitOfWork(self.database.sessions) as uow:
            return list((await uow.session.execute(select(Ticket).order_by(Ticket.id)))
                        .scalars())

    async def outbox(self) -> list[str]:
        async with UnitOfWork(self.database.sessions) as uow:
            rows = await uow.session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
            return [m.recipient for m in rows.scalars()]

    async def resident(self, who: str, platform: str = "console") -> str:
        """The outbox recipient name of a resident."""
        async with UnitOfWork(self.database.sessions) as uow:
            found = await uow.residents.by_identity(platform, who)
            assert found is not None
            return f"resident:{found.id}"

    async def sent_to(self, recipient: str) -> list[str]:
        async with UnitOfWork(self.database.sessions) as uow:
            rows = await uow.session.execute(select(OutboxMessage).where(
                OutboxMessage.recipient == recipient).order_by(OutboxMessage.id))
            return [m.text for m in rows.scalars()]

    async def messages_to(self, recipient: str) -> list[OutboxMessage]:
        async with UnitOfWork(self.database.sessions) as uow:
            rows = await uow.session.execute(select(OutboxMessage).where(
                OutboxMessage.recipient == recipient).order_by(OutboxMessage.id))
            return list(rows.scalars())
