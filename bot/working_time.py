"""The station's working time: deadlines count its opening hours on working days, not the
clock. Mainland holidays and make-up working days (调休) come from `chinese-calendar` for the
years it knows; `knowledge/calendar.toml` adds and overrides them (public holidays, and
`workdays` for make-up days). Quiet hours keep reminders from waking anyone. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cached_property

from bot.kb.model import WEEKDAYS

SEARCH_DAYS = 400        # no working day within this many: the clock counts instead
QUIET = (dt.time(21, 0), dt.time(8, 0))     # no reminder between these (emergencies aside)


@dataclass(frozen=True)
class WorkingCalendar:
    """Opening hours per weekday, holidays and make-up days, in the station's time zone.

    The station's own days (`own_holidays`, `own_workdays`) go over the mainland's, which
    are read from `chinese-calendar` when a deadline first needs them (not at start-up)."""

    hours: Mapping[str, tuple[dt.time, dt.time]]        # mon -> (08:30, 17:00)
    own_holidays: Collection[dt.date] = ()
    own_workdays: Collection[dt.date] = ()              # 调休: a weekend day worked
    zone: dt.tzinfo = dt.UTC
    quiet: tuple[dt.time, dt.time] = QUIET

    @classmethod
    def of_station(cls, office_hours: tuple[tuple[str, dt.time, dt.time], ...],
                   public_holidays: Collection[dt.date], workdays: Collection[dt.date],
                   zone: dt.tzinfo) -> WorkingCalendar:
        """The station's calendar: its own holidays and make-up days, over the mainland's
        from `chinese-calendar` (for the years that package knows)."""
        return cls({day: (opening, closing) for day, opening, closing in office_hours},
                   frozenset(public_holidays), frozenset(workdays), zone)

    @cached_property
    def _days_off_and_on(self) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
        """Every holiday and every make-up working day: the mainland's, the station's over
        them."""
        holidays, extra = set(self.own_holidays), set(self.own_workdays)
        years = {d.year for d in holidays | extra} | {dt.date.today().year}
        official = _official(min(years) - 1, max(years) + 1)
        return frozenset((official[0] - extra) | holidays), frozenset(official[1] | extra)

    @property
    def holidays(self) -> frozenset[dt.date]:
        return self._days_off_and_on[0]

    @property
    def workdays(self) -> frozenset[dt.date]:
        return self._days_off_and_on[1]

    def opening(self, date: dt.date) -> tuple[dt.time, dt.time] | None:
        """The hours the station works on a date, or None on a day off."""
        if date in self.holidays and date not in self.workdays:
            return None
        if date in self.workdays:     # 调休: a weekend day worked as a full weekday
            return self.hours.get("mon") or next(iter(self.hours.values()), None)
        return self.hours.get(WEEKDAYS[date.weekday()])

    def add(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment `hours` of working time after `start` (wall-clock when the station keeps
        no hours)."""
        left = dt.timedelta(hours=hours)
        local = start.astimezone(self.zone)
        for offset in range(SEARCH_DAYS):
            date = local.date() + dt.timedelta(days=offset)
            span = self._span(date)
            if span is None:
                continue
            begin, end = max(span[0], local), span[1]
            if begin >= end:
                continue
            if end - begin >= left:
                return (begin + left).astimezone(start.tzinfo)
            left -= end - begin
        return start + dt.timedelta(hours=hours)

    def deadline(self, start: dt.datetime, hours: float, emergency: bool = False
                 ) -> dt.datetime:
        """When a response is due: working time, or the clock for an emergency."""
        return start + dt.timedelta(hours=hours) if emergency else self.add(start, hours)

    def hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working hours from `start` to `end` (0 when `end` is not later)."""
        if end <= start:
            return 0.0
        total = dt.timedelta()
        first, last = start.astimezone(self.zone), end.astimezone(self.zone)
        for offset in range((last.date() - first.date()).days + 1):
            span = self._span(first.date() + dt.timedelta(days=offset))
            if span is not None:
                begin, finish = max(span[0], first), min(span[1], last)
                if finish > begin:
                    total += finish - begin
        return total.total_seconds() / 3600

    def is_quiet(self, moment: dt.datetime) -> bool:
        """Whether it is the middle of the night for the people a reminder would wake."""
        at = moment.astimezone(self.zone).time()
        start, end = self.quiet
        return at >= start or at < end if start > end else start <= at < end

    def _span(self, date: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        hours = self.opening(date)
        if hours is None:
            return None
        return (dt.datetime.combine(date, hours[0], self.zone),
                dt.datetime.combine(date, hours[1], self.zone))


def _official(first: int, last: int) -> tuple[set[dt.date], set[dt.date]]:
    """The mainland's holidays and make-up working days between two years, as far as the
    `chinese-calendar` package knows them."""
    import chinese_calendar  # only when a calendar is built

    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for year in range(first, last + 1):
        day = dt.date(year, 1, 1)
        while day.year == year:
            try:
                festival = chinese_calendar.get_holiday_detail(day)[1] is not None
                if chinese_calendar.is_holiday(day) and (festival or day.weekday() < 5):
                    holidays.add(day)
                elif chinese_calendar.is_workday(day) and day.weekday() >= 5:
                    workdays.add(day)
            except NotImplementedError:   # a year the package does not know
                break
            day += dt.timedelta(days=1)
    return holidays, workdays
