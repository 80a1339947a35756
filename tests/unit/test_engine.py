"""The intent engine on clear examples. Scores and thresholds are deliberately not asserted:
only intents, slots, rankings and the JSON contract."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.kb.model import Knowledge
from intents.engine import (
    AFFAIRS,
    FALLBACK,
    GREETING,
    HANDOFF,
    MENU,
    REPORT,
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
    ("食堂几点开门", "hours", "canteen"),
    ("食堂几点开饭", "hours", "canteen"),
    ("午饭多少钱", "price", None),
    ("套餐多少钱", "price", None),
    ("送餐怎么订", "delivery", None),
    ("我腿不好下不了楼，老人送餐上门怎么弄", "delivery", None),
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
