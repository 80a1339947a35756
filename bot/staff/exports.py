"""The desk's data as spreadsheets: CSV in UTF-8 with a BOM (Excel then reads the Chinese) and
the tickets' rows as .xlsx too. The tickets, the kitchen's sheet (counts and delivery list) and
the counter's day are each turned into rows here. Pure: rows in, bytes out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.staff import texts
from bot.staff.figures import TicketFacts

COLUMNS = ("code", "kind", "category", "building", "state", "created_at",
           "first_response_at", "resolved_at", "closed_at", "leader", "within_deadline",
           "reopened", "satisfaction", "种类", "类别", "状态")
KITCHEN_COLUMNS = ("部分", "日期", "餐次", "取餐点", "楼栋", "楼层", "房间", "姓名", "餐",
                   "份数", "备注")
COUNTER_COLUMNS = ("日期", "时间", "预约号", "事项", "居民", "状态")
COUNTS_PART, DELIVERY_PART = "备餐统计", "送餐名单"      # the kitchen sheet's two parts
APPOINTMENT_STATES = {"booked": "已预约", "done": "已办结", "no_show": "未到"}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")   # a cell starting so is a formula to Excel


def rows_of(tickets: Sequence[TicketFacts], zone: dt.tzinfo, now: dt.datetime,
            names: Mapping[str, str] | None = None) -> list[list[str]]:
    """One row per ticket, times in station time (ISO 8601, to the second); the codes are
    followed by their names in Chinese (种类, 类别, 状态) for people reading the sheet."""
    names = names or {}
    def at(moment: dt.datetime | None) -> str:
        return moment.astimezone(zone).isoformat(timespec="seconds") if moment else ""

    def flag(value: bool | None) -> str:
        return "" if value is None else ("yes" if value else "no")

    return [[t.code, t.kind, t.category or "", t.building or "", t.state, at(t.created_at),
             at(t.responded_at), at(t.resolved_at), at(t.closed_at), t.assignee or "",
             flag(t.within_deadline(now)), flag(t.reopened),
             "" if t.satisfaction is None else str(t.satisfaction),
             texts.KINDS.get(t.kind, t.kind), names.get(t.category or "", ""),
             texts.STATES.get(t.state, t.state)] for t in tickets]


# -- the kitchen and the counter -----------------------------------------------------------
@dataclass(frozen=True)
class PointTally:
    """What one meal point (or 送餐上门) needs: portions per set or dish."""

    point: str                       # its name
    portions: Mapping[str, int]      # 套餐A / a dish -> portions
    total: int


@dataclass(frozen=True)
class Stop:
    """One household on the delivery round."""

    building: str
    floor: str                       # "3楼", "" when the room does not say
    room: str
    name: str
    what: str                        # 套餐A, or the dishes chosen
    portions: int
    note: str


@dataclass(frozen=True)
class KitchenSheet:
    """A meal's counts per meal point and per set or dish, and its delivery round."""

    day: dt.date
    meal: str                        # lunch
    meal_name: str                   # 午餐
    columns: tuple[str, ...]         # sets first, then dishes in the menu's order
    tallies: tuple[PointTally, ...]  # the points in the canteen's order, delivery last
    stops: tuple[Stop, ...]          # by building and floor

    @property
    def column_totals(self) -> dict[str, int]:
        return {c: sum(t.portions.get(c, 0) for t in self.tallies) for c in self.columns}

    @property
    def total(self) -> int:
        return sum(t.total for t in self.tallies)

    @property
    def buildings(self) -> list[tuple[str, list[Stop]]]:
        """The delivery round building by building (the stops' order kept)."""
        grouped: dict[str, list[Stop]] = {}
        for stop in self.stops:
            grouped.setdefault(stop.building, []).append(stop)
        return list(grouped.items())


@dataclass(frozen=True)
class Visit:
    """One counter appointment of the day."""

    start: str                       # 09:00
    code: str                        # Y0001
    item: str                        # 敬老卡申领
    resident: str
    state: str                       # booked / done / no_show

    @property
    def state_name(self) -> str:
        return APPOINTMENT_STATES.get(self.state, self.state)


def floor_of(room: str) -> str:
    """The floor a room is on: "302" -> "3楼", "12楼1203室" -> "12楼"; "" when it does not
    say."""
    said = re.search(r"(\d{1,2})\s*(?:楼|层|F)", room or "")
    if said:
        return f"{int(said.group(1))}楼"
    number = re.search(r"\d{3,4}", room or "")
    return f"{int(number.group()) // 100}楼" if number else ""


def kitchen_rows(sheet: KitchenSheet) -> list[list[str]]:
    """The counts (one row per meal point and set or dish), then the delivery round (one
    row per household); 部分 tells them apart."""
    day, meal = sheet.day.isoformat(), sheet.meal_name
    counts = [[COUNTS_PART, day, meal, t.point, "", "", "", "", what, str(n), ""]
              for t in sheet.tallies for what in sheet.columns
              if (n := t.portions.get(what, 0))]
    round_ = [[DELIVERY_PART, day, meal, "送餐上门", s.building, s.floor, s.room, s.name,
               s.what, str(s.portions), s.note] for s in sheet.stops]
    return counts + round_


def counter_rows(day: dt.date, visits: Sequence[Visit]) -> list[list[str]]:
    """One row per appointment, by time."""
    return [[day.isoformat(), v.start, v.code, v.item, v.resident, v.state_name]
            for v in visits]


# -- writing -------------------------------------------------------------------------------
def _cell(value: str) -> str:
    """A value Excel shows as written: one that would start a formula (a resident's name
    "=HYPERLINK(...)") is kept as text."""
    return "'" + value if value.startswith(_FORMULA) else value


def as_csv(rows: Sequence[Sequence[str]], columns: Sequence[str] = COLUMNS) -> bytes:
    """The rows under their header (the tickets' unless told), as CSV with a UTF-8 BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(rows: Sequence[Sequence[str]]) -> bytes:
    """The same rows as an Excel workbook (one sheet, 工单)."""
    from openpyxl import Workbook  # only when a spreadsheet is asked for

    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([_cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
