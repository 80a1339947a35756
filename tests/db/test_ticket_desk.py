"""Reports and wishes through the dialogue, persisted, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from bot.db.database import Database
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import IncomingMessage
from intents.engine import IntentEngine
from tests.db.station import Station


async def station(knowledge: Knowledge, engine: IntentEngine, database: Database) -> Station:
    return Station(knowledge, engine, database)


async def test_a_complete_report_is_routed_to_the_building_leader(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await station(knowledge, engine, database)
    reply = await s.say("zhang", "9号楼3楼楼道灯坏了")
    assert "R0001" in reply and "李琳" in reply
    [ticket] = await s.tickets()
    assert (ticket.building, ticket.category, ticket.location, ticket.assignee) == (
        "9号楼", "lighting", "3楼楼道", "李琳")
    assert await s.outbox() == ["leader:李琳"]
    assert "R0001" in await s.say("zhang", "我的报修")
    assert "等待楼栋长李琳接单" in await s.say("zhang", "查询 r0001")
    assert "没有找到" in await s.say("wang", "查询 R0001")  # not his ticket


async def test_missing_details_are_asked_for_and_the_flow_survives_a_restart(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await station(knowledge, engine, database)
    assert "几号楼" in await s.say("li", "水管漏水了")
    restarted = await station(knowledge, engine, database)  # another worker, same database
    reply = await restarted.say("li", "十二号楼")
    assert "已登记" in reply
    [ticket] = await s.tickets()
    assert (ticket.building, ticket.category) == ("12号楼", "water_leak")


async def test_cancel_and_expiry(knowledge: Knowledge, engine: IntentEngine,
                                 database: Database) -> None:
    s = await station(knowledge, engine, database)
    assert "不用取消" in await s.say("li", "取消")
    assert "几号楼" in await s.say("li", "水管漏水了")
    assert "已取消" in await s.say("li", "取消")
    assert "几号楼" in await s.say("li", "水管漏水了")
    s.now += dt.timedelta(hours=2)
    assert "自动取消" in await s.say("li", "9号楼")
    assert await s.tickets() == []


async def test_an_emergency_answers_with_safety_first_and_pages_duty_staff(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await station(knowledge, engine, database)
    reply = await s.say("zhao", "9号楼楼道里有很重的煤气味")
    assert reply.startswith("紧急") and "962777" in reply and "R0001" in reply
    recipients = await s.outbox()
    assert recipients[0] == "leader:李琳"
    assert any(r.startswith("staff:") for r in recipients[1:])


async def test_me_too_makes_a_follower_instead_of_a_second_ticket(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await station(knowledge, engine, database)
    await s.say("a", "9号楼电梯坏了")
    reply = await s.say("b", "9号楼的电梯又坏了")
    assert "已有邻居报告" in reply and "R0001" in reply
    assert len(await s.tickets()) == 1
    assert "电梯故障" in await s.say("b", "查询 R0001")  # a follower may look it up


async def test_a_wish_asks_building_and_anonymity_and_remembers_the_building(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await station(knowledge, engine, database)
    assert "记住了" in await s.say("c", "我住12号楼2单元301")
    assert "匿名" in await s.say("c", "我想学用智能手机")
    assert "W0001" in await s.say("c", "1")
    [wish] = await s.tickets()
    assert (wish.kind, wish.building, wish.anonymous, wish.assignee) == (
        "wish", "12号楼", True, "周国平")


async def test_photos_join_the_report_being_made_or_the_one_just_made(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await station(knowledge, engine, database)
    lone = await s.dialogue.handle(IncomingMessage("console", "p", "media-0", kind="image"))
    assert "再说说是什么问题" in lone[0].text
    assert "几号楼" in await s.say("p", "水管漏水了")
    during = await s.dialogue.handle(IncomingMessage("console", "p", "media-1", kind="image"))
    assert "附在这次报修" in during[0].text
    assert "R0001" in await s.say("p", "9号楼")
    after = await s.dialogue.handle(IncomingMessage("console", "p", "media-2", kind="image"))
    assert "已附在 R0001" in after[0].text
    async with UnitOfWork(database.sessions) as uow:
        from bot.db.models import TicketPhoto

        refs = (await uow.session.execute(select(TicketPhoto.ref).order_by(TicketPhoto.id)))
        assert list(refs.scalars()) == ["media-1", "media-2"]


async def test_neighbours_reporting_at_the_same_moment_make_one_ticket(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    """Two workers, two neighbours, one problem at the same moment: one ticket and one
    follower, never two tickets (the "me too" decision is serialised per building and
    category)."""
    first, second = (await station(knowledge, engine, database),
                     await station(knowledge, engine, database))
    buildings = [f"{n}号楼" for n in range(1, 13)]
    for building in buildings:
        await asyncio.gather(first.say(f"a{building}", f"{building}楼道灯坏了"),
                             second.say(f"b{building}", f"{building}楼道灯坏了"))
    tickets = await first.tickets()
    assert sorted(t.building or "" for t in tickets) == sorted(buildings)
    async with UnitOfWork(database.sessions) as uow:
        for ticket in tickets:
            assert len(await uow.tickets.reporters(ticket)) == 2


async def test_a_wish_waiting_for_its_building_is_recalled_as_a_wish(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await station(knowledge, engine, database)
    assert "几号楼" in await s.say("qiu", "我眼睛不好，想寻个人帮我读读报纸")
    reply = await s.say("qiu", "敬老卡怎么办")
    assert "敬老卡" in reply and "微心愿还差楼号" in reply and "报修" not in reply
