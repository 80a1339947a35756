"""Conversations through the dialogue, as a resident has them: say something, read the reply."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.kb.model import Knowledge
from intents.commands import read_pick
from intents.engine import IntentEngine
from tests.conftest import Conversation, Station

MAX_REPLY = 400
MARKDOWN = ("**", "##", "```")


def assert_plain(reply: str) -> None:
    """Every reply: not empty, short enough for a phone screen, no markdown."""
    assert reply.strip()
    assert len(reply) <= MAX_REPLY, f"{len(reply)} characters: {reply}"
    for mark in MARKDOWN:
        assert mark not in reply, reply


def numbered_choices(reply: str) -> list[str]:
    """The labels of "1. …" lines of a clarification."""
    return re.findall(r"^\d+\. (.+)$", reply, flags=re.MULTILINE)


async def test_greeting(conversation: Conversation, knowledge: Knowledge) -> None:
    reply = await conversation.say("你好")
    assert_plain(reply)
    assert "您好" in reply
    assert knowledge.station.name in reply
    assert knowledge.station.duty_phone in reply


async def test_affairs_question_answered_directly(conversation: Conversation,
                                                  knowledge: Knowledge) -> None:
    reply = await conversation.say("居住证续签")
    assert_plain(reply)
    item = knowledge.item("A129")
    assert item is not None
    assert item.name in reply
    window = knowledge.station.window_for(item.category)
    assert window is not None
    assert "当场办结" in reply or window.name in reply
    assert "回复 1" in reply
    assert item.hotline in reply


async def test_reply_1_shows_the_materials(conversation: Conversation,
                                           knowledge: Knowledge) -> None:
    await conversation.say("居住证续签")
    reply = await conversation.say("1")
    assert_plain(reply)
    assert "所需材料" in reply
    assert "原件" in reply or "复印件" in reply
    item = knowledge.item("A129")
    assert item is not None
    assert item.materials[0] in reply
    assert "回复 1" in reply            # the other follow-ups are still offered


async def test_follow_ups_keep_their_numbers(conversation: Conversation) -> None:
    await conversation.say("居住证续签")
    assert "】所需材料：" in await conversation.say("1")
    steps = await conversation.say("2")           # 2 is still 看办理流程
    assert "】办理流程：" in steps and "回复 1 看所需材料，2 看办理流程，3 看谁能办" in steps
    assert "】谁能办：" in await conversation.say("3")
    assert "】所需材料：" in await conversation.say("1")


async def test_the_whole_list_of_materials_is_given(knowledge: Knowledge,
                                                    conversation: Conversation) -> None:
    longest = max(knowledge.items, key=lambda i: sum(len(m) for m in i.materials))
    said = await conversation.say(longest.name)
    assert all(m in said for m in longest.materials)
    assert "等" + str(len(longest.materials)) + "样" not in said


async def test_follow_up_choices_travel_with_the_reply(conversation: Conversation) -> None:
    await conversation.say("居住证续签")
    assert conversation.last[0].choices == ("看所需材料", "看办理流程", "看谁能办")


@pytest.mark.parametrize("question", ["社保卡", "残疾证"])
async def test_vague_question_offers_numbered_choices(conversation: Conversation,
                                                      knowledge: Knowledge,
                                                      engine: IntentEngine,
                                                      question: str) -> None:
    reply = await conversation.say(question)
    assert_plain(reply)
    assert "您想问的是" in reply
    choices = numbered_choices(reply)
    assert len(choices) >= 2
    expected = engine.classify(question, dt.date(2026, 11, 23)).candidates
    assert choices == [c.label for c in expected[:len(choices)]]

    picked = await conversation.say("2")
    assert_plain(picked)
    second = expected[1]
    item = knowledge.item(second.item)
    assert item is not None
    assert f"【{item.name}】" in picked


async def test_chinese_and_full_width_numbers_pick_too(conversation: Conversation) -> None:
    first = await conversation.say("社保卡")
    choices = numbered_choices(first)
    assert f"【{choices[1]}】" in await conversation.say("２")
    await conversation.say("社保卡")
    assert f"【{choices[2]}】" in await conversation.say("第三个")


@pytest.mark.parametrize("number", ["9", "0", "4"])
async def test_out_of_range_number(conversation: Conversation, number: str) -> None:
    await conversation.say("社保卡")
    reply = await conversation.say(number)
    assert "请回复 1 到" in reply
    # the choices are still there afterwards
    assert "【" in await conversation.say("1")


@pytest.mark.parametrize("number", ["1", "2", "9", "第2个"])
async def test_a_bare_number_without_pending_choices_is_a_question(
        conversation: Conversation, number: str) -> None:
    reply = await conversation.say(number)
    assert_plain(reply)
    assert "请回复 1 到" not in reply


async def test_choices_expire(station: Station, conversation: Conversation) -> None:
    await conversation.say("社保卡")
    station.advance(hours=2)
    reply = await conversation.say("2")
    assert "【" not in reply
    assert_plain(reply)


async def test_a_new_question_replaces_pending_choices(conversation: Conversation) -> None:
    await conversation.say("社保卡")
    await conversation.say("你好")          # no choices: the pending ones are forgotten
    reply = await conversation.say("2")
    assert "【" not in reply


async def test_each_resident_has_own_choices(station: Station) -> None:
    alice, bob = station.person("alice"), station.person("bob")
    await alice.say("社保卡")
    assert "【" not in await bob.say("2")
    assert "【" in await alice.say("2")


async def test_non_text_messages(conversation: Conversation) -> None:
    await conversation.say("", kind="voice")
    assert len(conversation.last) == 1
    assert "文字" in conversation.last[0].text
    assert "照片" in await conversation.say("media-1", kind="image")


# -- the canteen ------------------------------------------------------------------------------

async def test_menu_tomorrow_lunch(conversation: Conversation) -> None:
    reply = await conversation.say("明天中午吃什么")
    assert_plain(reply)
    for expected in ("11月24日", "周二", "套餐A", "套餐B", "11元"):
        assert expected in reply


async def test_menu_lists_the_dishes_of_the_day(conversation: Conversation,
                                                knowledge: Knowledge) -> None:
    reply = await conversation.say("明天中午吃什么")
    day = knowledge.canteen.menu[dt.date(2026, 11, 24)]
    for dish in day.set_a + day.set_b:
        assert dish in reply


async def test_menu_next_monday_breakfast(conversation: Conversation,
                                          knowledge: Knowledge) -> None:
    reply = await conversation.say("下周一早饭吃什么")
    assert_plain(reply)
    assert "11月30日" in reply
    assert "周一" in reply
    assert "早餐" in reply
    for dish in knowledge.canteen.menu[dt.date(2026, 11, 30)].breakfast:
        assert dish in reply
    assert f"{knowledge.canteen.prices.breakfast}元" in reply


async def test_menu_follow_up_shows_another_meal(conversation: Conversation,
                                                 knowledge: Knowledge) -> None:
    await conversation.say("明天中午吃什么")
    reply = await conversation.say("2")                   # 回复 1 看早餐，2 看晚餐
    assert "晚餐" in reply
    assert knowledge.canteen.menu[dt.date(2026, 11, 24)].dinner[0] in reply


@pytest.mark.parametrize("question", ["2027年1月5号中午吃什么", "1月20号吃什么"])
async def test_menu_outside_the_calendar(conversation: Conversation, question: str) -> None:
    reply = await conversation.say(question)
    assert_plain(reply)
    assert "还没有" in reply
    assert "菜单" in reply
    assert "11月16日" in reply and "12月27日" in reply


async def test_meal_point_without_that_meal(conversation: Conversation) -> None:
    reply = await conversation.say("梅园助餐点明天晚饭吃什么")
    assert_plain(reply)
    assert "不供应晚餐" in reply


async def test_meal_point_closed_at_the_weekend(conversation: Conversation) -> None:
    reply = await conversation.say("梅园助餐点周六中午吃什么")
    assert_plain(reply)
    assert "不开" in reply


async def test_canteen_hours(conversation: Conversation, knowledge: Knowledge) -> None:
    reply = await conversation.say("食堂几点开门")
    assert_plain(reply)
    canteen = knowledge.canteen.point("canteen")
    assert canteen is not None
    assert canteen.hours["lunch"] in reply


async def test_canteen_prices(conversation: Conversation, knowledge: Knowledge) -> None:
    reply = await conversation.say("午饭多少钱")
    assert_plain(reply)
    prices = knowledge.canteen.prices
    assert f"套餐A {prices.set_a}元" in reply
    assert f"早餐 {prices.breakfast}元" in reply


async def test_meal_delivery(conversation: Conversation, knowledge: Knowledge) -> None:
    reply = await conversation.say("送餐怎么订")
    assert_plain(reply)
    assert "送餐" in reply
    assert knowledge.station.phone in reply       # {phone} is filled in from station.toml
    assert "{phone}" not in reply


# -- the station, reports, wishes, people ---------------------------------------------------

async def test_faq_opening_hours_come_from_station_toml(conversation: Conversation,
                                                        knowledge: Knowledge) -> None:
    reply = await conversation.say("驿站几点开门")
    assert_plain(reply)
    assert knowledge.station.hours in reply
    assert "{" not in reply


async def test_handoff(conversation: Conversation, knowledge: Knowledge) -> None:
    reply = await conversation.say("转人工")
    assert_plain(reply)
    assert knowledge.station.duty_phone in reply
    assert "C0001" in reply


async def test_emergency_report_gives_safety_first(conversation: Conversation,
                                                   knowledge: Knowledge) -> None:
    reply = await conversation.say("家里有煤气味")
    assert_plain(reply)
    assert reply.startswith("紧急")
    assert "962777" in conversation.last[0].text
    assert "几号楼" in reply                  # nobody knows where yet: asked at once


async def test_ordinary_report(conversation: Conversation) -> None:
    assert "几号楼" in await conversation.say("楼道灯坏了")
    reply = await conversation.say("9号楼")
    assert_plain(reply)
    assert "R0001" in reply and "照明" in reply and "9号楼" in reply


async def test_wish(conversation: Conversation) -> None:
    reply = await conversation.say("我想学用智能手机")
    assert_plain(reply)
    assert "心愿" in reply and "几号楼" in reply


async def test_out_of_scope(conversation: Conversation) -> None:
    reply = await conversation.say("股票怎么买")
    assert_plain(reply)
    assert "答不上来" in reply


# -- bad input ------------------------------------------------------------------------------

BAD_INPUT = ["", "   ", "😀😀", "\x00\x07abc", "hello how are you", "what is this",
             "啊" * 5000, "社保卡" * 1700, "?" * 300, "\n\n\n", "１２３４５６",
             "<script>alert(1)</script>", "敬老卡\u200b怎么办", "\ufeff你好"]


@pytest.mark.parametrize("text", BAD_INPUT)
async def test_bad_input_gets_a_plain_reply(conversation: Conversation, text: str) -> None:
    assert_plain(await conversation.say(text))


async def test_empty_message(conversation: Conversation) -> None:
    assert "没有打字" in await conversation.say("")


async def test_a_very_long_message(conversation: Conversation) -> None:
    reply = await conversation.say("我想问一下" + "啊" * 5000)
    assert_plain(reply)


async def test_english(conversation: Conversation) -> None:
    hello = await conversation.say("hello how are you")
    assert "您好" in hello or "中文" in hello
    assert "中文" in await conversation.say("what is this")


# -- every reply, everywhere ----------------------------------------------------------------

SCRIPT = ["你好", "居住证续签", "1", "2", "社保卡", "3", "低保", "1", "明天中午吃什么", "1",
          "食堂几点开门", "午饭多少钱", "送餐怎么订", "驿站几点开门", "驿站在哪里", "转人工",
          "楼道灯坏了", "煤气味", "水管漏水", "我想学用智能手机", "股票怎么买", "残疾证补办", "1",
          "敬老卡丢了", "2", "养老顾问", "托老所", "周末开门吗"]


async def test_every_reply_is_short_and_plain(conversation: Conversation) -> None:
    for text in SCRIPT:
        assert_plain(await conversation.say(text))


async def test_every_item_answer_is_short_and_plain(knowledge: Knowledge,
                                                    engine: IntentEngine) -> None:
    """The summary and the three details of every one of the 188 items fit the limit."""
    from handlers.affairs import answer_item, item_detail
    from handlers.context import HandlerContext

    ctx = HandlerContext(knowledge, dt.date(2026, 11, 23))
    for item in knowledge.items:
        summary = await answer_item(ctx, item.id)
        assert_plain(summary.reply.text)
        assert item.name in summary.reply.text
        for part in ("materials", "steps", "eligible"):
            assert_plain((await item_detail(ctx, item.id, part)).reply.text)


async def test_every_faq_answer_is_filled_in(knowledge: Knowledge) -> None:
    from handlers.context import HandlerContext
    from handlers.faq import answer_faq

    ctx = HandlerContext(knowledge, dt.date(2026, 11, 23))
    for entry in knowledge.faq:
        text = (await answer_faq(ctx, entry.id)).reply.text
        assert_plain(text)
        assert "{" not in text and "}" not in text, entry.id


@pytest.mark.parametrize(("text", "number"), [
    ("1", 1), ("２", 2), ("第3个", 3), ("三", 3), (" 2 ", 2), ("2。", 2), ("第二项", 2),
    ("12", None), ("2号楼", None), ("敬老卡", None), ("", None),
])
def test_picked_number(text: str, number: int | None) -> None:
    assert read_pick(text) == number


async def test_the_official_account_menu_labels_are_understood(conversation: Conversation
                                                               ) -> None:
    """The 服务号 menu sends these words when a resident taps a button."""
    assert "188项" in await conversation.say("办事指南")
    assert "套餐" in await conversation.say("今日菜单")
    assert "什么问题" in await conversation.say("我要报修")
    await conversation.say("取消")
    assert "心愿" in await conversation.say("微心愿")
