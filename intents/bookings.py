"""Bookings in residents' words, read without the database: ordering a meal (明天中午订两份A套餐,
帮我妈订礼拜一到礼拜五的饭送上门), seeing, changing and cancelling orders (我的订餐, 取消明天的饭,
改成B套餐), delivery for elders (报名送餐, 下礼拜停一个礼拜), and counter appointments
(我想预约办敬老卡, 礼拜三上午有空位吗, 取消预约, 改到礼拜四).

Pure: a normalised message and today's date in, a typed request out. Which item an appointment is
for comes from the intent engine; which dishes and meal points are named, from the handler that
knows the menu."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from intents.dates import NamedDay, parse_meal, read_day

_NUMBER = {"一": 1, "两": 2, "二": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9, "十": 10, "半": 0}

# 订 as in ordering food, not 订阅 / 订婚 / 订单号 / 订奶 / 订报.
_ORDER = re.compile(r"(?:预订|订|点|要|买)(?!阅|婚|报|奶|票|机票|书)[^，。？?]{0,8}?(?:\d+|[一两二"
                    r"俩三四五六七八九十几])\s*份"
                    r"|订(?:个|份|一份|两份)?\s*(?:餐|饭|午饭|中饭|晚饭|夜饭|早饭|早餐|午餐|晚餐|"
                    r"套餐|[ab]套餐|[ab]餐)"
                    r"|订[^，。？?]{0,10}?(?:的饭|的餐|套餐|饭菜|的中饭|的午饭|的晚饭|的夜饭|[ab]"
                    r"套)"
                    r"|(?:预订|订)(?:明天|后天|今天|下礼拜|下周|礼拜|星期|周)")
_HOW = re.compile(r"怎么订|哪能订|如何订|可以订吗|能订吗|好订吗|可以订伐|好订伐|能不能订|可不可以"
                  r"订|"
                  r"怎样订|订餐怎么|哪里订|在哪订|订得到吗")
_MY_ORDERS = re.compile(r"我的订餐|我订的饭|我订的餐|我订了(?:什么|啥|哪些|几份)|查(?:一下|查)?(?:"
                        r"我的)?订餐|"
                        r"订餐记录|我的饭订了|看看(?:我的)?订餐|我订的")
_MY_APPOINTMENTS = re.compile(r"我的预约|我约的|我预约了|查(?:一下)?(?:我的)?预约|预约记录|约在哪"
                              r"天|"
                              r"约的(?:是)?几点|约的(?:是)?哪天")
_CANCEL = re.compile(r"取消|退掉|退了|退订|不要了|勿要了|不吃了|不要订了|撤销|撤掉|作废")
_MEAL_WORD = re.compile(r"饭|餐|套餐|[ab]套|份|中饭|午饭|晚饭|夜饭|早饭|订的")
_CHANGE = re.compile(r"改成|换成|改为|换为|改一下|改到|换到|调到|挪到|改约|改期|改时间|换个时间|换"
                     r"一天|"
                     r"改一天|多订|少订|加一份|减一份|再加")
_APPOINT = re.compile(r"预约|约个号|约号|挂个号|排个号|约一下|约个时间|约时间|约一个|预定窗口|网上"
                      r"取号|"
                      r"提前取号|先取号|约个|约好")
_SLOTS = re.compile(r"空位|有号|空号|名额|还有号|号源|能约|约得到|可以约|约满|满了吗|有位子|有位置"
                    r"|空档|"
                    r"空的时间|哪个时间有空|还能约")
_DELIVERY = re.compile(r"送上门|送到家|送到屋|送过来|送到|送来|送餐|送饭|送家里|上门送")
_SIGNUP = re.compile(r"(?:报名|登记|申请|办理|开通)[^，。？?]{0,6}?(?:送餐|送饭|送上门)|"
                     r"(?:送餐|送饭|送上门)[^，。？?]{0,6}?(?:报名|登记|申请|开通)")
_PAUSE = re.compile(r"(?<![电水气车梯])(?:暂停|停(?!电|水|气|车|梯|了电|在|放|止|下来)|不用送|不要"
                    r"送|别送|勿要送|不送)")
_ASKS_HOW = re.compile(r"怎么|如何|哪能|哪里|在哪|什么条件|啥条件|要什么|要啥|能不能|可以吗|好伐|"
                       r"吗$|伐$|？|\?")
_RESUME = re.compile(r"恢复送餐|恢复送饭|重新送|继续送|又要送|回来了.{0,4}送")
_EVERY_DAY = re.compile(r"每天|天天|每日|长期|每个礼拜|每周|以后都")
_DINER = re.compile(r"(?:帮|给|替|为)\s*(?:\d+号楼\d*(?:室|号)?)?\s*((?:我|阿拉)?(?:家)?(?:姆妈|妈"
                    r"妈|老妈|妈|爸爸|老爸|爸|阿爸"
                    r"|母亲|父亲|老伴|老头子|"
                    r"老头|老太婆|老太太|婆婆|公公|外婆|外公|奶奶|爷爷|阿婆|阿爷|老母亲|老父亲|丈"
                    r"人|丈母娘|"
                    r"岳父|岳母|邻居)|[\u4e00-\u9fff]{1,3}(?:阿姨|阿婆|老伯|伯伯|爷叔|奶奶|爷爷|老"
                    r"师|师傅))")
_PORTIONS = re.compile(r"(\d+|[一两二俩三四五六七八九十])\s*(?:份|个人|人份|客)")
_SET = re.compile(r"(?:套餐\s*([ab])(?![a-z])|(?<![a-z])([ab])\s*(?:套餐|套|餐))")
_RANGE = re.compile(r"(.{1,8}?)(?:到|至|~|～|-|－|—)(.{1,8})")
_DURATION = re.compile(r"(\d+|[一两二三四五六七八九十])\s*(?:个)?(礼拜|星期|周|天|日)")
_WEEK = re.compile(r"(下下|下个?|这个?|本)(?:礼拜|星期|周)(?![一二三四五六日天1-7])")
_TIME = re.compile(r"(\d{1,2})\s*(?:点|:|：)\s*(半|\d{2})?")
_CODE = re.compile(r"(?<![a-z])([fsy])\s*-?\s*(\d{1,6})(?!\d)")


@dataclass(frozen=True)
class Days:
    """The days a message names: one, several (礼拜一到礼拜五), none, or one it cannot read."""

    dates: tuple[dt.date, ...] = ()
    unreadable: bool = False


@dataclass(frozen=True)
class MealRequest:
    """订饭 / 改成..: what is known of a meal order. `change` when it alters an existing one."""

    days: Days
    meal: str | None = None
    choice: str | None = None            # "A", "B"
    portions: int | None = None
    delivery: bool = False
    diner: str = ""                      # 我妈; "" for the sender
    every_day: bool = False              # a standing order (每天中午一份)
    change: bool = False


@dataclass(frozen=True)
class HowToOrder:
    """怎么订饭: how ordering in chat works."""


@dataclass(frozen=True)
class MyOrders:
    """我的订餐."""


@dataclass(frozen=True)
class CancelMeal:
    """取消明天的饭 / 退掉 F0012."""

    days: Days
    meal: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class DeliverySignup:
    """报名送餐 / 每天中午一份A套餐送到9号楼302 (a standing order)."""

    meal: str | None = None
    choice: str | None = None
    portions: int | None = None
    diner: str = ""


@dataclass(frozen=True)
class DeliveryPause:
    """下礼拜停一个礼拜: the days a standing delivery stops (empty: not said)."""

    days: Days
    resume: bool = False


@dataclass(frozen=True)
class AppointmentRequest:
    """我想预约办敬老卡 / 礼拜三上午有空位吗 / 改到礼拜四."""

    day: dt.date | None = None
    day_unreadable: bool = False
    half: str | None = None              # "am", "pm"
    time: dt.time | None = None
    only_asks: bool = False              # 有空位吗: show the free slots
    move: bool = False                   # 改约: an existing appointment moves


@dataclass(frozen=True)
class MyAppointments:
    """我的预约."""


@dataclass(frozen=True)
class CancelAppointment:
    """取消预约 / 取消 Y0007."""

    code: str | None = None


BookingRequest = (MealRequest | HowToOrder | MyOrders | CancelMeal | DeliverySignup
                  | DeliveryPause | AppointmentRequest | MyAppointments | CancelAppointment)


def number(word: str) -> int | None:
    """"3", "三", "两" -> 3, 3, 2."""
    if word.isdigit():
        return int(word)
    return _NUMBER.get(word)


def booking_code(text: str) -> tuple[str, str] | None:
    """("F", "F0012") for "f12" / "F0012" in a message."""
    match = _CODE.search(text)
    if match is None:
        return None
    letter = match.group(1).upper()
    return letter, f"{letter}{int(match.group(2)):04d}"


def read_days(text: str, today: dt.date, holidays: Sequence[NamedDay] = ()) -> Days:
    """The days a message names: 明天, 礼拜一到礼拜五, 12月7号到9号, 下礼拜 (its seven days)."""
    span = _RANGE.search(text)
    if span is not None:
        first, last = read_day(span.group(1), today, holidays), read_day(span.group(2), today,
                                                                         holidays)
        if first is not None and last is not None and first.date and last.date:
            end = last.date
            if end < first.date and re.search(r"\d+(?:号|日)", span.group(2)) and \
                    not re.search(r"月", span.group(2)):
                end = dt.date(first.date.year, first.date.month, end.day) \
                    if end.day >= first.date.day else end
            if first.date <= end <= first.date + dt.timedelta(days=62):
                return Days(tuple(first.date + dt.timedelta(days=n)
                                  for n in range((end - first.date).days + 1)))
    found = read_day(text, today, holidays)
    if found is not None:
        if found.date is None:
            return Days(unreadable=True)
        return Days(tuple(found.date + dt.timedelta(days=n) for n in range(found.days)))
    week = _WEEK.search(text)
    if week is not None:
        monday = today - dt.timedelta(days=today.weekday())
        prefix = week.group(1)
        monday += dt.timedelta(days=14 if prefix.startswith("下下") else
                               7 if prefix.startswith("下") else 0)
        return Days(tuple(d for d in (monday + dt.timedelta(days=n) for n in range(7))
                          if d >= today))
    return Days()


def _portions(text: str) -> int | None:
    match = _PORTIONS.search(text)
    return None if match is None else number(match.group(1))


def _choice(text: str) -> str | None:
    match = _SET.search(text)
    return None if match is None else (match.group(1) or match.group(2)).upper()


def _diner(text: str) -> str:
    match = _DINER.search(text)
    return match.group(1).removeprefix("我").removeprefix("阿拉") if match else ""


def half_day(text: str) -> str | None:
    if re.search(r"上午|早上|早浪|上半天|早点", text):
        return "am"
    if re.search(r"下午|下半天|中午以后|午后|下半日", text):
        return "pm"
    return None


def time_of_day(text: str) -> dt.time | None:
    match = _TIME.search(text)
    if match is None:
        return None
    hour = int(match.group(1))
    minute = 30 if match.group(2) == "半" else int(match.group(2) or 0)
    if hour < 7 and re.search(r"下午|午后", text):
        hour += 12
    return dt.time(hour, minute) if hour < 24 and minute < 60 else None


def _pause_days(text: str, today: dt.date, holidays: Sequence[NamedDay]) -> Days:
    """下礼拜停一个礼拜 / 明天到礼拜五不用送 / 停三天 (from tomorrow)."""
    days = read_days(text, today, holidays)
    duration = _DURATION.search(text)
    if duration is None or days.unreadable:
        return days
    amount = number(duration.group(1)) or 0
    length = amount * (7 if duration.group(2) in ("礼拜", "星期", "周") else 1)
    if not 0 < length <= 62:
        return days
    start = days.dates[0] if days.dates else today + dt.timedelta(days=1)
    return Days(tuple(start + dt.timedelta(days=n) for n in range(length)))


def read_booking(text: str, today: dt.date, holidays: Sequence[NamedDay] = ()
                 ) -> BookingRequest | None:
    """The booking a normalised message asks for, or None when it is about something else."""
    code = booking_code(text)
    meal_talk = bool(_MEAL_WORD.search(text)) or (code is not None and code[0] == "F")
    if _MY_ORDERS.search(text) and not _CANCEL.search(text):
        return MyOrders()
    if _MY_APPOINTMENTS.search(text) and not _CANCEL.search(text):
        return MyAppointments()
    appointment_talk = bool(_APPOINT.search(text)) or (code is not None and code[0] == "Y")
    if _CANCEL.search(text):
        if appointment_talk:
            return CancelAppointment(code[1] if code and code[0] == "Y" else None)
        ordered = bool(_ORDER.search(text) or re.search(r"饭|餐", text))
        if (code is not None and code[0] == "F") or (meal_talk and ordered):
            return CancelMeal(read_days(text, today, holidays), parse_meal(text),
                              code[1] if code and code[0] == "F" else None)
    if _RESUME.search(text):
        return DeliveryPause(Days(), resume=True)
    if _PAUSE.search(text) and (_DURATION.search(text) or _WEEK.search(text)
                                or read_days(text, today, holidays).dates
                                or _DELIVERY.search(text)) and not _ORDER.search(text):
        return DeliveryPause(_pause_days(text, today, holidays))
    standing = bool(_EVERY_DAY.search(text) and _DELIVERY.search(text) and (
        _ORDER.search(text) or _SET.search(text) or _PORTIONS.search(text)))
    if (_SIGNUP.search(text) and not _ASKS_HOW.search(text)) or standing:
        return DeliverySignup(parse_meal(text), _choice(text), _portions(text), _diner(text))
    if appointment_talk or (_SLOTS.search(text) and not meal_talk):
        day = read_day(text, today, holidays)
        move = bool(_CHANGE.search(text))
        return AppointmentRequest(day.date if day else None, bool(day and day.unreadable),
                                  half_day(text), time_of_day(text),
                                  only_asks=bool(_SLOTS.search(text)) and not move, move=move)
    if _HOW.search(text) and not _PORTIONS.search(text) and not _DELIVERY.search(text):
        return HowToOrder()
    changing = bool(_CHANGE.search(text)) and meal_talk and not appointment_talk
    if _ORDER.search(text) or changing:
        return MealRequest(read_days(text, today, holidays), parse_meal(text), _choice(text),
                           _portions(text), bool(_DELIVERY.search(text)), _diner(text),
                           bool(_EVERY_DAY.search(text)), changing)
    if _CHANGE.search(text) and read_day(text, today, holidays) is not None and (
            re.search(r"约|号|窗口", text) or half_day(text) or time_of_day(text)):
        day = read_day(text, today, holidays)
        return AppointmentRequest(day.date if day else None, False, half_day(text),
                                  time_of_day(text), move=True)
    return None


def appointment_subject(text: str) -> str:
    """An appointment message without its booking words, for the engine to name the item:
    "我想预约办敬老卡" -> "我想办敬老卡" ("我想预约" names none, not 婚姻登记预约)."""
    text = _APPOINT.sub(" ", text)
    text = _SLOTS.sub(" ", text)
    return _CHANGE.sub(" ", text).strip()


def read_dishes(text: str, dishes: Sequence[str]) -> tuple[str, ...]:
    """The dishes of a day's menu a message names (红烧肉、清炒时蔬), longest names first."""
    found: list[str] = []
    rest = text
    for dish in sorted(dishes, key=len, reverse=True):
        if dish and dish in rest:
            found.append(dish)
            rest = rest.replace(dish, " ")
    return tuple(d for d in dishes if d in found)


