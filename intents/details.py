"""Details residents give about a problem: where it is (building, unit, floor, room, spot) and
a phone number. Pure: text in, values out; nothing is invented that the message does not say.

`read_place` reads the surface text (Simplified, ASCII digits): 9号楼2单元301, 12号301室,
三楼到四楼当中, 4楼，402, 不是12号楼，是23号楼, 楼道里, 厨房.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from intents.normalise import chinese_numeral_to_int, spoken_tens

_NUMERAL = "零〇一二两三四五六七八九十百廿卅"
_NUMBER = rf"(\d{{1,4}}|[{_NUMERAL}]{{1,4}})"
# 三四楼之间 (two single numerals before 楼): the third and the fourth floor, not floor 34.
_FLOOR_PAIR = re.compile(r"([一二三四五六七八九])([一二三四五六七八九])\s*(?:楼|层)")
_BUILDING = re.compile(rf"(不是|不在)?\s*{_NUMBER}\s*(号楼|号栋|栋|幢|号(?![房室]))")
_UNIT = re.compile(rf"{_NUMBER}\s*单元")
_FLOOR_RANGE = re.compile(
    rf"{_NUMBER}\s*(?:楼|层)?\s*(?:到|和|与|跟|至|~|-|－)\s*{_NUMBER}\s*(?:楼|层)(?!道|梯)"
    r"\s*(?:之间|中间|当中|当间|中央)?")
_FLOOR = re.compile(rf"(?<![号\d]){_NUMBER}\s*(?:楼|层)(?!道|梯|下|上|房|顶)")
_ROOM = re.compile(r"(?<![\d.:\-A-Za-z])(\d{3,4})\s*(?:室|号房|房间|号)?"
                   r"(?![\d年月日号楼层元块岁点分:])")
_AND = re.compile(r"\s*(?:和|跟|与|及|、|还有|以及)\s*")
_BETWEEN = re.compile(r"\s*的?\s*(?:之间|中间|当中|当间|中央)")   # 9号楼和10号楼之间: one place
_DASH_ADDRESS = re.compile(r"(?<!\d)(\d{1,3})\s*[-－—]\s*(\d{3,4})(?!\d)")   # 12-301
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
_FILLER = re.compile(
    # a correction first (不对，是6号楼 / 搞错了，应该是隔壁6号楼 / 我是说6号楼), then the
    # little words around a place
    r"不对|勿对|错了|搞错|弄错|写错|说错|讲错|打错|应该|其实|改成|改为|不好意思|抱歉|隔壁|"
    r"我是说|我是讲|是说|是讲|说的是|讲的是|我的意思是|意思是|那盏|这盏|那一盏|"
    r"[\s，,。.!！?？、：:；;~～]+|是|在|就|的|住|我家|我|家|哦|啊|呀|呢|吧|吗|伐|嗯|对|"
    r"不是|位置|地址|地方|那个|这个|那边|这边|门牌|号码|里|了|室")


@dataclass(frozen=True)
class Place:
    """Where something is, as far as the message says."""

    building: int | None = None          # 12 -> "12号楼"
    unit: int | None = None
    floors: tuple[int, ...] = ()         # (3,) or (3, 4): between the third and fourth floor
    room: str | None = None              # "301"
    spot: str | None = None              # 楼道, 电梯, 厨房
    only_place: bool = False             # the message says nothing but the place
    # Other buildings the message names with the same problem (9号楼和10号楼的楼道灯都坏了):
    # `building` is the last one named, these the ones before it.
    others: tuple[int, ...] = ()

    @property
    def building_name(self) -> str | None:
        """"12号楼", the roster's way of naming a building."""
        return f"{self.building}号楼" if self.building is not None else None

    @property
    def location(self) -> str | None:
        """Everything below the building: "2单元301室", "3楼到4楼之间楼道", "4楼402室"."""
        parts = []
        if self.unit is not None:
            parts.append(f"{self.unit}单元")
        if len(self.floors) == 2:
            parts.append(f"{self.floors[0]}楼到{self.floors[1]}楼之间")
        elif self.floors:
            parts.append(f"{self.floors[0]}楼")
        if self.room:
            parts.append(f"{self.room}室")
        if self.spot:
            parts.append(self.spot)
        return "".join(parts) or None

    @property
    def empty(self) -> bool:
        """Whether the message names no place at all."""
        return self.building is None and self.location is None

    def merged(self, newer: Place) -> Place:
        """This place completed (or corrected) by what a later message says."""
        return Place(newer.building if newer.building is not None else self.building,
                     newer.unit if newer.unit is not None else self.unit,
                     newer.floors or self.floors, newer.room or self.room,
                     newer.spot or self.spot)


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else chinese_numeral_to_int(text)


