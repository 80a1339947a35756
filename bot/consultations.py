"""Questions the bot answered outright, counted per day and catalogue category in memory and
written behind in batches (`yizhan serve` every scheduler_seconds and on stopping): the
station's published figure of consultations, without a write per question."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from bot.kb.model import Knowledge

FAQ_GROUP = "驿站常见问题"


@dataclass(frozen=True)
class TallyRow:
    """Questions answered on one day about one category: how many, and how many of them about
    an item done on the spot (当场办结)."""

    day: dt.date
    category: str
    answered: int
    on_the_spot: int


class ConsultationTally:
    """The counts not yet written."""

    def __init__(self, knowledge: Knowledge) -> None:
        self._groups = {item.id: (item.category, item.on_the_spot)
                        for item in knowledge.items}
        self._counts: Counter[tuple[dt.date, str, bool]] = Counter()

    def count(self, ref: str, day: dt.date) -> None:
        """One question answered outright with an item (or a station FAQ)."""
        category, spot = self._groups.get(ref, (FAQ_GROUP, False))
        self._counts[(day, category, spot)] += 1

    def take(self) -> list[TallyRow]:
        """The counts so far, as rows; they are forgotten here (put them `back` if writing
        them fails)."""
        rows: dict[tuple[dt.date, str], list[int]] = {}
        for (day, category, spot), n in self._counts.items():
            row = rows.setdefault((day, category), [0, 0])
            row[0] += n
            row[1] += n if spot else 0
        self._counts.clear()
        return [TallyRow(day, category, answered, spot)
                for (day, category), (answered, spot) in sorted(rows.items())]

    def back(self, rows: list[TallyRow]) -> None:
        """Rows that could not be written, counted again for the next try."""
        for row in rows:
            self._counts[(row.day, row.category, True)] += row.on_the_spot
            self._counts[(row.day, row.category, False)] += row.answered - row.on_the_spot
