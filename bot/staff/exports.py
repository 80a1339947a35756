"""Tickets as a spreadsheet: CSV in UTF-8 with a BOM (Excel then reads the Chinese) and the
same rows as .xlsx. Pure: rows in, bytes out."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence

from bot.staff import texts
from bot.staff.figures import TicketFacts

COLUMNS = ("code", "kind", "category", "building", "state", "created_at",
           "first_response_at", "resolved_at", "closed_at", "leader", "within_deadline",
           "reopened", "satisfaction", "种类", "类别", "状态")


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


def as_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """The rows under their header, as CSV with a UTF-8 BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(rows: Sequence[Sequence[str]]) -> bytes:
    """The same rows as an Excel workbook (one sheet, 工单)."""
    from openpyxl import Workbook  # only when a spreadsheet is asked for

    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