def read_place(text: str, spots: Sequence[str] = ()) -> Place:
    """The place a message names; `spots` are the station's words for places (楼道, 车库)."""
    text = _FLOOR_PAIR.sub(r"\1楼到\2楼", spoken_tens(text))
    rest = text
    building: int | None = None
    dash = _DASH_ADDRESS.search(text)
    room: str | None = None
    if dash:
        building, room = int(dash.group(1)), dash.group(2)
        rest = rest.replace(dash.group(0), " ")
    named: list[int] = []
    joined = True      # each building after the first joined to it by 和 / 、 (not 我住9号楼，…)
    last_end: int | None = None
    for match in _BUILDING.finditer(text):
        value = _number(match.group(2))
        if value is None or value == 0 or value > 999 or (
                match.group(3) == "号" and value >= 100):   # 301号 is a room
            continue
        rest = rest.replace(match.group(0), " ", 1)
        if match.group(1):          # 不是12号楼: a correction names the other one
            continue
        building = value
        if last_end is not None and not _AND.fullmatch(text[last_end:match.start()]):
            joined = False
        last_end = match.end()
        named.append(value)
    unit_match = _UNIT.search(rest)
    unit = _number(unit_match.group(1)) if unit_match else None
    if unit_match:
        rest = rest.replace(unit_match.group(0), " ", 1)
    floors: tuple[int, ...] = ()
    between = _FLOOR_RANGE.search(rest)
    if between:
        low, high = _number(between.group(1)), _number(between.group(2))
        if low is not None and high is not None and 0 < low < 100 and 0 < high < 100:
            floors = (min(low, high), max(low, high)) if low != high else (low,)
            rest = rest.replace(between.group(0), " ", 1)
    if not floors:
        floor = _FLOOR.search(rest)
        value = _number(floor.group(1)) if floor else None
        if floor and value is not None and 0 < value < 100:
            floors = (value,)
            rest = rest.replace(floor.group(0), " ", 1)
    if room is None:
        found = _ROOM.search(rest)
        if found and not _PHONE.search(rest):
            room = found.group(1)
            rest = rest.replace(found.group(0), " ", 1)
    spot = next((s for s in sorted(spots, key=len, reverse=True) if s in rest), None)
    if spot:
        rest = rest.replace(spot, " ", 1)
    place = Place(building, unit, floors, room, spot)
    leftover = _FILLER.sub("", rest)
    in_between = last_end is not None and _BETWEEN.match(text, last_end) is not None
    others = tuple(dict.fromkeys(b for b in named if b != building)) \
        if joined and not dash and not in_between else ()
    return Place(building, unit, floors, room, spot,
                 only_place=not place.empty and not leftover, others=others)


_SPOKEN_DIGITS = str.maketrans("零〇一幺二两三四五六七八九", "0011223456789")
_SPOKEN_NUMBER = re.compile(r"[零〇一幺二两三四五六七八九]{11}")


def _spoken_digits(text: str) -> str:
    """一三八零零零零一二三四 (a phone number said digit by digit) -> 13800001234."""
    return _SPOKEN_NUMBER.sub(lambda m: m.group(0).translate(_SPOKEN_DIGITS), text)


def read_phone(text: str) -> str | None:
    """A mobile number in the message (138 0000 1234, 一三八零零零零一二三四 -> 13800001234)."""
    found = _PHONE.search(_spoken_digits(text))
    return "".join(found.groups()) if found else None


def masked_phone(phone: str) -> str:
    """All but the last four digits hidden: 13800001234 -> *******1234."""
    digits = re.sub(r"\D", "", phone)
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


# A mainland ID number (18 characters, the last may be X): never kept as written.
_ID_NUMBER = re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx](?!\d)")


def mask_phones(text: str) -> str:
    """Phone numbers in free text masked, as leaders see them until they open the ticket;
    ID numbers masked for good (only the last four kept)."""
    text = _ID_NUMBER.sub(lambda m: "*" * 14 + m.group()[-4:], _spoken_digits(text))
    return _PHONE.sub(lambda m: masked_phone("".join(m.groups())), text)


def only_phone(text: str) -> bool:
    """Whether the message is a phone number and little else ("我电话13800001234")."""
    text = _spoken_digits(text)
    found = _PHONE.search(text)
    if not found:
        return False
    rest = re.sub(r"电话|手机|号码|打|给|联系|我的|我|是|可以|这个|[\s，,。.!！:：]", "",
                  text.replace(found.group(0), ""))
    return len(rest) <= 2


# A death in the family, told (我爸去世了, 老伴上个月走了, 阿哥走脱了): the answer starts with a
# word of sympathy. Read on the surface text (not the dialect-mapped one: 只狗走脱了 is a dog
# run off). 走了 / 走脱 / 没了 count only right after a person and a time (老公出差走了 tells no
# death).
_KIN = (r"(?:人|他|她|伊|老人家?|老伴|老头子?|老太婆?|老太太|爸爸?|妈妈?|父亲|母亲|爹|娘|姆妈|"
        r"外公|外婆|爷爷|奶奶|公公|婆婆|丈夫|老公|老婆|妻子|儿子|女儿|舅舅|爷叔|姑妈|哥哥|姐姐|"
        r"阿哥|阿姐|娘舅)")
_WHEN = (r"(?:已经|刚刚?|早就|上个月|上个礼拜|上礼拜|上周|前几天|前两天|前段时间|昨天|去年|前年|"
         r"今年)?")
_A_DEATH = re.compile(rf"去世(?![纪界])|过世|逝世|病故|故世|离世|身故|过辈|"
                      rf"{_KIN}{_WHEN}(?:走了|走脱了?|没了|不在了)")


def tells_of_a_death(text: str) -> bool:
    """Whether the message tells of someone's death."""
    return _A_DEATH.search(text) is not None
