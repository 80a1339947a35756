"""Groups, phone numbers, platform events and state shared between workers."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.database import Database
from bot.db.models import Identity, Resident
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import IncomingMessage, Reply
from intents.engine import IntentEngine
from tests.db.station import Station

LEADER = "leader:李琳"


def in_group(user: str, text: str, addressed: bool = True, message_id: str | None = None
             ) -> IncomingMessage:
    return IncomingMessage("telegram", user, text, chat_id="-100", addressed=addressed,
                           message_id=message_id)


async def test_in_a_group_the_ticket_code_is_public_and_the_details_private(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    replies = await s.dialogue.handle(in_group("42", "9号楼3楼楼道灯坏了"))
    public = [r for r in replies if not r.private]
    private = [r for r in replies if r.private]
    assert len(public) == 1 and "R0001" in public[0].text and "3楼" not in public[0].text
    assert private and "3楼" in private[0].text
    bound = await s.dialogue.handle(in_group("43", "我住9号楼2单元301"))
    assert "301" not in " ".join(r.text for r in bound if not r.private)
    assert any("301" in r.text for r in bound if r.private)


async def test_group_talk_not_meant_for_the_bot_is_ignored_unless_a_flow_is_on(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    assert await s.dialogue.handle(in_group("42", "今天天气不错", addressed=False)) == []
    asked = await s.dialogue.handle(in_group("42", "楼道灯坏了"))
    assert "几号楼" in asked[0].text
    # the same person answers without mentioning the bot: the flow goes on
    done = await s.dialogue.handle(in_group("42", "9号楼", addressed=False))
    assert any("R0001" in r.text for r in done)
    # another neighbour's chatter in the same group is still ignored
    assert await s.dialogue.handle(in_group("77", "9号楼", addressed=False)) == []


async def test_leaders_see_a_masked_phone_until_they_open_the_ticket(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    await s.say("zhang", "9号楼楼道灯坏了，电话13812345678")
    [notice] = await s.sent_to(LEADER)
    assert "13812345678" not in notice and "*******5678" in notice
    opened = await s.say(LEADER, "查看 R0001")
    assert "13812345678" in opened and "楼道灯坏了" in opened
    assert "不是您负责" in await s.say("leader:周国平", "查看 R0001")


async def test_unsubscribing_forgets_the_person_but_keeps_the_ticket(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    await s.say("zhang", "我住9号楼2单元301")
    await s.say("zhang", "9号楼楼道灯坏了")
    left = await s.dialogue.handle(IncomingMessage("console", "zhang", "unsubscribe",
                                                   kind="event"))
    assert left == []
    [ticket] = await s.tickets()
    assert ticket.resident_id is None and ticket.state == "new"
    async with UnitOfWork(database.sessions) as uow:
        assert (await uow.session.execute(select(Identity))).first() is None
        [person] = (await uow.session.execute(select(Resident))).scalars().all()
        # emptied, not deleted: the id is never given to somebody else
        assert (person.name, person.building, person.room, person.phone) == ("", None, None,
                                                                             None)
        assert person.anonymised_at is not None
    assert "R0001" in await s.say(LEADER, "查看 R0001")  # the leader still has the work


async def test_a_new_follower_is_greeted(knowledge: Knowledge, engine: IntentEngine,
                                         database: Database) -> None:
    s = Station(knowledge, engine, database)
    [hello] = await s.dialogue.handle(IncomingMessage("wechat_mp", "o1", "subscribe",
                                                      kind="event"))
    assert hello.text


async def test_a_wish_without_words_asks_what_the_wish_is(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    await s.say("zhang", "我住9号楼")
    assert "心愿" in await s.say("zhang", "微心愿")
    assert "匿名" in await s.say("zhang", "想学用智能手机")
    assert "W0001" in await s.say("zhang", "2")
    [wish] = await s.tickets()
    assert wish.description == "想学用智能手机"


async def test_numbered_choices_live_in_the_database_for_every_worker(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    first, second = Station(knowledge, engine, database), Station(knowledge, engine, database)
    offered = await first.say("zhang", "补贴")
    assert "1." in offered
    picked = await second.say("zhang", "1")  # the next message lands on another worker
    assert picked and "回复 1 到" not in picked and picked != offered


async def test_a_redelivered_message_gets_its_first_replies_with_their_flags(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    message = in_group("42", "9号楼楼道灯坏了", message_id="u-1")
    first = await s.dialogue.handle(message)
    again = await s.dialogue.handle(message)
    assert again == first and any(isinstance(r, Reply) and r.private for r in again)
    assert len(await s.tickets()) == 1


async def test_a_resolved_report_and_staff_notices_reach_the_building_group(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database, notice_groups=("9号楼", "梅园小区"))
    await s.say("zhang", "9号楼3楼楼道灯坏了，电话13812345678")
    await s.say(LEADER, "完成 R0001 换了灯泡")
    [notice] = await s.sent_to("group:9号楼")
    assert "R0001" in notice and "已处理" in notice and "1381234" not in notice
    assert "只有驿站工作人员可以用" in await s.say(LEADER, "广播 明天停水")
    assert "只有驿站工作人员可以用" in await s.say(LEADER, "发送失败")
    assert "2 个楼栋群" in await s.say("staff:王主任", "广播 明天上午9点到12点停水")
    assert any("停水" in t for t in await s.sent_to("group:梅园小区"))


async def test_staff_see_notifications_that_could_not_be_delivered(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    from sqlalchemy import update

    from bot.db.models import OutboxMessage

    s = Station(knowledge, engine, database)
    assert "没有发送失败" in await s.say("staff:王主任", "发送失败")
    await s.say("zhang", "9号楼楼道灯坏了")
    async with UnitOfWork(database.sessions) as uow:
        await uow.session.execute(update(OutboxMessage).values(
            state="failed", last_error="no configured channel reaches leader:李琳"))
        await uow.commit()
    listed = await s.say("staff:王主任", "发送失败")
    assert "leader:李琳" in listed and "no configured channel" in listed



async def test_a_leaders_commands_in_a_group_are_answered_privately(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    await s.say("zhang", "我住9号楼2单元301")
    await s.say("zhang", "9号楼楼道灯坏了，电话13812345678")
    replies = await s.dialogue.handle(IncomingMessage("console", LEADER, "查看 R0001",
                                                      chat_id="-100"))
    public = " ".join(r.text for r in replies if not r.private)
    assert "13812345678" not in public and "301" not in public
    assert any("13812345678" in r.text for r in replies if r.private)


async def test_a_number_picks_from_a_list_even_while_a_repair_awaits_confirmation(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    await s.say("zhang", "9号楼楼道灯坏了")
    await s.say(LEADER, "完成 R0001 换了灯泡")
    offered = await s.say("zhang", "补贴")
    assert "1." in offered
    picked = await s.say("zhang", "2")
    assert "重新" not in picked and "谢谢确认" not in picked
    [ticket] = await s.tickets()
    assert ticket.state == "resolved"
    assert "已完成" in await s.say("zhang", "修好了")  # the words still confirm


async def test_photos_in_a_group_not_meant_for_the_bot_are_ignored(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    await s.dialogue.handle(in_group("42", "9号楼楼道灯坏了"))
    photo = IncomingMessage("telegram", "42", "file-1", kind="image", chat_id="-100",
                            addressed=False)
    assert await s.dialogue.handle(photo) == []
    stranger = IncomingMessage("telegram", "77", "file-2", kind="image", chat_id="-100",
                               addressed=False)
    assert await s.dialogue.handle(stranger) == []


async def test_unsubscribing_drops_notifications_still_waiting_for_the_person(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    await s.say("zhang", "9号楼楼道灯坏了")
    me = await s.resident("zhang")
    await s.say(LEADER, "进度 R0001 明天换灯")
    assert await s.sent_to(me)
    await s.dialogue.handle(IncomingMessage("console", "zhang", "unsubscribe", kind="event"))
    assert await s.sent_to(me) == []
    await s.say("stranger", "9号楼电梯坏了")
    assert await s.resident("stranger") != me


async def test_linking_two_accounts_that_follow_the_same_ticket(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    await s.say("a", "9号楼电梯坏了")
    await s.say("b", "9号楼的电梯又坏了")
    await s.say("b2", "9号楼电梯也坏了")
    code = (await s.say("b", "绑定账号")).split("绑定码 ")[1][:6]
    assert "已关联" in await s.say("b2", f"绑定 {code}")


async def test_a_new_report_is_not_taken_for_the_answer_a_leader_waits_for(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    await s.say("zhang", "9号楼楼道灯坏了")
    await s.say(LEADER, "回复 R0001 是哪个单元？")
    assert "R0002" in await s.say("zhang", "9号楼电梯坏了")
    assert "已转告" in await s.say("zhang", "2单元")


async def test_two_repairs_awaiting_confirmation_are_each_answered(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    await s.say("zhang", "9号楼楼道灯坏了")
    await s.say("zhang", "9号楼下水道堵了")
    await s.say(LEADER, "完成 R0001 换了灯泡")
    await s.say(LEADER, "完成 R0002 通好了")
    assert "R0002" in await s.say("zhang", "2")      # the newest question first
    assert "R0001" in await s.say("zhang", "1")      # the older one is still open
    first, second = await s.tickets()
    assert (first.state, second.state) == ("closed", "reopened")
