"""The intent engine on clear examples. Scores and thresholds are deliberately not asserted:
only intents, slots, rankings and the JSON contract."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.kb.model import Knowledge
from intents.engine import (
    AFFAIRS,
    FALLBACK,
    FAQ,
    GREETING,
    HANDOFF,
    HELLO,
    MENU,
    NUMBER,
    PROMPT,
    REPORT,
    THANKS,
    WISH,
    Classification,
    IntentEngine,
)

TODAY = dt.date(2026, 11, 23)
CONTRACT_KEYS = {"text", "intent", "item", "category", "date", "meal", "meal_point", "clarify",
                 "score", "candidates"}


def classify(engine: IntentEngine, text: str) -> Classification:
    return engine.classify(text, TODAY)


@pytest.mark.parametrize("text", ["你好", "在吗", "您好", "你好啊", "早上好", "hello"])
def test_greeting(engine: IntentEngine, text: str) -> None:
    assert classify(engine, text).intent == GREETING


@pytest.mark.parametrize("text", ["你好 驿站", "小助手你好", "谢谢驿站", "机器人 早上好",
                                  "居委会 晚上好啊"])
def test_a_greeting_or_thanks_addressed_to_the_bot_is_one(engine: IntentEngine,
                                                           text: str) -> None:
    assert classify(engine, text).intent == GREETING


@pytest.mark.parametrize(("text", "intent", "item"), [
    ("你好 驿站几点开门", FAQ, "station.hours"),
    ("小助手你好，敬老卡怎么办", AFFAIRS, "A082"),
    # who the bot is: the welcome says, and how to reach a person (no staff paged for it)
    ("你好 是机器人吗", GREETING, None),
    ("你好 我要找真人", HANDOFF, None),
])
def test_a_name_for_the_bot_does_not_make_a_question_a_greeting(
        engine: IntentEngine, text: str, intent: str, item: str | None) -> None:
    found = classify(engine, text)
    assert (found.intent, found.item) == (intent, item)


@pytest.mark.parametrize("text", ["转人工", "我要找工作人员", "人工客服", "你听不懂，转人工"])
def test_handoff(engine: IntentEngine, text: str) -> None:
    assert classify(engine, text).intent == HANDOFF


def test_menu_with_date_and_meal(engine: IntentEngine) -> None:
    c = classify(engine, "明天中午吃什么")
    assert c.intent == MENU
    assert c.date == dt.date(2026, 11, 24)
    assert c.meal == "lunch"
    assert c.meal_point is None
    assert c.item is None and not c.clarify


@pytest.mark.parametrize(("text", "date", "meal", "point"), [
    ("下周一早饭吃什么", dt.date(2026, 11, 30), "breakfast", None),
    ("后天晚饭吃啥", dt.date(2026, 11, 25), "dinner", None),
    ("桂花苑助餐点今天中午吃什么", dt.date(2026, 11, 23), "lunch", "guihua"),
    ("明天中午梅园有什么吃", dt.date(2026, 11, 24), "lunch", "meiyuan"),
    ("明天中午梅园助餐点有什么吃", dt.date(2026, 11, 24), "lunch", "meiyuan"),
    ("下周三食堂吃什么", dt.date(2026, 12, 2), None, "canteen"),
    ("12月1号中午有饺子吗", dt.date(2026, 12, 1), "lunch", None),
])
def test_menu_slots(engine: IntentEngine, text: str, date: dt.date, meal: str | None,
                    point: str | None) -> None:
    c = classify(engine, text)
    assert c.intent == MENU
    assert (c.date, c.meal, c.meal_point) == (date, meal, point)


@pytest.mark.parametrize(("text", "topic", "point"), [
    ("食堂几点开门", "hours", None),         # every point's hours
    ("食堂几点开饭", "hours", None),
    ("午饭多少钱", "price", None),
    ("套餐多少钱", "price", None),
    ("送餐怎么订", "delivery", None),
    ("我腿不好下不了楼，老人送餐上门怎么弄", "delivery", None),
    ("饭能送上门伐", "delivery", None),
    ("我爸爸八十五了一个人住，吃饭不方便", "delivery", None),   # told as a need
    ("食堂好刷敬老卡伐", "price", "canteen"),                  # how to pay
    ("有几个吃饭的点", "points", None),
    ("老人饭堂在哪", "points", None),
    ("狮子头啥辰光有", "dish", None),
    ("前天那个咖喱鸡还会再做吗", "dish", None),
    ("有没有少盐少油的菜 我血压高", "diet", None),
    ("礼拜天食堂开门吗", "open", "canteen"),
])
def test_canteen_questions(engine: IntentEngine, text: str, topic: str,
                           point: str | None) -> None:
    c = classify(engine, text)
    assert c.intent == MENU
    assert c.topic == topic
    assert c.meal_point == point


@pytest.mark.parametrize(("text", "category"), [
    ("楼道灯坏了", "lighting"),
    ("楼道灯不亮", "lighting"),
    ("煤气味", "gas"),
    ("家里有煤气味", "gas"),
    ("水管漏水", "water_leak"),
    ("电梯坏了", "elevator"),
    ("马桶堵了", "drainage"),
    # a problem word (吓人, 打不开) with a category's own word: that category, not "other"
    ("楼道里蟑螂多得吓人，白天都爬出来。", "pest"),
    ("消防栓的门被人拿锁锁住了，打不开", "fire_safety"),
    ("楼上天天打麻将到半夜 能不能管管", "noise"),
    ("楼道里蟑螂好多，有什么办法吗", "pest"),
])
def test_report_with_category(engine: IntentEngine, text: str, category: str) -> None:
    c = classify(engine, text)
    assert c.intent == REPORT
    assert c.category == category
    assert c.item is None


@pytest.mark.parametrize("text", ["我想学用智能手机", "许个微心愿", "希望有人陪我聊天"])
def test_wish(engine: IntentEngine, text: str) -> None:
    assert classify(engine, text).intent == WISH


@pytest.mark.parametrize("text", ["股票怎么买", "hello how are you", "what is this", "", "   ",
                                  "😀😀", "！？。", "12345"])
def test_fallback(engine: IntentEngine, text: str) -> None:
    c = classify(engine, text)
    assert c.intent == FALLBACK
    assert c.item is None
    assert not c.clarify


# Aliases from knowledge/affairs/*.toml, each specific to one item.
ALIASES = [
    ("居住证续签", "A129"),
    ("办残疾证", "A099"),
    ("老年卡丢了", "A083"),
    ("无犯罪证明", "A137"),
    ("银发无忧", "A095"),
    ("沪惠保", "A063"),
    ("共有产权房", "A146"),
    ("居转户", "A136"),
    ("病残儿鉴定", "A114"),
    ("家医签约", "A123"),
    ("金秋助学", "A185"),
]


@pytest.mark.parametrize(("alias", "item_id"), ALIASES)
def test_aliases_are_in_the_knowledge_base(knowledge: Knowledge, alias: str,
                                           item_id: str) -> None:
    item = knowledge.item(item_id)
    assert item is not None
    assert alias in item.aliases


@pytest.mark.parametrize(("alias", "item_id"), ALIASES)
def test_affairs_item_by_alias(engine: IntentEngine, alias: str, item_id: str) -> None:
    c = classify(engine, alias)
    assert c.intent == AFFAIRS
    assert c.candidates[0].item == item_id
    assert c.item == item_id or (c.item is None and c.clarify)


@pytest.mark.parametrize(("question", "item_id"), [
    ("我想问一下居住证续签要带什么", "A129"),
    ("请问无犯罪证明怎么开", "A137"),
    ("沪惠保怎么参保", "A063"),
])
def test_affairs_item_in_a_sentence(engine: IntentEngine, question: str, item_id: str) -> None:
    c = classify(engine, question)
    assert c.intent == AFFAIRS
    assert c.candidates[0].item == item_id


@pytest.mark.parametrize("question", ["居住证续签", "社保卡", "低保", "敬老卡怎么办",
                                      "残疾证补办"])
def test_affairs_questions_offer_at_least_three_candidates(engine: IntentEngine,
                                                            question: str) -> None:
    c = classify(engine, question)
    assert c.intent == AFFAIRS
    assert len(c.candidates) >= 3
    assert len({cand.item for cand in c.candidates}) == len(c.candidates)
    scores = [cand.score for cand in c.candidates]
    assert scores == sorted(scores, reverse=True)


# One word that several items share (挂失 / 申领 / 补领 of the same card or certificate).
@pytest.mark.parametrize("question", ["社保卡", "残疾证", "居住证"])
def test_vague_questions_clarify_without_an_item(engine: IntentEngine, question: str) -> None:
    c = classify(engine, question)
    assert c.clarify
    assert c.item is None
    assert len(c.candidates) >= 2


# The action said picks among one card's items; an action done already does not count.
@pytest.mark.parametrize(("question", "item", "instead"), [
    ("居住证掉了，挂失过了，现在要补领", "A132", "A130"),      # 补领, not 挂失 (done)
    ("社保卡已经挂失了 现在要补一张", "A029", "A027"),
    ("我老早办过敬老卡，现在卡寻不着了", "A083", "A082"),      # lost: 挂失补领, not 申领
    ("残疾人证丢了哪能补", "A101", "A099"),
    ("残疾人证旧了要换", "A100", "A099"),
])
def test_the_action_said_picks_the_sibling(engine: IntentEngine, question: str, item: str,
                                           instead: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.item, c.clarify) == (AFFAIRS, item, False)
    assert instead in [a.item for a in c.alternatives]     # offered: 不是这个？回复4…
    assert item not in [a.item for a in c.alternatives]


# A message asking two things answers the first it names and offers the second.
@pytest.mark.parametrize(("question", "first", "second"), [
    ("敬老卡怎么申请？另外居住证到期了要续签", "A082", "A129"),
    ("失业登记在哪里办，还有灵活就业社保怎么交", "A032", "A025"),
    ("残疾人证怎么办理，顺便问下家庭医生怎么签约", "A099", "A123"),
    ("低保怎么申请？廉租房怎么申请？", "A069", "A144"),
    ("居住证在哪签注？公积金明细也要打一份", "A129", "A143"),   # a second sentence asks too
    ("敬老卡在哪办？残疾证旧了也要换", "A082", "A100"),
    ("低保怎么申请，顺便问下廉租房", "A069", "A144"),          # 问下 is a filler
    ("低保怎么申请 还有廉租房", "A069", "A144"),
    ("医保卡丢了，残疾证也要换", "A029", "A100"),             # 丢了 asks for 补领
])
def test_two_questions_answer_the_first_and_offer_the_second(
        engine: IntentEngine, question: str, first: str, second: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.item, c.clarify) == (AFFAIRS, first, False)
    assert c.also is not None and c.also.item == second
    assert [x.item for x in c.candidates[:2]] == [first, second]


@pytest.mark.parametrize("question", [
    "失业登记已经做好了，失业金怎么领",            # the first part is done: one question
    "医疗救助我们够不上，听说还有个医疗费用综合减负，这个怎么申请",   # context, then the question
    "敬老卡丢了哪能补",
    "我是退休工人，想问问住院以后工会那个互助哪能报",    # a filler (那个) splits no sentence
    "我想查下我公积金还有多少钱",                     # 还有 before an amount: what is left
])
def test_one_question_offers_no_second(engine: IntentEngine, question: str) -> None:
    assert classify(engine, question).also is None


@pytest.mark.parametrize(("question", "item"), [
    ("居住证下个月到期了怎么办", "A129"),          # a 居住证 that expires is 签注, not 换领
    ("搬家了，居住证上的地址还是老的", "A134"),     # still the old address: 变更
])
def test_what_the_card_needs_when_it_expires_or_is_out_of_date(
        engine: IntentEngine, question: str, item: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.item, c.clarify) == (AFFAIRS, item, False)


def test_siblings_are_the_same_thing_another_action(engine: IntentEngine) -> None:
    key = {e.ref: n for n, e in enumerate(engine.entries)}
    assert engine._siblings(key["A082"], key["A083"])       # 敬老卡 申领 / 挂失补领
    assert engine._siblings(key["A130"], key["A132"])       # 居住证 挂失 / 补领
    assert not engine._siblings(key["A082"], key["A130"])   # 敬老卡 / 居住证
    assert not engine._siblings(key["A038"], key["A042"])   # two 补贴申请 of other things


@pytest.mark.parametrize(("question", "agency"), [
    ("户口本丢了去哪补", "agency.police"),
    ("身份证过期了哪能换", "agency.police"),
    ("护照过期了哪能办", "agency.exit_entry"),
    ("离婚去哪里办", "agency.marriage"),
    ("今年养老金涨多少", "agency.hotline"),
])
def test_other_agencies_say_where_to_go(engine: IntentEngine, question: str,
                                        agency: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.item) == (FAQ, agency)


@pytest.mark.parametrize("question", [
    "有啥股票好推荐推荐", "今年失业率是多少", "微信字体哪能调大", "垃圾分类电池算啥垃圾",
    "低保真音箱哪个牌子好", "老年卡拉OK哪里有", "手机丢了怎么挂失", "离婚财产怎么分",
])
def test_out_of_scope_is_not_answered_as_an_item(engine: IntentEngine, question: str) -> None:
    c = classify(engine, question)
    assert c.intent == FALLBACK and c.item is None


@pytest.mark.parametrize(("question", "item"), [
    ("医保网站密码忘记了，能帮我重置吗", "A049"),       # an item's own words are in scope
    ("我外地的在上海跑外卖，灵活就业登记怎么做", "A035"),
])
def test_out_of_scope_words_inside_an_item_are_in_scope(engine: IntentEngine, question: str,
                                                         item: str) -> None:
    assert classify(engine, question).item == item


@pytest.mark.parametrize(("question", "category"), [
    ("隔壁一套房子好像住了十几个人", "other"),
    ("野狗夜里一直叫", "noise"),                   # barking at night is noise
    ("小区里流浪狗越来越多了", "other"),
    ("楼下唱卡拉OK吵死了", "noise"),
    ("半夜里隔壁斩肉声音老响", "noise"),
])
def test_neighbourhood_problems_are_reports(engine: IntentEngine, question: str,
                                            category: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.category) == (REPORT, category)


@pytest.mark.parametrize("question", [
    "想请人教教我们用智能手机", "希望小区里能搞个棋牌室", "我腿不好 能不能有人帮我去药房配个药",
    "想找个人帮我把旧衣服送到捐赠点",
])
def test_wishes_without_the_word(engine: IntentEngine, question: str) -> None:
    assert classify(engine, question).intent == WISH


@pytest.mark.parametrize("question", ["2单元", "12号楼301"])
def test_only_a_place_is_no_report(engine: IntentEngine, question: str) -> None:
    assert classify(engine, question).intent != REPORT


@pytest.mark.parametrize("question", ["社保卡", "低保", "居住证续签", "敬老卡怎么办", "股票怎么买",
                                      "明天中午吃什么", "楼道灯坏了", "你好"])
def test_clarify_never_names_an_item(engine: IntentEngine, question: str) -> None:
    c = classify(engine, question)
    if c.clarify:
        assert c.item is None
    if c.item is not None:
        assert not c.clarify


def test_candidate_labels_are_item_names(engine: IntentEngine, knowledge: Knowledge) -> None:
    for cand in classify(engine, "社保卡").candidates:
        if cand.intent == AFFAIRS:
            item = knowledge.item(cand.item)
            assert item is not None
            assert cand.label == item.name


@pytest.mark.parametrize("text", ["明天中午吃什么", "居住证续签", "社保卡", "楼道灯坏了", "你好",
                                  "股票怎么买", ""])
def test_as_json_contract(engine: IntentEngine, text: str) -> None:
    data = classify(engine, text).as_json()
    assert set(data) == CONTRACT_KEYS
    assert data["text"] == text
    assert isinstance(data["intent"], str)
    assert isinstance(data["clarify"], bool)
    assert isinstance(data["score"], float | int)
    assert isinstance(data["candidates"], list)
    for cand in data["candidates"]:
        assert set(cand) == {"item", "score"}
    if data["date"] is not None:
        assert dt.date.fromisoformat(data["date"]).isoformat() == data["date"]


def test_as_json_date_is_iso(engine: IntentEngine) -> None:
    data = classify(engine, "明天中午吃什么").as_json()
    assert data["date"] == "2026-11-24"
    assert data["meal"] == "lunch"
    assert data["intent"] == MENU


@pytest.mark.parametrize("text", ["社保卡", "明天中午吃什么", "残急人证怎么办", "楼道灯坏了",
                                  "股票怎么买", "請問居住正怎麼續簽"])
def test_engine_is_pure(engine: IntentEngine, text: str) -> None:
    first = classify(engine, text)
    classify(engine, "一句别的话，夹在中间")
    assert classify(engine, text) == first
    assert classify(engine, text).as_json() == first.as_json()


def test_today_only_moves_dates(engine: IntentEngine) -> None:
    a = engine.classify("明天中午吃什么", dt.date(2026, 11, 23))
    b = engine.classify("明天中午吃什么", dt.date(2026, 12, 31))
    assert a.date == dt.date(2026, 11, 24)
    assert b.date == dt.date(2027, 1, 1)
    assert (a.intent, a.meal) == (b.intent, b.meal)


def test_traditional_and_homophones_reach_the_same_item(engine: IntentEngine) -> None:
    plain = classify(engine, "居住证续签")
    assert classify(engine, "居住證續簽").candidates[0].item == plain.candidates[0].item
    assert classify(engine, "居住正续签").candidates[0].item == plain.candidates[0].item


@pytest.mark.parametrize(("alias", "item_id"), [
    ("残疾证坏了", "A100"),
    ("居住证坏了", "A133"),
    ("社保卡芯片坏了", "A029"),
    ("独生子女证坏了", "A115"),
    ("聋人手机套餐", "A097"),
    ("老人吃饭补贴", "A090"),
])
def test_item_aliases_are_not_stolen_by_other_intents(engine: IntentEngine, knowledge: Knowledge,
                                                      alias: str, item_id: str) -> None:
    item = knowledge.item(item_id)
    assert item is not None and alias in item.aliases
    c = classify(engine, alias)
    assert c.intent == AFFAIRS
    assert c.candidates[0].item == item_id


# -- review findings: no confident answer about the wrong thing -------------------------------

@pytest.mark.parametrize(("text", "wrong"), [
    ("医保卡余额怎么查", "A059"),        # withdrawing a dead person's balance
    ("老人体检免费吗", "A124"),          # pre-pregnancy check-up
    ("医院几点开门", "station.hours"),   # another place's hours
    ("银行几点开门", "station.hours"),
])
def test_no_confident_wrong_answer(engine: IntentEngine, text: str, wrong: str) -> None:
    assert classify(engine, text).item != wrong


def test_the_station_named_with_another_place_is_still_the_station(engine: IntentEngine
                                                                  ) -> None:
    c = classify(engine, "驿站几点开门，医院那边我去过了")
    assert c.candidates[0].item == "station.hours"


@pytest.mark.parametrize("text", ["血压高吃什么好", "吃什么对身体好", "红烧狮子头怎么烧才好吃",
                                  "菜场猪肉多少钱一斤"])
def test_eating_without_a_canteen_cue_is_not_the_menu(engine: IntentEngine, text: str) -> None:
    assert classify(engine, text).intent != MENU


@pytest.mark.parametrize("text", ["今天吃什么", "中午吃啥", "梅园明天有鱼吗", "周三食堂有什么"])
def test_eating_with_a_day_a_meal_or_a_place_is_the_menu(engine: IntentEngine,
                                                         text: str) -> None:
    assert classify(engine, text).intent == MENU


# -- reports: negation, questions, people falling -------------------------------------------

@pytest.mark.parametrize("text", ["我不是报修", "不是要报修", "广场舞几点跳"])
def test_not_a_report(engine: IntentEngine, text: str) -> None:
    assert classify(engine, text).intent != REPORT


@pytest.mark.parametrize("text", ["老人摔倒了怎么办", "我妈摔倒了", "老伴跌倒了起不来",
                                  "屋里跌跤了，爬不起来", "我爸突然晕倒了"])
def test_a_person_falling_is_an_emergency_not_a_facade(engine: IntentEngine, text: str) -> None:
    c = classify(engine, text)
    assert c.intent == REPORT and c.emergency in ("fall", "taken_ill")
    assert c.category != "facade"


def test_a_falling_wall_is_still_a_report(engine: IntentEngine) -> None:
    assert classify(engine, "9号楼外墙要倒了").intent == REPORT


# -- clarifications and names ---------------------------------------------------------------

def test_medical_card_finds_the_social_security_card_items(engine: IntentEngine,
                                                           knowledge: Knowledge) -> None:
    c = classify(engine, "医保卡")
    assert c.clarify
    for cand in c.candidates[:3]:
        item = knowledge.item(cand.item)
        assert item is not None and item.category == "社保卡与证明"


@pytest.mark.parametrize(("text", "topic"), [("梅园在哪里", "points"),
                                             ("梅园几点开门", "hours")])
def test_a_meal_point_by_its_short_name(engine: IntentEngine, text: str, topic: str) -> None:
    c = classify(engine, text)
    assert (c.intent, c.meal_point, c.topic) == (MENU, "meiyuan", topic)


# -- short social messages ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "topic"), [
    ("谢谢", THANKS), ("好的谢谢", THANKS), ("嗯嗯", THANKS), ("好的", THANKS),
    ("请问", PROMPT), ("麻烦问一下", PROMPT), ("你好", HELLO),
])
def test_thanks_and_fillers(engine: IntentEngine, text: str, topic: str) -> None:
    c = classify(engine, text)
    assert (c.intent, c.topic) == (GREETING, topic)


def test_a_bare_number_is_a_number(engine: IntentEngine) -> None:
    c = classify(engine, "2")
    assert (c.intent, c.topic) == (FALLBACK, NUMBER)


# -- dates in menu questions ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "date", "days"), [
    ("12/3吃什么", dt.date(2026, 12, 3), 1),
    ("12-3中午吃什么", dt.date(2026, 12, 3), 1),
    ("31号吃什么", dt.date(2026, 12, 31), 1),
    ("下周末吃什么", dt.date(2026, 12, 5), 2),
    ("圣诞节吃什么", dt.date(2026, 12, 25), 1),    # knowledge/calendar.toml
])
def test_menu_dates(engine: IntentEngine, text: str, date: dt.date, days: int) -> None:
    c = classify(engine, text)
    assert (c.intent, c.date, c.days, c.date_unreadable) == (MENU, date, days, False)


@pytest.mark.parametrize("text", ["2月30号食堂吃什么", "情人节食堂吃什么"])
def test_an_unreadable_day_is_not_today(engine: IntentEngine, text: str) -> None:
    c = classify(engine, text)
    assert c.intent == MENU
    assert c.date is None and c.date_unreadable


def test_open_on_a_day(engine: IntentEngine) -> None:
    c = classify(engine, "礼拜六食堂开吗")
    assert (c.intent, c.topic, c.date, c.meal_point) == (MENU, "open", dt.date(2026, 11, 28),
                                                         "canteen")


def test_long_messages_are_read_up_to_the_limit(engine: IntentEngine) -> None:
    limit = engine.settings.max_message_chars
    assert classify(engine, "啊" * (limit + 1)).truncated
    assert not classify(engine, "居住证续签").truncated


@pytest.mark.parametrize(("question", "item"), [
    ("失业登记已经做好了，失业金怎么领", "A037"),          # the part done already is set aside
    ("老年综合津贴我不急，主要想问敬老卡怎么申请", "A082"),
    ("退伍档案查好了，优待证怎么申请", "A170"),
])
def test_a_part_set_aside_does_not_decide(engine: IntentEngine, question: str,
                                          item: str) -> None:
    c = classify(engine, question)
    assert (c.item, c.clarify) == (item, False)


@pytest.mark.parametrize("question", ["太感谢了，问题解决了", "谢谢，你们服务真好",
                                      "谢谢耐心解答👍"])
def test_thanks_with_more_words_are_thanks(engine: IntentEngine, question: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.topic) == (GREETING, THANKS)


@pytest.mark.parametrize("question", ["你会些啥", "我能问你什么事情", "你能回答哪些问题",
                                      "侬会做点啥", "你能干嘛", "我可以问你哪些问题", "帮助",
                                      "你有哪些功能", "跟你说话要打字吗，能不能发语音",
                                      "侬听得懂上海闲话伐", "哪能用侬", "这个号是干嘛用的",
                                      "你能帮老年人做点什么", "你是机器人吗", "有啥好帮阿拉的",
                                      "你能做哪些事呢", "侬是做啥个的", "能干啥",
                                      "你们能做什么", "侬能帮阿拉做点啥事体"])
def test_what_can_you_do(engine: IntentEngine, question: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.topic) == (GREETING, HELLO)


@pytest.mark.parametrize(("question", "intent"), [
    ("你们可以送什么菜", MENU), ("社保卡有哪些功能", AFFAIRS), ("敬老卡是干嘛用的", AFFAIRS),
    ("您能告诉我敬老卡要什么材料吗", AFFAIRS), ("你们食堂能吃点什么", MENU),
    ("有什么能帮我申请敬老卡的吗", AFFAIRS), ("你们半夜开门吗", FAQ), ("社保卡有啥功能", AFFAIRS),
    ("您好，退休了能领啥呀", AFFAIRS)])
def test_what_the_bot_can_do_is_asked_in_the_bots_words_only(
        engine: IntentEngine, question: str, intent: str) -> None:
    assert classify(engine, question).intent == intent


@pytest.mark.parametrize("question", ["明白啦，再会", "你真聪明，比我孙子讲得清楚"])
def test_praise_and_goodbye_are_thanks(engine: IntentEngine, question: str) -> None:
    assert classify(engine, question).intent == GREETING


@pytest.mark.parametrize("question", ["我想学写毛笔字", "希望有人周末带我们老人去郊区采采草莓",
                                      "要是小区里有个地方能下下象棋就好了",
                                      "我行动不便，需要人帮忙买点米和油",
                                      "小区里缺个晾衣服的地方，希望能装几根晾衣杆",
                                      "想给楼里的孩子们办个暑假托管班",
                                      "衣柜太重我一个人搬不动，想请人挪一下",
                                      "缺一副看报纸用的放大镜",
                                      "有没有人会修老式收音机",
                                      "屋里灯泡坏脱了，我年纪大爬不上去",
                                      "家里那只老座钟停了，想请个懂行的帮我看看",
                                      "雨伞骨头断了，有没有会修伞的师傅",
                                      "电视机遥控器不会用 有人教伐"])
def test_wishes_by_their_shape(engine: IntentEngine, question: str) -> None:
    assert classify(engine, question).intent == WISH


def test_a_long_message_whose_question_agrees_is_answered(engine: IntentEngine) -> None:
    c = classify(engine, "我退休十几年了，养老金一直打在建设银行的存折上，每个月要跑到银行去取，"
                         "现在年纪大了走不动，建设银行离得远，我家楼下就是农业银行，"
                         "想问问养老金能不能换到农业银行的卡上打")
    assert (c.item, c.clarify) == ("A003", False)


@pytest.mark.parametrize(("question", "item"), [
    ("我有残疾证，想申请个轮椅，能免费配吗", "A104"),       # 轮椅 is a 辅助器具
    ("饭店老板跑路了，我们几个服务员的工钱一分没拿到，能到哪里举报", "A045"),
])
def test_everyday_words_find_the_catalogue_term(engine: IntentEngine, question: str,
                                                item: str) -> None:
    c = classify(engine, question)
    assert c.candidates[0].item == item


# A situation told in the resident's own words finds its item through the lexicon's concepts.
@pytest.mark.parametrize(("question", "item"), [
    ("我爸当年精简回家的，每个月领补助，要开个证明", "A067"),   # 精简 -> 定期定量, 开证明
    ("看病的小本子写满了去哪换", "A048"),                      # 就医记录册, not a report
    ("家里有两个病人，工会能帮一把吗", "A184"),                 # 困难职工帮扶
    ("我没工作，看病一直自费，想参个保", "A051"),               # 居民医保参保
    ("我妈老年痴呆，有啥照顾", "A086"),                        # 照护需求评估 first
])
def test_situations_in_everyday_words(engine: IntentEngine, question: str, item: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.item, c.clarify) == (AFFAIRS, item, False)


# Where to go, even when the words are few: the agency's answer beats "I don't know".
@pytest.mark.parametrize(("question", "agency"), [
    ("儿子在香港工作，我想过去看看他，要办啥", "agency.exit_entry"),
    ("煤气费这个月多了好多，找谁问", "agency.hotline"),
])
def test_an_agency_leading_a_weak_ranking_is_answered(engine: IntentEngine, question: str,
                                                       agency: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.item, c.clarify) == (FAQ, agency, False)


# A bill, a reading or a company's manners is no repair and no emergency, whatever it names;
# a leak still is one.
@pytest.mark.parametrize("question", ["煤气公司的人态度老差，我要投诉", "自来水公司水费算错了",
                                      "煤气灶打不着火", "电梯加装有补贴吗"])
def test_bills_and_companies_are_no_reports(engine: IntentEngine, question: str) -> None:
    c = classify(engine, question)
    assert c.intent != REPORT and c.emergency is None


def test_a_gas_smell_is_still_an_emergency(engine: IntentEngine) -> None:
    c = classify(engine, "闻到煤气味了，燃气公司电话打不通")
    assert (c.intent, c.emergency) == (REPORT, "gas")


@pytest.mark.parametrize(("text", "topic"), [("阿姨好", HELLO), ("再会", THANKS), ("拜拜", THANKS),
                                             ("好了", THANKS)])
def test_hello_and_goodbye_in_everyday_words(engine: IntentEngine, text: str, topic: str) -> None:
    c = classify(engine, text)
    assert (c.intent, c.topic) == (GREETING, topic)


@pytest.mark.parametrize("question", ["敬老卡要办伐", "我今年刚退休，敬老卡要办伐"])
def test_asking_to_get_a_card_is_applying_for_it(engine: IntentEngine, question: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.item, c.clarify) == (AFFAIRS, "A082", False)


def test_a_subsidy_asked_with_a_question_word_is_not_the_canteen(engine: IntentEngine) -> None:
    assert classify(engine, "我心脏不好，有啥补贴").intent != MENU   # 有啥 is no food


def test_eyes_that_see_nothing_are_no_lost_card(engine: IntentEngine) -> None:
    assert classify(engine, "我眼睛看不见了有补贴伐").item != "A101"   # 看不见了 is not 不见了


def test_a_stairwell_light_out_of_reach_is_still_a_report(engine: IntentEngine) -> None:
    assert classify(engine, "楼道灯坏了我够不到").intent == REPORT


def test_the_only_close_item_doing_the_asked_action_is_answered(engine: IntentEngine) -> None:
    c = classify(engine, "我外孙刚报好户口，要给他办张社保卡")   # 办张: 申领, not 补领 or 挂失
    assert (c.item, c.clarify) == ("A028", False)


def test_an_action_already_done_does_not_pick_the_item(engine: IntentEngine) -> None:
    c = classify(engine, "我退休个，参加了工会住院互助，住好院哪能报")   # joined: now 给付
    assert c.item == "A182"


def test_an_action_said_not_to_be_wanted_does_not_pick_the_item(engine: IntentEngine) -> None:
    # 换卡 is the account's change; 不是申请补贴 rules the subsidy's own 申领 out
    c = classify(engine, "副食品补贴打的那张银行卡要换掉，不是申请补贴")
    assert (c.item, c.clarify) == ("A178", False)


@pytest.mark.parametrize(("text", "item"), [("社保卡是不是要补办", "A029"),
                                            ("社保卡丢了用不用挂失", "A027")])
def test_an_action_asked_about_still_picks_the_item(engine: IntentEngine, text: str,
                                                    item: str) -> None:
    # 是不是要, 用不用 ask whether the action is needed: it is the one asked about
    c = classify(engine, text)
    assert (c.item, c.clarify) == (item, False)


def test_a_long_story_about_a_worn_card_is_a_question_not_a_repair(engine: IntentEngine) -> None:
    c = classify(engine, "我儿子的残疾证是十年前办的，上面写的有效期到今年年底，现在证皮也磨破了，"
                         "照片还是小时候的，上次公园门口检查的人都不认，我想给他换一本新的，"
                         "要重新去医院评定吗")
    assert c.intent == AFFAIRS and c.emergency is None


def test_a_fall_told_as_a_past_story_is_no_emergency(engine: IntentEngine) -> None:
    c = classify(engine, "前阵子有个老姐妹走路摔了一跤骨折，住院花了好多钱，幸亏她买了银发无忧，"
                         "赔了不少，我也想给我妈买一份，一年多少钱")
    assert (c.intent, c.item, c.emergency) == (AFFAIRS, "A095", None)
    assert classify(engine, "我妈摔了一跤爬不起来了").emergency == "fall"


@pytest.mark.parametrize("question", ["我妈中风以后瘫在床上，要人照顾，有啥政策",
                                      "我爸生活不能自理了，政府有啥帮助"])
def test_an_elder_needing_care_starts_with_the_assessment(engine: IntentEngine,
                                                          question: str) -> None:
    assert classify(engine, question).item == "A086"


def test_care_after_a_stroke_is_no_emergency_but_a_stroke_now_is(engine: IntentEngine) -> None:
    asked = classify(engine, "阿拉屋里老头子中风了，瘫在床上，想请人上门护理，哪能弄")
    assert asked.emergency is None and asked.intent != REPORT
    for now in ("老头子中风了", "我爸突然中风了叫不醒"):
        assert classify(engine, now).emergency == "taken_ill", now


@pytest.mark.parametrize("text", ["我头好晕 胸口痛", "阿拉老头子心口闷得透不过气",
                                  "我妈嘴巴突然歪了"])
def test_chest_pain_or_a_stroke_now_is_an_emergency(engine: IntentEngine, text: str) -> None:
    assert classify(engine, text).emergency == "taken_ill"


@pytest.mark.parametrize("text", ["胸口痛要看什么科", "我爸中风后半边身体不能动了，想办个残疾证",
                                  "胸口不痛了，谢谢", "昨天胸口痛去医院看了，医生说没事",
                                  "我妈胸口长了个东西，不痛不痒"])
def test_asking_about_an_illness_is_no_emergency(engine: IntentEngine, text: str) -> None:
    assert classify(engine, text).emergency is None


@pytest.mark.parametrize(("text", "category"), [
    ("走廊里堆满了纸板箱 消防通道都堵住了", "fire_safety"),   # the more urgent of two
    ("楼道里有股烧焦的味道", "fire_safety"),
    ("楼下的树长得太高，树枝都伸到我家窗户里了", "greenery"),  # 伸到 is no leak, as typed
    ("我们楼道灯坏了好几天了 能不能派个人来看一下 15号楼", "lighting")])   # not a wish
def test_a_problem_is_filed_where_it_belongs(engine: IntentEngine, text: str,
                                             category: str) -> None:
    c = classify(engine, text)
    assert (c.intent, c.category) == (REPORT, category)


@pytest.mark.parametrize("question", ["我爷爷九十岁了有高龄补贴吗", "阿拉姆妈80岁了有啥补助伐"])
def test_an_age_is_not_corrected_into_a_problem(engine: IntentEngine, question: str) -> None:
    """岁了 after a number is an age: never the report cue 碎了 it sounds like."""
    c = classify(engine, question)
    assert c.intent != REPORT and "碎" not in c.normalised


def test_grandparents_raising_an_orphaned_grandchild(engine: IntentEngine) -> None:
    assert classify(engine, "儿子儿媳都不在了 孙女跟着我过 有啥补助伐").item == "A077"


@pytest.mark.parametrize("question", ["物业费收得太贵了找谁", "水费账单不对找谁"])
def test_a_bill_is_pointed_to_the_hotline(engine: IntentEngine, question: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.item) == (FAQ, "agency.hotline")


@pytest.mark.parametrize(("question", "first", "second"), [
    ("敬老卡和居住证怎么办", "A082", "A131"),
    ("我想办残疾证和敬老卡", "A099", "A082"),
    ("公积金租房提取和公积金贷款分别要什么材料", "A151", "A152"),
    ("老年津贴和退休金都想换到一张卡上，两个分别要怎么改", "A084", "A003"),
])
def test_two_names_joined_by_and_share_one_question(engine: IntentEngine, question: str,
                                                    first: str, second: str) -> None:
    c = classify(engine, question)
    assert (c.item, c.also.item if c.also else None) == (first, second)


def test_and_between_people_names_no_second_item(engine: IntentEngine) -> None:
    c = classify(engine, "我和老伴都满65了 敬老卡怎么办")
    assert (c.item, c.also) == ("A082", None)


@pytest.mark.parametrize("message", [
    "有没有会写毛笔字的帮我写副春联", "菜刀钝了 有没有人好帮忙磨一磨", "小区里能不能装个快递柜",
    "想要一副合适的老花镜 自己去配不方便", "我行动不便 有没有人好礼拜天帮我买点菜送上来",
])
def test_wishes_of_someone_who_can_or_for_the_compound(engine: IntentEngine, message: str) -> None:
    assert classify(engine, message).intent == WISH


def test_an_agency_is_about_another_place(engine: IntentEngine) -> None:
    c = classify(engine, "身份证在地铁上丢脱了 明朝要坐高铁 来得及补伐")
    assert (c.intent, c.item) == (FAQ, "agency.police")


@pytest.mark.parametrize("message", ["电视机遥控器失灵了 换了电池也不灵", "手机内存满了怎么清理"])
def test_a_residents_own_things_are_no_report(engine: IntentEngine, message: str) -> None:
    assert classify(engine, message).intent == FALLBACK


def test_a_leak_that_wets_the_television_is_still_a_report(engine: IntentEngine) -> None:
    c = classify(engine, "楼上漏水把我家电视机淋坏了")
    assert (c.intent, c.category) == (REPORT, "water_leak")


def test_a_long_story_is_out_of_scope_only_by_what_it_asks(engine: IntentEngine) -> None:
    c = classify(engine, "前几天台风过来那晚上，我们家一楼进水进了半米深，冰箱洗衣机都泡坏了，"
                         "被子衣服全湿了，像我们这种受灾的人家政府有没有救助，要去哪里申请")
    assert c.intent == AFFAIRS and c.item == "A079"


def test_lexicon_words_are_read_as_messages_are(engine: IntentEngine) -> None:
    # 医保卡 is read as 社保卡 in messages; the concept 医保卡里还有 must be read the same way.
    c = classify(engine, "我爸去世了，他医保卡里还有几千块钱，家属能取出来吗")
    assert (c.item, c.clarify) == ("A059", False)


@pytest.mark.parametrize(("message", "item"), [
    ("女儿白血病 屋里钞票全部用光了 现在连吃饭都成问题 有啥生活上的救助", "A072"),
    ("昨天夜里屋里着火 东西全部烧光了 一家门现在没地方住 有没有应急的帮助", "A073"),
])
def test_hardship_told_with_eating_or_a_past_fire_asks_for_relief(engine: IntentEngine,
                                                                   message: str,
                                                                   item: str) -> None:
    c = classify(engine, message)
    assert (c.intent, c.item, c.emergency) == (AFFAIRS, item, None)


def test_a_benefit_asked_with_a_day_and_a_night_is_no_menu(engine: IntentEngine) -> None:
    assert classify(engine, "老头子礼拜天夜里走的 家属还有啥好领的").intent != MENU
    assert classify(engine, "明天中午有啥好吃的").intent == MENU


@pytest.mark.parametrize(("question", "first", "second"), [
    ("想签个家庭医生 另外我透析的门诊大病登记也在社区医院办伐", "A123", "A060"),
    ("厂里上礼拜把我辞退了，我要去哪里登记失业？失业金一个月能拿多少", "A032", "A037"),
])
def test_the_first_question_asked_is_answered_first(engine: IntentEngine, question: str,
                                                    first: str, second: str) -> None:
    c = classify(engine, question)
    assert (c.item, c.also.item if c.also else None) == (first, second)


def test_an_answer_does_not_depend_on_the_message_before(engine: IntentEngine) -> None:
    """The engine keeps its last readings (a message is read twice); answers are the same in
    any order, a message repeated included."""
    texts = ["老年人那张坐车的卡寻不着了 可能掉在公交车上 好补伐", "医保卡余额怎么查",
             "敬老卡怎么办", "敬老卡怎么办", "我家狗丢了怎么办",
             "阿拉老头子眼睛看勿清爽了 有啥补贴好申请伐",
             "儿子今年九月去当兵了 屋里好拿到一笔钞票伐"]
    forward = [classify(engine, text) for text in texts]
    backward = [classify(engine, text) for text in reversed(texts)][::-1]
    assert forward == backward
    for text, answer in zip(texts, forward, strict=True):   # each as a fresh engine reads it
        fresh = IntentEngine(engine.phrasebook, engine.settings)
        assert classify(fresh, text) == answer


def test_a_leak_told_with_a_wish_around_it_is_a_report(engine: IntentEngine) -> None:
    """An urgent problem told by its category's own words (滴水) is a report, whatever wish
    the story holds (老头子爬不上去看): the leak's safety text comes first."""
    c = classify(engine, "阿拉囡囡礼拜天要带外孙来吃饭，我想烧只红烧肉，结果昨日夜里厢厨房间"
                         "顶上开始滴水，楼上人家敲门呒没人，我老头子腰不好爬不上去看，哪能办，"
                         "我住9号楼")
    assert (c.intent, c.category) == (REPORT, "water_leak")
    # a wish to have something fixed that is no urgent problem stays a wish
    assert classify(engine, "屋里收音机坏脱了，想要只收音机听听戏").intent == WISH


