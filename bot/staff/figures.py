"""The station's numbers for a period, from its tickets. Pure: rows in, figures out.

A ticket counts in the period it was created in (station time). Withdrawn (cancelled) and
merged tickets are listed but left out of the rates: nobody had to resolve them."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

NOT_COUNTED = ("cancelled", "merged")     # left out of the rates


@dataclass(frozen=True)
class TicketFacts:
    """What the numbers need of one ticket (times are aware)."""

    id: int
    code: str
    kind: str                      # report, wish, consult
    category: str | None
    building: str | None
    state: str
    assignee: str | None
    created_at: dt.datetime
    responded_at: dt.datetime | None
    due_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    reopened: bool = False
    satisfaction: int | None = None

    @property
    def done_at(self) -> dt.datetime | None:
        """When it was resolved: a repair marked done, a wish fulfilled (a declined wish was
        not resolved)."""
        return self.resolved_at or (self.closed_at if self.kind == "wish"
                                    and self.state == "closed" else None)

    def within_deadline(self, now: dt.datetime) -> bool | None:
        """Whether the first response came by its deadline; None while that is still open
        (or when there was no deadline)."""
        if self.due_at is None:
            return None
        if self.responded_at is not None:
            return self.responded_at <= self.due_at
        return False if now > self.due_at and self.state not in NOT_COUNTED else None


@dataclass(frozen=True)
class LeaderRow:
    """One line of the per-leader table."""

    name: str
    tickets: int
    resolved: int
    median_response_hours: float | None
    within_deadline: float | None
    satisfaction: float | None = None
    rated: int = 0


@dataclass(frozen=True)
class Consultations:
    """Questions the bot answered outright in a period, by catalogue category."""

    by_category: list[tuple[str, int, int]]      # category, answered, about 当场办结 items

    @property
    def answered(self) -> int:
        return sum(n for _, n, _ in self.by_category)

    @property
    def on_the_spot(self) -> int:
        return sum(n for _, _, n in self.by_category)


def consultations(rows: Iterable[tuple[str, int, int]]) -> Consultations:
    """Day rows summed per category, the most asked first."""
    summed: dict[str, list[int]] = {}
    for category, answered, spot in rows:
        total = summed.setdefault(category, [0, 0])
        total[0] += answered
        total[1] += spot
    return Consultations(sorted(((c, a, s) for c, (a, s) in summed.items()),
                                key=lambda row: (-row[1], row[0])))


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard shows for one period."""

    start: dt.date
    end: dt.date                                   # inclusive
    total: int
    by_state: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    by_building: list[tuple[str, int]]
    per_day: list[tuple[dt.date, int, int]]        # date, new, resolved
    resolution_rate: float | None
    median_response_hours: float | None
    median_resolution_hours: float | None
    within_deadline: float | None
    reopen_rate: float | None
    satisfaction: float | None
    rated: int
    leaders: list[LeaderRow] = field(default_factory=list)
    # category (or kind), mean rating, how many rated
    satisfaction_by_category: list[tuple[str, float, int]] = field(default_factory=list)
    wishes_made: int = 0
    wishes_claimed: int = 0
    wishes_fulfilled: int = 0

    @property
    def fulfilment_rate(self) -> float | None:
        return self.wishes_fulfilled / self.wishes_made if self.wishes_made else None


def period_of(choice: str, today: dt.date, start: dt.date | None = None,
              end: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The dates (inclusive) of 本周 (week), 本月 (month) or a custom range; a custom range
    given backwards is turned round."""
    if choice == "week":
        return today - dt.timedelta(days=today.weekday()), today
    if choice == "custom" and start is not None and end is not None:
        return (start, end) if start <= end else (end, start)
    return today.replace(day=1), today


def compute(tickets: Sequence[TicketFacts], start: dt.date, end: dt.date,
            zone: dt.tzinfo, now: dt.datetime) -> Figures:
    """The figures of the tickets created between `start` and `end` (station dates)."""
    def day(moment: dt.datetime) -> dt.date:
        return moment.astimezone(zone).date()

    inside = [t for t in tickets if start <= day(t.created_at) <= end]
    counted = [t for t in inside if t.state not in NOT_COUNTED]
    resolved = [t for t in counted if t.done_at is not None]
    new_per_day = Counter(day(t.created_at) for t in inside)
    done_per_day = Counter(day(t.done_at) for t in tickets
                           if t.done_at is not None and start <= day(t.done_at) <= end)
    dates = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    rated = [t.satisfaction for t in counted if t.satisfaction is not None]
    wishes = [t for t in counted if t.kind == "wish"]
    return Figures(
        start=start, end=end, total=len(inside),
        by_state=Counter(t.state for t in inside).most_common(),
        by_category=Counter(t.category or t.kind for t in inside).most_common(),
        by_building=Counter(t.building or "-" for t in inside).most_common(),
        per_day=[(d, new_per_day[d], done_per_day[d]) for d in dates],
        resolution_rate=len(resolved) / len(counted) if counted else None,
        median_response_hours=_median_hours((t.created_at, t.responded_at) for t in counted),
        median_resolution_hours=_median_hours((t.created_at, t.done_at) for t in counted),
        within_deadline=_on_time(counted, now),
        reopen_rate=(sum(t.reopened for t in resolved) / len(resolved)) if resolved else None,
        satisfaction=statistics.fmean(rated) if rated else None, rated=len(rated),
        leaders=_leaders(counted, now),
        satisfaction_by_category=_ratings_by_category(counted),
        wishes_made=len(wishes),
        wishes_claimed=sum(t.responded_at is not None and t.state != "declined"
                           for t in wishes),
        wishes_fulfilled=sum(t.state == "closed" for t in wishes),
    )


def _on_time(tickets: Sequence[TicketFacts], now: dt.datetime) -> float | None:
    """The share of first responses given by their deadline, among those decided already."""
    decided = [w for w in (t.within_deadline(now) for t in tickets) if w is not None]
    return sum(decided) / len(decided) if decided else None


def _median_hours(spans: Iterable[tuple[dt.datetime, dt.datetime | None]]) -> float | None:
    hours = [(done - begun).total_seconds() / 3600 for begun, done in spans if done is not None]
    return statistics.median(hours) if hours else None


def _ratings_by_category(tickets: Sequence[TicketFacts]) -> list[tuple[str, float, int]]:
    by: dict[str, list[int]] = {}
    for t in tickets:
        if t.satisfaction is not None:
            by.setdefault(t.category or t.kind, []).append(t.satisfaction)
    return sorted(((c, statistics.fmean(r), len(r)) for c, r in by.items()),
                  key=lambda row: (-row[2], row[0]))


def _leaders(tickets: Sequence[TicketFacts], now: dt.datetime) -> list[LeaderRow]:
    rows = []
    names = sorted({t.assignee for t in tickets if t.assignee})
    for name in names:
        theirs = [t for t in tickets if t.assignee == name]
        rated = [t.satisfaction for t in theirs if t.satisfaction is not None]
        rows.append(LeaderRow(
            name=name, tickets=len(theirs),
            resolved=sum(t.done_at is not None for t in theirs),
            median_response_hours=_median_hours((t.created_at, t.responded_at) for t in theirs),
            within_deadline=_on_time(theirs, now),
            satisfaction=statistics.fmean(rated) if rated else None, rated=len(rated)))
    return sorted(rows, key=lambda r: (-r.tickets, r.name))