# -- the kitchen's and the counter's commands (staff) ------------------------------------------
@dataclass(frozen=True)
class KitchenCounts:
    """订餐统计 / 明天午餐统计: the portions to cook per meal point."""

    day: dt.date
    meal: str


@dataclass(frozen=True)
class DeliveryList:
    """送餐名单: the delivery list by building and floor."""

    day: dt.date
    meal: str


@dataclass(frozen=True)
class DayAppointments:
    """预约名单 / 今天的预约."""

    day: dt.date


@dataclass(frozen=True)
class MarkAppointment:
    """办结 Y0007 / 未到 Y0007."""

    code: str
    state: str                           # done, no_show


@dataclass(frozen=True)
class DecideSignup:
    """批准送餐 S0003 / 不批准 S0003 原因; 送餐登记 (the list waiting) when no code."""

    code: str | None
    approve: bool = True
    why: str = ""


@dataclass(frozen=True)
class ClosePoint:
    """停餐 梅园助餐点 明天 下大雪: a point closes; its orders are cancelled and told."""

    where: str
    days: Days
    meal: str | None
    why: str


@dataclass(frozen=True)
class SoldOut:
    """售罄 红烧肉 / 红烧肉卖完了: residents who ordered it are told."""

    dish: str
    day: dt.date | None
    meal: str | None


