"""Bookings in residents' and staff's words: the pure grammar of `intents/bookings.py`, on
normalised text (the engine's normaliser: Traditional characters, dialect, full-width)."""

from __future__ import annotations

import datetime as dt

import pytest

from intents.bookings import (
    AppointmentRequest,
    CancelAppointment,
    CancelMeal,
    ClosePoint,
    DayAppointments,
    DecideSignup,
    DeliveryList,
    DeliveryPause,
    DeliverySignup,
    HowToOrder,
    KitchenCounts,
    MarkAppointment,
    MealRequest,
    MyAppointments,
    MyDelivery,
    MyOrders,
    SoldOut,
    appointment_subject,
    read_booking,
    read_staff_booking,
)
from intents.engine import IntentEngine

MONDAY = dt.date(2026, 11, 23)
TUESDAY, WEDNESDAY = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)


def read(engine: IntentEngine, text: str) -> object:
    return read_booking(engine.normaliser.normalise(text).clean, MONDAY)


@pytest.mark.parametrize(("text", "kind"), [
    ("明天中午订两份A套餐", MealRequest),
    ("明朝中浪订两份A套餐", MealRequest),
    ("訂兩份B套餐", MealRequest),
    ("帮我妈订礼拜一到礼拜五的饭送上门", MealRequest),
    ("礼拜三晚饭订一份", MealRequest),
    ("要两份a套餐 明天", MealRequest),
    ("明天的饭改成B套餐", MealRequest),
    ("我的订餐", MyOrders),
    ("我订了啥", MyOrders),
    ("取消明天的饭", CancelMeal),
    ("明天的饭不要了", CancelMeal),
    ("退掉F12", CancelMeal),
    ("怎么订饭", HowToOrder),
    ("我要报名送餐", DeliverySignup),
    ("帮阿拉姆妈申请送饭上门", DeliverySignup),
    ("每天中午一份A套餐送到9号楼302", DeliverySignup),
    ("下礼拜我去女儿家，停一个礼拜", DeliveryPause),
    ("明天到礼拜五不用送", DeliveryPause),
    ("恢复送餐", DeliveryPause),
    ("我想预约办敬老卡", AppointmentRequest),
    ("礼拜三上午有空位吗", AppointmentRequest),
    ("礼拜三有号伐", AppointmentRequest),
    ("改约到礼拜四下午", AppointmentRequest),
    ("改到礼拜四下午", AppointmentRequest),
    ("我的预约", MyAppointments),
    ("取消预约", CancelAppointment),
    ("取消Y0003", CancelAppointment),
    ("勿约了", CancelAppointment),
    ("阿拉姆妈要送饭", DeliverySignup),
    ("我的送餐", MyDelivery),
    ("送餐审核好了吗", MyDelivery),
    ("我妈的送餐改成B套餐", MyDelivery),
    ("我妈以后不要送了", DeliveryPause),
    ("我爸要住院，停到月底", DeliveryPause),
    ("明朝中浪饭订一只A", MealRequest),
    ("后日中浪订两客B", MealRequest),
    ("订餐几点截止", HowToOrder),
    ("取消礼拜四的", CancelMeal),
])
def test_a_booking_is_read_whatever_the_wording(engine: IntentEngine, text: str,
                                                kind: type) -> None:
    assert isinstance(read(engine, text), kind), read(engine, text)


@pytest.mark.parametrize("text", [
    "明天食堂吃什么", "敬老卡怎么办", "订报纸", "9号楼楼道灯坏了", "停电了一个礼拜",
    "送餐怎么报名", "饭能送上门伐", "有没有少盐的菜", "取消", "食堂几点开门",
    "婚姻登记要预约吗在哪办", "我想问问明天订一份A套餐要多少钱", "订饭可以刷敬老卡吗",
    "明天中午不要给我订饭", "订一份报纸"
])
def test_other_messages_are_not_bookings(engine: IntentEngine, text: str) -> None:
    found = read(engine, text)
    assert found is None or (text == "婚姻登记要预约吗在哪办"
                             and isinstance(found, AppointmentRequest)), found


def test_asking_whether_a_dish_is_served_is_no_order(engine: IntentEngine) -> None:
    """有没有 asks (and the 点 of 睦邻点 orders nothing)."""
    text = engine.normaliser.normalise("梅园睦邻点明天有没有狮子头").clean
    assert read_booking(text, MONDAY, names_dish=True) is None


