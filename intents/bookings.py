"""Bookings in residents' words, read without the database: ordering a meal (明天中午订两份A套餐,
帮我妈订礼拜一到礼拜五的饭送上门), seeing, changing and cancelling orders (我的订餐, 取消明天的饭,
改成B套餐), delivery for elders (报名送餐, 下礼拜停一个礼拜, 以后不要送了), and counter appointments
(我想预约办敬老卡, 礼拜三上午有空位吗, 取消预约, 改到礼拜四). Staff's kitchen and counter
commands are read here too (订餐统计, 送餐名单, 停餐, 售罄, 办结 Y0001).

Pure: a normalised message and today's date in, a typed request out. Which item an appointment is
for comes from the intent engine; which dishes and meal points are named, from the handler that
knows the menu."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from intents.dates import NamedDay, parse_meal, read_day

_DIGITS = {"零": 0, "一": 1, "两": 2, "二": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7,
           "捌": 8, "玖": 9}
_MEASURE = r"(?:(?<!身)份|只|客|盒|人份|分(?=\s*(?:[ab](?![a-z])|套餐|饭)))"   # 1分a套餐: 份
# A number of portions as written: 2, 两, 十一, and what is no number of portions (1.5, 三四,
# 负一, 几): those read as 0, which every order refuses with the range it takes.
_COUNT = (r"(负?\d+(?:\.\d+)?|负?[零一两二俩三四五六七八九十壹贰叁肆伍陆柒捌玖拾]{1,3}|几)")
_PORTIONS = re.compile(_COUNT + r"\s*(?:" + _MEASURE + r"|个(?=\s*[ab](?![a-z])))")
_NOT_FOOD = re.compile(r"报纸|报刊|杂志|牛奶|鲜奶|桶装水|矿泉水|车票|机票|门票|电影票|蛋糕|鲜花|快"
                       r"递|"
                       r"酒店|宾馆|房间|出租车|车子|书")
_FOOD = r"(?:饭|餐|套餐|菜|[ab](?![a-z]))"
# 订 as in ordering food (not 订阅 / 订婚 / 订单号); 要 / 点 / 买 / 留 only with food after the
# count (要一份缴存明细 and 买过一份保险 are no orders).
_ORDER = re.compile(r"(?:预订|订)(?!阅|婚|单号|金)[^，。？?]{0,8}?" + _COUNT + r"\s*" + _MEASURE
                    + r"|(?:要|点|买|留|来|送|拿|取|定)[^，。？?]{0,4}?" + _COUNT
                    + r"\s*(?:" + _MEASURE + r"|个)\s*" + _FOOD
                    + r"|" + _FOOD + r"[^，。？?]{0,4}?(?:来|要|留|订|送)\s*" + _COUNT + r"\s*"
                    + _MEASURE
                    + r"|(?:帮|给|替)[^，。？?]{0,8}?(?:饭|餐)[^，。？?]{0,3}送(?:上门|过去|到|一"
                      r"份|来)"
                    r"|(?:帮|给|替)[^，。？?]{0,8}?送" + _COUNT + r"\s*" + _MEASURE
                    + r"|订\s*(?:这个|这只|这份|只|份|个)?\s*[ab](?![a-z])"
                    r"|^(?:今天|明天|后天|明朝|后日|(?:礼拜|星期|周)[一二三四五六日天])(?:中午|晚"
                    r"上|夜里|"
                    r"中浪|夜快)?(?:的饭)?订$"
                    r"|^[ab]\s*(?:套餐)?\s*" + _COUNT + r"\s*" + _MEASURE
                    + r"|^" + _COUNT + r"\s*" + _MEASURE + r"\s*[ab](?![a-z])"
                    r"|[ab]\s*(?:套餐)?[^，。？?]{0,3}送(?:到|上门|过来|过去)"
                    r"|订(?:个|份|一份|两份)?\s*(?:餐|饭|午饭|中饭|晚饭|夜饭|早饭|早餐|午餐|晚餐|"
                    r"套餐|"
                    r"[ab]套餐|[ab]餐)"
                    r"|订[^，。？?]{0,10}?(?:的饭|的餐|套餐|饭菜|的中饭|的午饭|的晚饭|的夜饭|[ab]"
                    r"套)"
                    r"|(?:预订|订)(?:明天|后天|今天|下礼拜|下周|礼拜|星期|周)"
                    r"|^(?:今天|明天|后天|明朝|后日|(?:礼拜|星期|周)[一二三四五六日天])?(?:中午|晚"
                    r"上|夜里|"
                    r"中浪|夜快)?" + _COUNT + r"\s*个\s*[ab](?![a-z])")
# 明朝中浪食堂B套餐两份: a day, a place or set, and a count is an order, though 订 is not said
_STATED = re.compile(r"(?:[ab](?![a-z])\s*(?:套餐)?|饭|餐|食堂|助餐点|吃饭点)\s*" + _COUNT + r"\s*"
                     + _MEASURE + r"\W*$")
# 再订一份好伐 asks for an order, politely: no question
_SOFTENER = re.compile(r"(?:好伐|好吗|好不好|可以伐|可以吗|行伐|行吗|好哇|谢谢)\W*$")
_NEGATED = re.compile(r"(?:不要|不想|不用|别|勿要|甭|不必)(?:给我|帮我|再)?(?:订|预订|点)")
_PRICE = re.compile(r"多少钱|几钱|几块|价格|价钿|贵不贵|便宜|刷.{0,3}卡|付钱|付款|怎么付")
_ASKS = re.compile(r"吗|伐|么$|嘛|？|\?|能不能|可不可以|好不好|行不行|是不是|有没有")
_HOW = re.compile(r"怎么订|哪能订|如何订|可以订吗|能订吗|好订吗|可以订伐|好订伐|能不能订|可不可以"
                  r"订|"
                  r"怎样订|订餐怎么|哪里订|在哪订|订得到吗|几点截止|几点前订|什么时候截止|截止时间|"
                  r"最晚几点|提前多久订|要提前|提前订|手机上订|网上订|手机订|能不能退|可以退吗|好"
                  r"退伐|能退吗|"
                  r"退得掉吗")
_MY_ORDERS = re.compile(r"我的订餐|[\u4e00-\u9fff]{1,3}的订餐|"
                        r"(?:饭|餐)订(?:了|好了|上了)(?:吗|伐|没)|我[订定](?:的|额|个)(?:饭|餐)|我"
                        r"订的餐|订了(?:什么|啥|哪些|几份|多少)|"
                        r"查(?:一下|查)?(?:我的)?订餐|订餐记录|我的饭订了|看看(?:我的)?订餐|我[订"
                        r"定]的|"
                        r"订好了吗|订上了吗")
_MY_DELIVERY = re.compile(r"我的送餐|(?:我妈|我爸|我家|老人)?的?送餐(?:登记)?(?:审核|批)(?:好了|了"
                          r"|过了|下来)"
                          r"|送餐(?:登记)?(?:怎么样了|进度|批了吗|通过了吗)|查询?\s*s\s*\d+")
_MY_APPOINTMENTS = re.compile(r"我的预约|我约的|我预约了|查(?:一下)?(?:我的)?预约|预约记录|约在哪"
                              r"天|"
                              r"约的(?:是)?几点|约的(?:是)?哪天|我约了(?:几点|哪天|什么时候|啥辰光"
                              r"|哪一天)")
_CANCEL = re.compile(r"取消|退掉|退订|退了吧|不要了|勿要了|不吃了|不去吃了|不来吃了?|不要订了|撤销"
                     r"|撤掉|"
                     r"作废|也不要了?$|也不用了?$|也勿要了?$|(?<![弄做搞学写拿过回下上进出])不(?:"
                     r"去|来)了|"
                     r"(?<![弄做搞学写拿过回下上进出])(?:去|来)不了了")
_MEAL_WORD = re.compile(r"饭|餐|套餐|[ab]套|(?<!身)份|中饭|午饭|晚饭|夜饭|早饭|订的|吃")
_CHANGE = re.compile(r"改成|换成|改为|换为|改一下|改到|换到|调到|挪到|改约|改期|改时间|换个时间|换"
                     r"一天|"
                     r"改一天|多订|少订|加一份|减一份|再加")
_APPOINT = re.compile(r"预约|约个号|约号|挂个号|排个号|约一下|约个时间|约时间|约一个|预定窗口|网上"
                      r"取号|"
                      r"提前取号|先取号|约个|约好")
_APPOINT_CANCEL = re.compile(r"勿约了?|不约了|不预约了|约不要了|预约不要了|不去办了|预约.{0,4}(?:"
                             r"不去了|去不了|"
                             r"来不了|不来了)")
_SLOTS = re.compile(r"空位|有号|空号|名额|还有号|号源|能约|约得到|可以约|约满|满了吗|有位子|有位置"
                    r"|空档|"
                    r"空的时间|哪个时间有空|还能约|有空[伐吗么]|空伐")
_DELIVERY = re.compile(r"送上门|送到家|送到屋|送过来|送到|送来|送餐|送饭|送家里|上门送|送(?:过去|"
                       r"上来|上去)|"
                       r"送(?:一|两|二|三|四|五|\d)+(?:份|只|客)")
_SIGNUP = re.compile(r"(?:报名|登记|申请|办理|开通)[^，。？?]{0,6}?(?:送餐|送饭|送上门)|"
                     r"(?:送餐|送饭|送上门)[^，。？?]{0,6}?(?:报名|登记|申请|开通)|"
                     r"(?:我|阿拉|我们)?[^，。？?]{0,3}(?:要|想要|需要)(?:人)?(?:送饭|送餐)(?:上门"
                     r")?$|"
                     r"(?:要|想要|需要)(?:人)?送饭上门|"
                     r"^(?:好的?|行|那|嗯)?\W*(?:那)?(?:就)?(?:帮|给|替)(?:她|他|伊|我妈|我爸|老人"
                     r"|我)?"
                     r"(?:报名|登记)(?:一下|吧)?\W*$")
_ASKS_HOW = re.compile(r"怎么|如何|哪能|哪里|在哪|什么条件|啥条件|要什么|要啥|能不能|可以吗|好伐|"
                       r"吗$|伐$|？|\?|多少|几钱|费用|送餐费")
# Asking how booking works or whether it is needed (婚姻登记怎么预约, 要预约吗), not asking to
# book; 有空位吗 is asking to book.
_ASKS_ABOUT = re.compile(r"怎么|如何|哪能|在哪|哪里|要不要|需不需要|用不用|需要预约|要预约|要先|得"
                         r"先|"
                         r"要提前|是不是|吗|伐|么|？|\?")
_WANTS = re.compile(r"(?:我|阿拉|我们)(?:想|要)(?:先)?(?:预约|约)|(?:想|帮我|给我|替我|麻烦)(?:先)?"
                    r"(?:预约|约)")
# What is booked elsewhere: hospitals, vaccines, housekeeping, banks, the traffic police.
_ELSEWHERE = re.compile(r"挂号|医院|门诊|看病|看毛病|疫苗|体检|专家号|牙科|牙医|家政|保洁|保姆|月"
                        r"嫂|钟点工|"
                        r"理发|车管|驾照|驾驶证|护照|签证|港澳通行证")
_NOT_BOOKING = re.compile(r"不是要?(?:预约|约)|不用预约|不要预约|不想预约|不需要预约")
_STOP = re.compile(r"以后(?:都)?(?:不要|不用|勿要|别)(?:再)?送|不要再送|不用再送|勿要再送|别再送|"
                   r"停掉送餐|"
                   r"退掉送餐|取消送餐|不要送餐了|送餐不要了|以后不要了|以后都不要了")
# A pause of a standing delivery: said with 送 or as a stretch of days (停一个礼拜, 停到月底);
# 不停, 停掉 (a card, a pension), 停电 are other things.
_PAUSE = re.compile(r"暂停送|停送|(?:暂停|停)(?:一|两|二|三|四|五|六|七|八|九|十|几|\d)+\s*(?:个)?"
                    r"(?:礼拜|星期|周|天|日)|停到|不用送|不要送|别送|勿要送|不送了|不用来送")
_UNTIL = re.compile(r"停到(.{1,10})|到(.{1,8}?)(?:再|才)?(?:送|回来)")
_RESUME = re.compile(r"恢复送餐|恢复送饭|重新送|继续送|又要送|回来了.{0,4}送")
_EVERY_DAY = re.compile(r"每天|天天|每日|长期|每个礼拜|每周|以后都")
_KIN = (r"姆妈|妈妈|老妈|妈|爸爸|老爸|爸|阿爸|母亲|父亲|老伴|老头子|老头|老太婆|老太太|婆婆|公公|"
        r"外婆|"
        r"外公|奶奶|爷爷|阿婆|阿爷|老母亲|老父亲|丈人|丈母娘|岳父|岳母|邻居")
_KIN_SAME = {"姆妈": "妈", "妈妈": "妈", "老妈": "妈", "母亲": "妈", "老母亲": "妈", "爸爸": "爸",
             "老爸": "爸", "阿爸": "爸", "父亲": "爸", "老父亲": "爸", "老头子": "老头",
             "老太太": "老太婆"}
_CALLED = (r"[\u4e00-\u9fff]{1,3}(?:阿姨|阿婆|老伯|伯伯|爷叔|奶奶|爷爷|老师|师傅|老太太|老太|阿公|"
           r"阿爷|老先生)")                                                         # 王阿婆
_DINER = re.compile(r"(?:帮|给|替|为)\s*(?:\d+号楼\d*(?:室|号)?的?)?\s*"
                    r"((?:我们|我|阿拉)?(?:家)?(?:" + _KIN + r")|" + _CALLED + r")")
_WHOSE = re.compile(r"^(?:我们|我|阿拉)(?:家)?(" + _KIN + r")")       # 我爸明天不要送了
_SET_WORDS = re.compile(r"套餐\s*([ab])(?![a-z])|(?<![a-z])([ab])\s*(?:套餐|套|餐)|"
                        r"(?:份|只|客|个)\s*([ab])(?![a-z])|(?:订|成|要|换|来)\s*([ab])(?![a-z])")
_SET_COUNT = re.compile(_COUNT + r"\s*" + _MEASURE + r"\s*(?:套餐\s*)?([ab])(?![a-z])|"
                        r"(?:套餐\s*)?([ab])\s*(?:套餐|套|餐)?\s*" + _COUNT + r"\s*" + _MEASURE)
_RANGE = re.compile(r"(.{1,8}?)(?:到|至|~|～|-|－|—)(.{1,8})")
# 停两天, 停一个礼拜 (not the 四 of 礼拜四礼拜五)
_ASIDE = re.compile(r"(?<=[问看查说讲想])一下(?=(?:礼拜|星期|周)[一二三四五六日天])")
_DURATION = re.compile(r"(?<!礼拜)(?<!星期)(?<!周)(\d+|[一两二三四五六七八九十]+)\s*(?:个)?"
                       r"(礼拜|星期|周|天|日)")
_WEEK = re.compile(r"(下下|下个?|这个?|本)(?:礼拜|星期|周)(?![一二三四五六日天1-7])")
_TIME = re.compile(r"(\d{1,2})\s*(?:点|:|：)\s*(半|\d{2})?")
_CODE = re.compile(r"(?<![a-z])([fsy])\s*-?\s*(\d{1,6})(?!\d)")
_DAY_WORDS = re.compile(r"(?:下下|下个?|这个?|本|上个?)?(?:礼拜|星期|周)[一二三四五六日天1-7]?|大?"
                        r"后天|"
                        r"明天|今天|明朝|今朝|后日|上午|下午|早上|中午|晚上|下半天|上半天|"
                        r"\d{1,2}月\d{1,2}[日号]?|\d{1,2}[日号]|\d{1,2}\s*(?:点|:|：)\s*(?:半|\d{2"
                        r"})?"
                        r"(?:分)?|[一二三四五六七八九十]{1,3}点(?:半)?")
_FILLER = re.compile(r"我|想|要|办|一下|个|去|帮|请问|可以|能|吗|伐|呢|的|了|有|没有|在|到|时间|号|"
                     r"空|好|事|情|阿拉|侬|哦|啊|呀|吧|\W")


@dataclass(frozen=True)
class Days:
    """The days a message names: one, several (礼拜一到礼拜五), none, or one it cannot read."""

    dates: tuple[dt.date, ...] = ()
    unreadable: bool = False


@dataclass(frozen=True)
class MealRequest:
    """订饭 / 改成..: what is known of a meal order. `change` when it alters an existing one;
    `mix` when the message orders two sets at once (两份A一份B); `asks` when it is put as a
    question (能订两份A套餐吗), which is confirmed before it is placed."""

    days: Days
    meal: str | None = None
    choice: str | None = None            # "A", "B"
    portions: int | None = None          # 0: said, but no number of portions (1.5, 三四)
    delivery: bool = False
    diner: str = ""                      # 我妈; "" for the sender
    every_day: bool = False              # a standing order (每天中午一份)
    change: bool = False
    mix: tuple[tuple[str, int], ...] = ()
    asks: bool = False
    more: int = 0                        # 多加一份 (+1), 减一份 (-1): portions added to an order


@dataclass(frozen=True)
class HowToOrder:
    """怎么订饭 / 订餐几点截止: how ordering in chat works, and the cut-offs."""


@dataclass(frozen=True)
class MyOrders:
    """我的订餐."""


@dataclass(frozen=True)
class CancelMeal:
    """取消明天的饭 / 退掉 F0012 / 取消礼拜四的 (`anything`: an order or an appointment)."""

    days: Days
    meal: str | None = None
    code: str | None = None
    anything: bool = False
    choice: str | None = None            # 把A套餐那份退掉


@dataclass(frozen=True)
class DeliverySignup:
    """报名送餐 / 每天中午一份A套餐送到9号楼302 (a standing order)."""

    meal: str | None = None
    choice: str | None = None
    portions: int | None = None
    diner: str = ""


@dataclass(frozen=True)
class DeliveryPause:
    """下礼拜停一个礼拜 (`days`; empty: not said), 恢复送餐 (`resume`), 以后不要送了 (`stop`);
    `whose`: the family word of the elder it is about (我爸明天不要送了)."""

    days: Days
    resume: bool = False
    stop: bool = False
    whose: str = ""


@dataclass(frozen=True)
class MyDelivery:
    """我的送餐 / 送餐审核好了吗 / 查询 S0001; 我妈的送餐改成B套餐 (`choice`)."""

    code: str | None = None
    choice: str | None = None
    whose: str = ""
    portions: int | None = None          # 以后每天送两份
    meal: str | None = None              # 夜饭也要送 ("both")


@dataclass(frozen=True)
class AppointmentRequest:
    """我想预约办敬老卡 / 礼拜三上午有空位吗 / 改到礼拜四."""

    day: dt.date | None = None
    day_unreadable: bool = False
    half: str | None = None              # "am", "pm"
    time: dt.time | None = None
    only_asks: bool = False              # 有空位吗: show the free slots
    move: bool = False                   # 改约: an existing appointment moves
    named_subject: bool = False          # it names something besides booking words
    asks_how: bool = False               # 怎么预约 / 要预约吗: a question, not a request
    elsewhere: bool = False              # 预约挂号 / 预约疫苗: booked elsewhere, not here


@dataclass(frozen=True)
class MyAppointments:
    """我的预约."""


@dataclass(frozen=True)
class CancelAppointment:
    """取消预约 / 取消 Y0007."""

    code: str | None = None


BookingRequest = (MealRequest | HowToOrder | MyOrders | CancelMeal | DeliverySignup
                  | DeliveryPause | MyDelivery | AppointmentRequest | MyAppointments
                  | CancelAppointment)


def number(word: str) -> int | None:
    """"3", "三", "两", "十一", "二十" -> 3, 3, 2, 11, 20; None for what is no whole number."""
    if word.isdigit():
        return int(word)
    word = word.replace("拾", "十")
    if not word or any(c not in _DIGITS and c != "十" for c in word):
        return None
    if "十" not in word:
        return _DIGITS[word] if len(word) == 1 else None
    tens, _, ones = word.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (_DIGITS.get(tens, 0) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)


def portions_of(text: str) -> int | None:
    """How many portions a message orders; 0 when it says a number that is none (1.5, 三四份,
    负一份, 几份); None when it says none."""
    match = _PORTIONS.search(text)
    if match is None:
        return None
    word = match.group(1)
    if word.startswith("负") or "." in word or re.search(r"\d[\s.,，]" + re.escape(word) + "$",
                                                          text[:match.end(1)]):
        return 0                         # 1.5 (normalised to "1 5")
    return number(word) or 0


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
            if first.date <= end <= first.date + dt.timedelta(days=62):
                return Days(tuple(first.date + dt.timedelta(days=n)
                                  for n in range((end - first.date).days + 1)))
    text = text.replace("后日", "后天").replace("明朝", "明天")
    parts = re.split(r"[和跟与及、，,]|还有|(?=(?:礼拜|星期|周)[一二三四五六日天])", text)
    listed = [read_day(part, today, holidays) for part in parts]
    dates = sorted({d.date for d in listed if d is not None and d.date is not None})
    if len(dates) > 1 and dates[-1] <= dates[0] + dt.timedelta(days=62):
        return Days(tuple(dates))                   # 礼拜三和礼拜四
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


_MORE = re.compile(r"(?:多|再|另)?(加|减|少)\s*" + _COUNT + r"\s*" + _MEASURE)


def _more(text: str) -> int:
    """多加一份 -> 1, 减两份 -> -2; 0 when the message adds or takes none."""
    match = _MORE.search(text)
    if match is None:
        return 0
    amount = number(match.group(2)) or 0
    return amount if match.group(1) == "加" else -amount


def _choice(text: str) -> str | None:
    match = _SET_WORDS.search(text)
    return None if match is None else next(g for g in match.groups() if g).upper()


def _mix(text: str) -> tuple[tuple[str, int], ...]:
    """两份A套餐一份B套餐 -> (("A", 2), ("B", 1)); () unless two different sets are counted."""
    pairs: list[tuple[str, int]] = []
    for match in _SET_COUNT.finditer(text):
        count, letter, letter2, count2 = match.groups()
        amount = number(count or count2 or "") or 0
        pairs.append(((letter or letter2).upper(), amount))
    return tuple(pairs) if len({p[0] for p in pairs}) > 1 else ()


def _plain(word: str) -> str:
    """我妈 / 阿拉姆妈 / 妈妈 -> 妈: one word for each family member, however said."""
    word = word.removeprefix("我们").removeprefix("我").removeprefix("阿拉").removeprefix("家")
    return _KIN_SAME.get(word, word)


def _diner(text: str) -> str:
    match = _DINER.search(text) or _WHOSE.search(text)
    return _plain(match.group(1)) if match else ""


def called_name(text: str) -> str:
    """The name an elder goes by, said anywhere in a message: 刘阿婆, 叫老钱 -> 老钱."""
    named = re.search(r"叫([\u4e00-\u9fff]{2,3}?)(?=[，,。\s]|$|今年|\d)", text)
    if named and not re.search(r"送|报名|工作人员", named.group(1)):
        return named.group(1)
    called = re.search(_CALLED, text)
    if called is None:
        return ""
    return re.sub(r"^(?:帮|给|替|为|我们|我|的|是|叫|阿拉|送|报名|登记|家)+", "", called.group(0)) \
        or called.group(0)


def kin_of(word: str) -> str:
    """"妈" for 我妈 / 阿拉姆妈 / 妈妈 (how a family calls the elder); "" for a name."""
    match = re.fullmatch(r"(?:我们|我|阿拉)?(?:家)?(" + _KIN + r")", word)
    return _plain(match.group(1)) if match else ""


def _whose(text: str) -> str:
    match = _WHOSE.search(text) or _DINER.search(text)
    return _plain(match.group(1)) if match else ""


def half_day(text: str) -> str | None:
    """"am" for 上午, "pm" for 下午; None."""
    if re.search(r"上午|早上|早浪|上半天|早点", text):
        return "am"
    if re.search(r"下午|下半天|中午以后|午后|下半日|晚上|夜里", text):
        return "pm"
    return None


def time_of_day(text: str) -> dt.time | None:
    """The clock time a message names (9点半, 14:00, 下午3点, 晚上8点)."""
    match = _TIME.search(text)
    if match is None:
        return None
    hour = int(match.group(1))
    minute = 30 if match.group(2) == "半" else int(match.group(2) or 0)
    if hour < 12 and re.search(r"下午|午后|晚上|夜里|傍晚", text):
        hour += 12
    return dt.time(hour, minute) if hour < 24 and minute < 60 else None


def _pause_days(text: str, today: dt.date, holidays: Sequence[NamedDay]) -> Days:
    """下礼拜停一个礼拜 / 明天到礼拜五不用送 / 停三天 (from tomorrow) / 停到月底."""
    until = _UNTIL.search(text)
    if until is not None:
        target = until.group(1) or until.group(2) or ""
        if "月底" in target:
            last = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - \
                dt.timedelta(days=1)
        else:
            found = read_day(target, today, holidays)
            last = found.date if found is not None and found.date is not None else today
        said = read_days(text[:until.start()], today, holidays).dates
        first = said[0] if said else today + dt.timedelta(days=1)
        if first <= last <= first + dt.timedelta(days=62):
            return Days(tuple(first + dt.timedelta(days=n)
                              for n in range((last - first).days + 1)))
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


def appointment_subject(text: str) -> str:
    """An appointment message without its booking words and times, for the engine to name the
    item: "我想预约办敬老卡" -> "我想办敬老卡"; "礼拜三9点半预约敬老卡" -> "敬老卡"
    ("我想预约" names none, not 婚姻登记预约)."""
    for pattern in (_APPOINT, _SLOTS, _CHANGE, _DAY_WORDS):
        text = pattern.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def _names_something(text: str) -> bool:
    """Whether an appointment message names a subject besides booking and filler words."""
    return bool(_FILLER.sub("", appointment_subject(text)))


def read_booking(text: str, today: dt.date, holidays: Sequence[NamedDay] = (),
                 names_dish: bool = False) -> BookingRequest | None:
    """The booking a normalised message asks for, or None when it is about something else.
    `names_dish`: the message names a dish of the menu (订黄焖鸡和蒜蓉菠菜 orders them)."""
    text = _ASIDE.sub(" ", text)          # 问一下礼拜三 is this Wednesday, not 下礼拜三
    code = booking_code(text)
    meal_talk = bool(_MEAL_WORD.search(text)) or (code is not None and code[0] == "F")
    if _MY_DELIVERY.search(text) and not _CANCEL.search(text):
        return MyDelivery(code[1] if code and code[0] == "S" else None, None, _whose(text))
    standing_change = bool(re.search(r"送(?:的)?(?:餐|饭)", text) and _CHANGE.search(text)) or bool(
        re.search(r"以后", text) and re.search(r"送", text) and portions_of(text)) or bool(
        re.search(r"也要送|也送", text) and parse_meal(text))
    if standing_change and not read_days(text, today, holidays).dates:
        also = parse_meal(text) if re.search(r"也要送|也送", text) else None
        return MyDelivery(None, _choice(text), _whose(text), portions_of(text),
                          "both" if also else None)     # 我妈的送餐改成B套餐 / 夜饭也要送
    if _MY_ORDERS.search(text) and not _CANCEL.search(text):
        return MyOrders()
    if _MY_APPOINTMENTS.search(text) and not _CANCEL.search(text):
        return MyAppointments()
    appointment_talk = bool(_APPOINT.search(text)) or (code is not None and code[0] == "Y")
    if _APPOINT_CANCEL.search(text):
        return CancelAppointment(code[1] if code and code[0] == "Y" else None)
    if _STOP.search(text):
        return DeliveryPause(Days(), stop=True, whose=_whose(text))
    if _CANCEL.search(text) and not _DELIVERY.search(text):
        if appointment_talk:
            return CancelAppointment(code[1] if code and code[0] == "Y" else None)
        ordered = bool(_ORDER.search(text) or re.search(r"饭|餐", text))
        if (code is not None and code[0] == "F") or (meal_talk and ordered):
            return CancelMeal(read_days(text, today, holidays), parse_meal(text),
                              code[1] if code and code[0] == "F" else None,
                              choice=_choice(text))
        days = read_days(text, today, holidays)
        if days.dates and len(_FILLER.sub("", _DAY_WORDS.sub("", _CANCEL.sub("", text)))) <= 1:
            return CancelMeal(days, anything=True)                # 取消礼拜四的
    if _RESUME.search(text):
        return DeliveryPause(Days(), resume=True, whose=_whose(text))
    if _PAUSE.search(text) and not _ORDER.search(text) and (
            len(text) <= 30 or _DELIVERY.search(text)):
        return DeliveryPause(_pause_days(text, today, holidays), whose=_whose(text))
    standing = bool(_EVERY_DAY.search(text) and _DELIVERY.search(text) and (
        _ORDER.search(text) or _SET_WORDS.search(text) or _PORTIONS.search(text)))
    if (_SIGNUP.search(text) and not _ASKS_HOW.search(text)) or standing:
        return DeliverySignup(parse_meal(text), _choice(text), portions_of(text), _diner(text))
    asks_about = (bool(_ASKS_ABOUT.search(text)) and not _WANTS.search(text)
                  and not _SLOTS.search(text)) or bool(_NOT_BOOKING.search(text)) or (
        len(text) > 40 and not _WANTS.search(text))
    learning = bool(re.search(r"学.{0,8}预约|教.{0,8}预约|预约.{0,8}(?:教|学)", text))
    if appointment_talk and learning:
        return None                 # 想学手机上预约看病: a wish to learn, not a booking
    if appointment_talk and _ELSEWHERE.search(text) and (len(text) <= 40 or _WANTS.search(text)):
        return AppointmentRequest(named_subject=True, asks_how=asks_about, elsewhere=True)
    if appointment_talk and asks_about and not _SLOTS.search(text):
        return AppointmentRequest(named_subject=_names_something(text), asks_how=True)
    if appointment_talk or (_SLOTS.search(text) and not meal_talk):
        day = read_day(text, today, holidays)
        move = bool(_CHANGE.search(text))
        return AppointmentRequest(day.date if day else None, bool(day and day.unreadable),
                                  half_day(text), time_of_day(text),
                                  only_asks=bool(_SLOTS.search(text)) and not move, move=move,
                                  named_subject=_names_something(text))
    if _HOW.search(text) and not _PORTIONS.search(text) and not _DELIVERY.search(text) and \
            re.search(r"饭|餐|食堂|套餐|菜|中午|晚上|早上|夜里|中浪", text):
        return HowToOrder()
    if _NEGATED.search(text) or _NOT_FOOD.search(text):
        return None
    changing = (bool(_CHANGE.search(text)) or bool(_MORE.search(text))) and meal_talk \
        and not appointment_talk
    dish_order = names_dish and bool(re.search(r"订|自选|点(?!心)|留|拿|(?:要|各)\s*" + _COUNT
                                               + r"\s*" + _MEASURE, text)) \
        and not _ASKS.search(text)
    stated = bool(_STATED.search(text)) and read_days(text, today, holidays).dates != ()
    if _ORDER.search(text) or changing or dish_order or stated:
        if _PRICE.search(text) and not changing:
            return None                  # 订一份A套餐要多少钱: a question about prices
        more = _more(text) if changing else 0
        days = read_days(text, today, holidays)
        portions = None if more else portions_of(text)
        asks = bool(_ASKS.search(_SOFTENER.sub("", text))) and not changing
        if asks and not days.dates and portions is None and _choice(text) is None:
            return HowToOrder()               # 订饭可以在手机上订吗
        return MealRequest(days, parse_meal(text), _choice(text), portions,
                           bool(_DELIVERY.search(text)), _diner(text),
                           bool(_EVERY_DAY.search(text)), changing, _mix(text), asks, more)
    if _CHANGE.search(text) and read_day(text, today, holidays) is not None and (
            re.search(r"约|号|窗口", text) or half_day(text) or time_of_day(text)):
        day = read_day(text, today, holidays)
        return AppointmentRequest(day.date if day else None, False, half_day(text),
                                  time_of_day(text), move=True)
    return None


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
    """订餐统计 / 明天午餐统计: the portions to cook per meal point (meal None: not said)."""

    day: dt.date
    meal: str | None


@dataclass(frozen=True)
class DeliveryList:
    """送餐名单: the delivery list by building and floor (meal None: not said)."""

    day: dt.date
    meal: str | None


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
    """停餐 梅园助餐点 明天 下大雪: a point closes; its orders are cancelled and told.
    `reopen`: 取消停餐 / 恢复供餐."""

    where: str
    days: Days
    meal: str | None
    why: str
    reopen: bool = False


@dataclass(frozen=True)
class SoldOut:
    """售罄 红烧肉 / 红烧肉卖完了 / 售罄 A套餐: residents who ordered it are told."""

    dish: str
    day: dt.date | None
    meal: str | None


StaffBooking = (KitchenCounts | DeliveryList | DayAppointments | MarkAppointment
                | DecideSignup | ClosePoint | SoldOut)

_COUNTS = re.compile(r"订餐统计|订餐数|统计订餐|(?:早餐|午餐|晚餐|早饭|中饭|午饭|晚饭|夜饭|早上|中"
                     r"午|晚上)"
                     r"的?(?:统计|人数|份数)|备餐数|要做几份|吃饭人数|订饭人数|订餐人数|几个人吃|"
                     r"订了多少份|订了几份|"
                     r"^(?:今天|明天|后天|(?:下|这)?(?:礼拜|星期|周)[一二三四五六日天])?的?(?:统计"
                     r"|数量)$")
_DELIVERY_LIST = re.compile(r"送餐名单|送餐单|送餐清单|送餐表")
_DAY_LIST = re.compile(r"预约名单|预约单|预约表|预约情况|(?:今天|明天|后天|(?:下|这)?(?:礼拜|星期|"
                       r"周)[一二三四五六日天]|\d{1,2}月\d{1,2}[日号]?|\d{1,2}[日号])的?预约(?!办)")
_MARK = re.compile(r"^\s*(办结|已办结|办好了?|完成|未到|没来|爽约)\s*[:：]?\s*y\s*-?\s*(\d{1,6})\s"
                   r"*$"
                   r"|^\s*y\s*-?\s*(\d{1,6})\s*(办结|已办结|办好了?|未到|没来|爽约)\s*$")
_DECIDE = re.compile(r"^\s*(批准送餐|批准|同意送餐|同意|不批准|不同意|拒绝)\s*[:：]?\s*s\s*-?\s*"
                     r"(\d{1,6})\s*(.*)$")
_WAITING = re.compile(r"^\s*(?:送餐登记|待审核|送餐审核|等审核的?(?:送餐)?)\s*$")
_REOPEN = re.compile(r"^\s*(?:取消停餐|恢复供餐|恢复开放|重新开放?)\s*[:：]?\s*(.+)$")
_CLOSE = re.compile(r"^\s*(?:停餐|停供|关闭|暂停供餐|不开)\s*[:：]?\s*(.+)$")
_SOLD_OUT = re.compile(r"^\s*(?:售罄|卖完|沽清)\s*[:：]?\s*(.+)$|^\s*(.+?)(?:卖完了|售罄了?|没有了|"
                       r"沽清了?)\s*$")
_WHY = re.compile(r"(?:因为|原因)?[:：]?\s*((?:下|台风|暴雨|大雪|停电|停水|检修|放假|节日|装修)[^"
                  r"，。]*)")


def read_staff_booking(text: str, today: dt.date,
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
        return DeliveryList(date, meal)
    if _COUNTS.search(text):
        return KitchenCounts(date, meal)
    if _DAY_LIST.search(text):
        return DayAppointments(date)
    match = _REOPEN.match(text)
    if match:
        return ClosePoint(match.group(1), read_days(match.group(1), today, holidays), meal, "",
                          reopen=True)
    match = _CLOSE.match(text)
    if match:
        why = _WHY.search(match.group(1))
        return ClosePoint(match.group(1), read_days(match.group(1), today, holidays), meal,
                          why.group(1) if why else "")
    match = _SOLD_OUT.match(text)
    if match:
        dish = (match.group(1) or match.group(2) or "").strip()
        letter = re.fullmatch(r"(?:套餐\s*)?([ab])\s*(?:套餐|套|餐)?", dish.split()[0]) \
            if dish else None
        if letter is not None:
            dish = f"套餐{letter.group(1).upper()}"
        else:
            dish = _DAY_WORDS.sub("", dish).strip()
        return SoldOut(dish, day.date if day is not None else None, meal)
    return None