@pytest.mark.parametrize("text", ["打麻将怎么算番", "广场舞那首最炫民族风的歌词是什么"])
def test_a_question_about_something_else_names_no_problem(engine: IntentEngine,
                                                          text: str) -> None:
    assert classify(engine, text).intent == FALLBACK


@pytest.mark.parametrize("text", ["阿拉姆妈八十五岁了 脚骨不灵 想请人到屋里厢来照顾 哪能申请",
                                  "我妈妈今年八十岁 想申请有人上门照顾"])
def test_asking_how_to_apply_for_help_is_no_wish_and_no_repair(engine: IntentEngine,
                                                               text: str) -> None:
    """Home care asked for with 哪能申请 is a service to apply for: filed as a 微心愿 the
    resident would wait for an answer that never comes; 脚骨不灵 (legs) is no broken thing."""
    assert classify(engine, text).intent not in (WISH, REPORT)


@pytest.mark.parametrize(("item", "text", "sibling"), [
    ("A027", "补办", "A029"), ("A027", "那补办呢", "A029"), ("A082", "挂失呢", "A083"),
    ("A082", "丢了", "A083"), ("A129", "补办", "A132"),
    ("A082", "申领", "A082"),         # what it does already: the same card's, not another's
    ("A101", "挂失", "A101"),         # no 残疾人证 item of its own for it: still that card
    ("A082", "社保卡补办", None),      # another card named: its own question
    ("A082", "好的", None)])