StaffBooking = (KitchenCounts | DeliveryList | DayAppointments | MarkAppointment
                | DecideSignup | ClosePoint | SoldOut)

_COUNTS = re.compile(r"订餐统计|订餐数|统计订餐|(?:早餐|午餐|晚餐|早饭|中饭|午饭|晚饭|夜饭)统计|备"
                     r"餐数|要做几份")
_DELIVERY_LIST = re.compile(r"送餐名单|送餐单|送餐清单|送餐表")
_DAY_LIST = re.compile(r"预约名单|预约单|预约表|预约情况|(?:今天|明天|后天|(?:下|这)?(?:礼拜|星期|"
                       r"周)[一二三四五六日天]|"
                       r"\d{1,2}月\d{1,2}[日号]?|\d{1,2}[日号])的?预约(?!办)")
_MARK = re.compile(r"^\s*(办结|已办结|办好了?|完成|未到|没来|爽约)\s*[:：]?\s*y\s*-?\s*(\d{1,6})\s"
                   r"*$"
                   r"|^\s*y\s*-?\s*(\d{1,6})\s*(办结|已办结|办好了?|未到|没来|爽约)\s*$")
_DECIDE = re.compile(r"^\s*(批准送餐|批准|同意送餐|同意|不批准|不同意|拒绝)\s*[:：]?\s*s\s*-?\s*("
                     r"\d{1,6})\s*(.*)$")
