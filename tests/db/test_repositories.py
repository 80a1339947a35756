"""The persistence layer, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm.exc import StaleDataError

from bot.conversation.state import (
    Choice,
    ConversationState,
    OpenQuestions,
    PendingChoices,
    ReportDraft,
)
from bot.db.database import Database, upgrade_async
from bot.db.models import Identity, OutboxMessage, Ticket
from bot.db.unit_of_work import UnitOfWork


async def test_migrations_create_every_table_and_run_twice(database: Database) -> None:
    await upgrade_async(database.url)  # already at head: nothing to do, no error
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"residents", "identities", "link_codes", "tickets", "ticket_events",
            "ticket_followers", "ticket_photos", "outbox", "processed_messages",
            "conversations", "alembic_version"} <= tables


async def test_nothing_sticks_without_commit(uow: UnitOfWork) -> None:
    async with uow:
        await uow.residents.get_or_create("console", "a")
    async with uow:
        assert await uow.residents.by_identity("console", "a") is None
        await uow.residents.get_or_create("console", "a")
        await uow.commit()
    async with uow:
        assert await uow.residents.by_identity("console", "a") is not None


async def test_an_error_rolls_the_whole_unit_back(uow: UnitOfWork) -> None:
    with pytest.raises(RuntimeError):
        async with uow:
            await uow.residents.get_or_create("console", "b")
            raise RuntimeError("boom")
    async with uow:
        assert await uow.residents.by_identity("console", "b") is None


async def test_a_resident_is_created_once_per_identity(uow: UnitOfWork) -> None:
    async with uow:
        first = await uow.residents.get_or_create("wechat_mp", "openid-1", "张阿姨")
        again = await uow.residents.get_or_create("wechat_mp", "openid-1")
        other = await uow.residents.get_or_create("telegram", "openid-1")
        await uow.commit()
    assert first.id == again.id != other.id
    async with uow:
        count = len((await uow.session.execute(select(Identity))).scalars().all())
    assert count == 2


async def test_ticket_codes_come_from_the_id_and_are_found_again(uow: UnitOfWork) -> None:
    async with uow:
        resident = await uow.residents.get_or_create("console", "c")
        report = await uow.tickets.add(Ticket(kind="report", category="lighting",
                                              building="9号楼", resident_id=resident.id))
        wish = await uow.tickets.add(Ticket(kind="wish", building="9号楼",
                                            resident_id=resident.id))
        await uow.commit()
    assert report.code == f"R{report.id:04d}" and wish.code == f"W{wish.id:04d}"
    async with uow:
        found = await uow.tickets.by_code(report.code.lower())
        assert found is not None and found.id == report.id
        assert await uow.tickets.by_code(f"W{report.id:04d}") is None  # the letter counts
        assert await uow.tickets.by_code("X12") is None
        assert [t.code for t in await uow.tickets.of_resident(resident.id)] == [wish.code,
                                                                                 report.code]


async def test_queue_duplicates_and_followers(uow: UnitOfWork) -> None:
    now = dt.datetime.now(dt.UTC)
    async with uow:
        a = await uow.tickets.add(Ticket(kind="report", category="lighting", building="9号楼",
                                         assignee="李琳"))
        b = await uow.tickets.add(Ticket(kind="report", category="water_leak",
                                         building="9号楼", assignee="李琳"))
        await uow.tickets.add(Ticket(kind="report", category="lighting", building="12号楼"))
        b.state = "resolved"
        resident = await uow.residents.get_or_create("console", "d")
        await uow.commit()
    async with uow:
        assert [t.id for t in await uow.tickets.queue("李琳")] == [a.id]
        assert len(await uow.tickets.queue(None)) == 1
        [same] = await uow.tickets.open_duplicates("9号楼", "lighting",
                                                   now - dt.timedelta(hours=72))
        assert same.id == a.id
        assert await uow.tickets.open_duplicates("9号楼", "water_leak",
                                                 now - dt.timedelta(hours=72)) == []
        assert await uow.tickets.follow(same, resident.id)
        assert not await uow.tickets.follow(same, resident.id)
        uow.tickets.record(same, "resident:1", "follow", platform="console")
        await uow.commit()
    async with uow:
        again = await uow.tickets.by_code(a.code or "")
        assert again is not None
        assert await uow.tickets.followers(again) == [resident.id]
        assert [e.action for e in await uow.tickets.events(again)] == ["follow"]


async def test_two_claims_of_one_ticket_exactly_one_wins(database: Database) -> None:
    setup = UnitOfWork(database.sessions)
    async with setup:
        ticket = await setup.tickets.add(Ticket(kind="report", building="9号楼"))
        await setup.commit()

    async def claim(leader: str) -> bool:
        uow = UnitOfWork(database.sessions)
        async with uow:
            found = await uow.tickets.by_code(ticket.code or "")
            assert found is not None
            await asyncio.sleep(0.05)  # on PostgreSQL both have read it before either writes
            if found.state == "claimed":  # SQLite serialises: the second sees the first claim
                return False
            found.state, found.assignee = "claimed", leader
            try:
                await uow.commit()
            except StaleDataError:
                return False
            return True

    results = await asyncio.gather(claim("李琳"), claim("王芳"), return_exceptions=True)
    assert sorted(r is True for r in results) == [False, True], results


async def test_the_outbox_writes_a_key_once(uow: UnitOfWork) -> None:
    async with uow:
        uow.outbox.add("R0001:created:leader", "leader:李琳", "新工单 R0001")
        await uow.commit()
    async with uow:   # the same key again (a scheduler pass run twice): written once
        uow.outbox.add("R0001:created:leader", "leader:李琳", "新工单 R0001")
        await uow.commit()
    async with uow:
        due = await uow.outbox.due(dt.datetime.now(dt.UTC))
        assert [m.recipient for m in due] == ["leader:李琳"]
        assert await uow.outbox.claim(due[0].id, 0, dt.datetime.now(dt.UTC),
                                      dt.timedelta(minutes=1))
        assert not await uow.outbox.claim(due[0].id, 0, dt.datetime.now(dt.UTC),
                                          dt.timedelta(minutes=1))
        await uow.commit()
    async with uow:
        row = (await uow.session.execute(select(OutboxMessage))).scalar_one()
        assert row.attempts == 1 and await uow.outbox.due(dt.datetime.now(dt.UTC)) == []


async def test_a_processed_message_is_remembered(uow: UnitOfWork) -> None:
    async with uow:
        assert await uow.processed.get("wechat_mp:123") is None
        uow.processed.add("wechat_mp:123", "收到")
        await uow.commit()
    async with uow:
        found = await uow.processed.get("wechat_mp:123")
        assert found is not None and found.reply == "收到"


async def test_the_migrations_build_exactly_the_models_schema(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.db.models import Base

    async with database.engine.connect() as connection:
        diff = await connection.run_sync(lambda sync: compare_metadata(
            MigrationContext.configure(sync), Base.metadata))
    assert diff == []


async def test_a_message_context_is_read_in_one_query(uow: UnitOfWork) -> None:
    now = dt.datetime.now(dt.UTC)
    later = now + dt.timedelta(minutes=30)
    draft = ReportDraft("building", later, "lighting")
    async with uow:
        resident = await uow.residents.get_or_create("console", "ctx")
        report = await uow.tickets.add(Ticket(kind="report", category="lighting",
                                              building="9号楼", resident_id=resident.id,
                                              created_at=now))
        await uow.conversations.save("console:ctx", ConversationState(draft=draft))
        await uow.conversations.save_questions(resident.id, OpenQuestions(("R0007",)), now)
        await uow.conversations.save("console:old", ConversationState(
            PendingChoices((Choice("item", "A001", "x"),), now - dt.timedelta(minutes=1))))
        uow.processed.add("console:m1", "[]")
        await uow.commit()
    async with uow:
        ctx = await uow.conversations.context("console", "ctx", "console:ctx", "console:m1", now)
        assert ctx.resident is not None and ctx.resident.id == resident.id
        assert (ctx.state.draft, ctx.questions.confirm, ctx.earlier_reply, ctx.waiting) == (
            draft, ("R0007",), "[]", None)
        assert ctx.open_report is not None and ctx.open_report.id == report.id
        assert (ctx.open_report.category, ctx.open_report.building) == ("lighting", "9号楼")
        stranger = await uow.conversations.context("console", "old", "console:old", None, now)
        assert stranger.resident is None and stranger.state.choices is None  # expired
        assert stranger.open_report is None
        assert not uow.has_changes