def test_what_an_order_says(engine: IntentEngine) -> None:
    order = read(engine, "帮我妈订礼拜一到礼拜五的饭送上门")
    assert isinstance(order, MealRequest)
    assert order.delivery and order.diner == "妈"
    assert order.days.dates == tuple(MONDAY + dt.timedelta(days=n) for n in range(5))
    order = read(engine, "明天中午订两份A套餐")
    assert isinstance(order, MealRequest)
    assert (order.days.dates, order.meal, order.choice, order.portions) == (
        (TUESDAY,), "lunch", "A", 2)
    assert isinstance(zero := read(engine, "明天订0份A套餐"), MealRequest) and zero.portions == 0
    for text, portions in (("订十一份B套餐", 11), ("订1.5份A套餐", 0), ("订三四份A套餐", 0),
                           ("订负一份A套餐", 0), ("订二十份", 20)):
        found = read(engine, text)
        assert isinstance(found, MealRequest) and found.portions == portions, text
    mixed = read(engine, "明天中午订两份A套餐一份B套餐")
    assert isinstance(mixed, MealRequest) and mixed.mix == (("A", 2), ("B", 1))
    asked = read(engine, "明天中午能订两份B套餐吗")
    assert isinstance(asked, MealRequest) and asked.asks
    whose = read(engine, "我爸明天不要送了")
    assert isinstance(whose, DeliveryPause) and whose.whose == "爸"
    changed = read(engine, "明天的饭改成B套餐")
    assert isinstance(changed, MealRequest) and changed.change and changed.choice == "B"


def test_pauses_and_appointments_name_their_days(engine: IntentEngine) -> None:
    pause = read(engine, "下礼拜我去女儿家，停一个礼拜")
    assert isinstance(pause, DeliveryPause)
    assert pause.days.dates[0] == dt.date(2026, 11, 30) and len(pause.days.dates) == 7
    short = read(engine, "停三天")
    assert isinstance(short, DeliveryPause) and short.days.dates == tuple(
        TUESDAY + dt.timedelta(days=n) for n in range(3))
    ask = read(engine, "礼拜三上午9点半预约办社保卡")
    assert isinstance(ask, AppointmentRequest)
    assert (ask.day, ask.half, ask.time, ask.only_asks) == (WEDNESDAY, "am", dt.time(9, 30),
                                                             False)
    assert appointment_subject("我想预约办敬老卡") == "我想 办敬老卡"
    assert appointment_subject("我想预约") == "我想"


@pytest.mark.parametrize(("text", "kind"), [
    ("明天午餐统计", KitchenCounts), ("订餐统计", KitchenCounts), ("送餐名单", DeliveryList),
    ("明天送餐名单", DeliveryList), ("今天的预约", DayAppointments), ("预约名单", DayAppointments),
    ("办结 Y0001", MarkAppointment), ("y1办结", MarkAppointment), ("未到 Y0001", MarkAppointment),
    ("批准送餐 S0001", DecideSignup), ("不批准 S2 年龄不够", DecideSignup),
    ("送餐登记", DecideSignup), ("停餐 梅园助餐点 明天 下大雪", ClosePoint),
    ("售罄 红烧肉", SoldOut), ("红烧肉卖完了", SoldOut),
])
def test_staff_commands(text: str, kind: type) -> None:
    assert isinstance(read_staff_booking(text.lower(), MONDAY), kind)


def test_what_staff_commands_say() -> None:
    assert read_staff_booking("未到 y3", MONDAY) == MarkAppointment("Y0003", "no_show")
    assert read_staff_booking("不批准 s2 年龄不够", MONDAY) == DecideSignup("S0002", False,
                                                                         "年龄不够")
    assert read_staff_booking("明天晚餐统计", MONDAY) == KitchenCounts(TUESDAY, "dinner")
    closed = read_staff_booking("停餐 梅园助餐点 明天 下大雪", MONDAY)
    assert isinstance(closed, ClosePoint) and closed.days.dates == (TUESDAY,)
    assert closed.why == "下大雪"
    assert read_staff_booking("明天吃什么", MONDAY) is None