def test_an_action_said_alone_after_an_answer(engine: IntentEngine, item: str, text: str,
                                              sibling: str | None) -> None:
    assert engine.sibling_doing(item, text) == sibling


@pytest.mark.parametrize(("question", "item"), [
    ("前段时间家里着火了，东西都烧光了，有什么救助吗", "A073"),
    ("上礼拜厨房失火，家具全毁了，街道能帮点啥", "A073"),
    ("前几天大暴雨，屋里向被水淹了，有补助伐", "A079"),
    ("上个月落大雨屋里进水，家具全泡坏了，好申请点补助伐", "A079")])
def test_a_disaster_told_afterwards_asks_for_relief_not_a_repair(
        engine: IntentEngine, question: str, item: str) -> None:
    c = classify(engine, question)
    assert (c.intent, c.item, c.emergency) == (AFFAIRS, item, None)


def test_a_fire_told_now_is_still_an_emergency(engine: IntentEngine) -> None:
    assert classify(engine, "楼下失火了").intent == REPORT


@pytest.mark.parametrize("question", ["下午几点的火车去杭州", "机票哪里买便宜",
                                      "保健品吃了有用吗", "去南京的高铁几点有"])
def test_tickets_and_supplements_are_out_of_scope(engine: IntentEngine, question: str) -> None:
    assert classify(engine, question).intent == FALLBACK


def test_an_action_done_already_is_not_the_one_asked(engine: IntentEngine) -> None:
    # 挂失 is done (已经挂好了): the question is the new card, 补领.
    assert classify(engine, "社保卡挂失我打962222已经挂好了，补卡要不要本人去").item == "A029"


@pytest.mark.parametrize("question", ["有懂养老金政策的人吗", "能不能请人帮我看看医保报销单",
                                      "想问下谁管送牛奶的"])
def test_questions_that_name_a_helper_are_no_wishes(engine: IntentEngine, question: str) -> None:
    assert classify(engine, question).intent != WISH
