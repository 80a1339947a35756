"""Building leaders and staff working tickets from chat, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from bot.db.database import Database
from bot.kb.model import Knowledge
from intents.engine import IntentEngine
from tests.db.station import Station

RESIDENT = "zhang"
LEADER = "leader:李琳"      # leads 9号楼
OTHER = "leader:周国平"     # leads 12号楼


async def reported(knowledge: Knowledge, engine: IntentEngine,
                   database: Database) -> Station:
    s = Station(knowledge, engine, database)
    assert "R0001" in await s.say(RESIDENT, "9号楼3楼楼道灯坏了")
    return s


async def test_claim_progress_done_and_the_resident_confirms(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await reported(knowledge, engine, database)
    assert "R0001" in await s.say(LEADER, "我的工单")
    assert "已接单" in await s.say(LEADER, "接单 R0001")
    assert "已记录" in await s.say(LEADER, "进度 R0001 明天上午来换灯泡")
    assert "完成" in await s.say(LEADER, "/done r0001 换了新灯泡")
    told = await s.sent_to(await s.resident(RESIDENT))
    assert [t.split("：")[0] for t in told] == ["您的照明 R0001，楼栋长李琳已接单，会尽快处理。",
                                                "R0001 进展", "R0001 已处理"]
    assert "回复1确认" in told[-1]
    assert "已完成" in await s.say(RESIDENT, "1")
    [ticket] = await s.tickets()
    assert ticket.state == "closed"
    assert "您现在没有待办工单" in await s.say(LEADER, "待办")


async def test_not_fixed_reopens_to_the_same_leader(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await reported(knowledge, engine, database)
    await s.say(LEADER, "接单 R0001")
    await s.say(LEADER, "完成 R0001")
    assert "重新交给" in await s.say(RESIDENT, "2")
    [ticket] = await s.tickets()
    assert (ticket.state, ticket.assignee) == ("reopened", "李琳")
    assert any("还没修好" in t for t in await s.sent_to(LEADER))


async def test_a_leader_cannot_touch_another_buildings_ticket(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await reported(knowledge, engine, database)
    assert "不是您负责的楼栋" in await s.say(OTHER, "接单 R0001")
    assert "不是您负责的楼栋" in await s.say(OTHER, "完成 R0001 好了")
    [ticket] = await s.tickets()
    assert ticket.state == "new"
    assert "没有找到" in await s.say(LEADER, "接单 R9999")


async def test_transfer_reply_and_return_to_duty(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await reported(knowledge, engine, database)
    assert "转交给周国平" in await s.say(LEADER, "转交 R0001 12号楼")
    assert any("R0001 转交给您" in t for t in await s.sent_to(OTHER))
    assert "已把您的话转告" in await s.say(OTHER, "回复 R0001 请问是哪个单元？")
    assert any("楼栋长周国平说" in t for t in await s.sent_to(await s.resident(RESIDENT)))
    assert "退回驿站值班" in await s.say(OTHER, "退回 R0001 不是我们楼的")
    [ticket] = await s.tickets()
    assert (ticket.state, ticket.assignee) == ("new", None)
    assert "R0001" in await s.say("staff:王主任", "我的工单")  # staff see the duty queue


async def test_two_claims_at_once_exactly_one_wins(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await reported(knowledge, engine, database)
    [before] = await s.tickets()
    replies = await asyncio.gather(s.say(LEADER, "接单 R0001"),
                                   s.say("staff:王建华", "接单 R0001"))
    assert sum("已接单" in r for r in replies) >= 1
    [ticket] = await s.tickets()
    assert ticket.state == "claimed" and ticket.assignee in ("李琳", "王建华")
    # exactly one update won; the other was refused or found it already claimed
    assert ticket.version == before.version + 1


async def test_a_fulfilled_wish_keeps_the_residents_thanks_for_staff(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    await s.say(RESIDENT, "我住9号楼")
    await s.say(RESIDENT, "我想学用智能手机")
    assert "W0001" in await s.say(RESIDENT, "2")
    assert "已标记 W0001 已实现" in await s.say(LEADER, "实现 W0001 志愿者小王周六上门教")
    assert any("感谢的话" in t for t in await s.sent_to(await s.resident(RESIDENT)))
    assert "转达" in await s.say(RESIDENT, "谢谢小王，教得很耐心")
    assert "教得很耐心" in await s.say("staff:王主任", "感谢留言")


async def test_a_resident_links_a_second_platform_with_a_one_time_code(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    from bot.messages import IncomingMessage

    s = Station(knowledge, engine, database)
    await s.say(RESIDENT, "9号楼3楼楼道灯坏了")
    reply = await s.say(RESIDENT, "绑定账号")
    code = next(word for word in reply.replace("“", " ").replace("”", " ").split()
                if word.isdigit() and len(word) == 6)
    wrong = await s.dialogue.handle(IncomingMessage("telegram", "42", "绑定 000000"))
    assert "不对或已过期" in wrong[0].text
    linked = await s.dialogue.handle(IncomingMessage("telegram", "42", f"绑定 {code}"))
    assert "已关联" in linked[0].text
    mine = await s.dialogue.handle(IncomingMessage("telegram", "42", "我的报修"))
    assert "R0001" in mine[0].text
    again = await s.dialogue.handle(IncomingMessage("telegram", "42", f"绑定 {code}"))
    assert "不对或已过期" in again[0].text  # one-time


async def test_staff_merge_two_tickets_and_the_reporter_follows_the_survivor(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = await reported(knowledge, engine, database)           # R0001 lighting, 9号楼
    assert "R0002" in await s.say("wang", "9号楼单元门锁坏了")  # another neighbour
    assert "合并到 R0001" in await s.say(LEADER, "合并 R0002 R0001")
    first, second = await s.tickets()
    assert (second.state, second.merged_into_id) == ("merged", first.id)
    assert any("已合并" in t for t in await s.sent_to(await s.resident("wang")))
    assert "不能把 R0001 合并到它自己" in await s.say(LEADER, "合并 R0001 R0001")
    await s.say(LEADER, "接单 R0001")
    await s.say(LEADER, "完成 R0001 修好了")
    assert any("R0001 已处理" in t for t in await s.sent_to(await s.resident("wang")))


async def test_a_registered_volunteer_takes_wishes_but_not_reports(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    volunteer = next(p.name for p in knowledge.roster.people if p.role == "volunteer"
                     and p.name not in {b.backup for b in knowledge.roster.buildings
                                        if b.name in ("9号楼", "12号楼")})
    s = await reported(knowledge, engine, database)           # R0001, a report in 9号楼
    await s.say("c", "我住12号楼")
    await s.say("c", "想找人陪我去医院复查")
    await s.say("c", "2")                                      # W0002, not anonymous
    queue = await s.say(f"volunteer:{volunteer}", "我的工单")
    assert "W0002" in queue and "R0001" not in queue
    assert "不是您负责" in await s.say(f"volunteer:{volunteer}", "接单 R0001")
    assert "已接单" in await s.say(f"volunteer:{volunteer}", "接单 W0002")
    assert any(f"志愿者{volunteer}" in t for t in await s.sent_to(await s.resident("c")))
