"""Booking words are everywhere in questions (打一份缴存明细, 要提前预约吗, 退休工资停掉以后,
狗叫个不停): no labelled question of the dev and held-out sets may be taken by a booking route
unless it is one (a wish to book, or a question about ordering meals)."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from bot.conversation.state import ConversationState, OpenQuestions
from bot.db.repositories import MessageContext
from bot.kb.model import Knowledge
from bot.messages import IncomingMessage
from bot.routes import ROUTES
from bot.turn import Turn
from intents.engine import IntentEngine
from tests.support import ROOT

SETS = ("tests/data/dev_questions.jsonl", "bench/data/heldout_questions.jsonl",
        "bench/data/heldout_questions_2.jsonl", "bench/data/heldout_questions_3.jsonl",
        "bench/data/heldout_questions_4.jsonl", "bench/data/heldout_questions_5.jsonl",
        "bench/data/heldout_questions_6.jsonl")
BOOKING_ROUTES = ("order", "delivery", "appointment", "booking")
# Messages that are bookings whatever their label says: asking to book a marriage registration
# (the item is a consultation, which the booking route says), ordering-ahead questions about
# the canteen, and a delivery to stop.
MAY_BOOK = {"想預約結婚登記", "不是查以前的婚姻档案，是我们要去办结婚登记，想预约时间",
            "在食堂吃饭要提前订吗", "食堂套餐要不要提前订，去晚了会不会卖完",
            "明天的送餐不要了，怎么取消"}


def test_questions_are_not_taken_for_bookings(knowledge: Knowledge,
                                              engine: IntentEngine) -> None:
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    context = MessageContext(None, None, ConversationState(), OpenQuestions(), None, None)
    spots = knowledge.report_places + knowledge.outside_places
    taken = []
    for name in SETS:
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["text"]
            turn = Turn(IncomingMessage("console", "u", text), now, context, engine, None, spots)
            route = next(r for r in ROUTES if r.when(turn))
            if route.name.startswith(BOOKING_ROUTES) and text not in MAY_BOOK:
                taken.append((route.name, text))
    assert taken == []