_WAITING = re.compile(r"^\s*(?:送餐登记|待审核|送餐审核|等审核的?(?:送餐)?)\s*$")
_CLOSE = re.compile(r"^\s*(?:停餐|停供|关闭|暂停供餐|不开)\s*[:：]?\s*(.+)$")
_SOLD_OUT = re.compile(r"^\s*(?:售罄|卖完|沽清)\s*[:：]?\s*(.+)$|^\s*(.+?)(?:卖完了|售罄了?|没有了"
                       r"|沽清了?)\s*$")
_WHY = re.compile(r"(?:因为|原因)?[:：]?\s*((?:下|台风|暴雨|大雪|停电|停水|检修|放假|节日|装修)[^"
                  r"，。]*)")


def read_staff_booking(text: str, today: dt.date, now_meal: str = "lunch",
                       holidays: Sequence[NamedDay] = ()) -> StaffBooking | None:
    """A kitchen or counter command from staff, or None."""
    day = read_day(text, today, holidays)
    date = day.date if day is not None and day.date is not None else today
    meal = parse_meal(text)
    match = _MARK.match(text)
    if match:
        verb = match.group(1) or match.group(4)
        digits = match.group(2) or match.group(3)
        state = "no_show" if verb in ("未到", "没来", "爽约") else "done"
        return MarkAppointment(f"Y{int(digits):04d}", state)
    match = _DECIDE.match(text)
    if match:
        return DecideSignup(f"S{int(match.group(2)):04d}",
                            not match.group(1).startswith(("不", "拒")),
                            match.group(3).strip(" ，,。"))
    if _WAITING.match(text):
        return DecideSignup(None)
    if _DELIVERY_LIST.search(text):
        return DeliveryList(date, meal or now_meal)
    if _COUNTS.search(text):
        return KitchenCounts(date, meal or now_meal)
    if _DAY_LIST.search(text):
        return DayAppointments(date)
    match = _CLOSE.match(text)
    if match:
        why = _WHY.search(match.group(1))
        return ClosePoint(match.group(1), read_days(match.group(1), today, holidays), meal,
                          why.group(1) if why else "")
    match = _SOLD_OUT.match(text)
    if match:
        dish = (match.group(1) or match.group(2) or "").strip()
        return SoldOut(dish, day.date if day is not None else None, meal)
    return None
