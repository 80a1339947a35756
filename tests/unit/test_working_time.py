"""Deadlines in the station's working time: opening hours, weekends, mainland holidays and
make-up days, the station's own calendar, quiet hours."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.kb.loader import load_knowledge
from bot.working_time import WorkingCalendar
from tests.support import copy_knowledge

ZONE = ZoneInfo("Asia/Shanghai")
HOURS = (*((day, dt.time(8, 30), dt.time(17, 0)) for day in ("mon", "tue", "wed", "thu", "fri")),
         ("sat", dt.time(9, 0), dt.time(12, 0)))


def at(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZONE)


def station(holidays: tuple[dt.date, ...] = (), workdays: tuple[dt.date, ...] = ()
            ) -> WorkingCalendar:
    return WorkingCalendar.of_station(HOURS, holidays, workdays, ZONE)


def test_hours_count_inside_opening_hours() -> None:
    calendar = station()
    assert calendar.add(at(23, 9), 4) == at(23, 13)                 # Monday morning
    assert calendar.add(at(23, 15), 4) == at(24, 10, 30)            # overnight
    assert calendar.add(at(23, 21), 2) == at(24, 10, 30)            # filed at night
    assert calendar.add(at(27, 16), 5) == at(30, 9, 30)             # Fri 1h, Sat 3h, Mon
    assert calendar.hours_between(at(23, 9), at(24, 10, 30)) == 10.0


def test_emergencies_count_the_clock() -> None:
    assert station().deadline(at(23, 23), 1, emergency=True) == at(24, 0)
    assert station().deadline(at(23, 23), 1) == at(24, 9, 30)


def test_mainland_holidays_and_make_up_days() -> None:
    calendar = station()
    assert calendar.opening(dt.date(2026, 10, 1)) is None           # National Day
    assert calendar.opening(dt.date(2026, 10, 3)) is None           # a Saturday inside it
    assert calendar.opening(dt.date(2026, 10, 10)) == (dt.time(8, 30), dt.time(17, 0))
    assert calendar.opening(dt.date(2026, 9, 20)) == (dt.time(8, 30), dt.time(17, 0))  # Sun
    assert calendar.add(at(30, 16, 0, month=9), 2) == at(8, 9, 30, month=10)


def test_the_stations_calendar_adds_and_overrides() -> None:
    new_year = dt.date(2027, 1, 1)                                  # a year the package lacks
    calendar = station(holidays=(new_year, dt.date(2026, 11, 25)),
                       workdays=(dt.date(2027, 1, 9),))
    assert calendar.opening(new_year) is None
    assert calendar.add(at(24, 16), 2) == at(26, 9, 30)            # Wednesday closed
    assert calendar.opening(dt.date(2027, 1, 9)) == (dt.time(8, 30), dt.time(17, 0))  # 调休


def test_quiet_hours() -> None:
    calendar = station()
    assert calendar.is_quiet(at(23, 2)) and calendar.is_quiet(at(23, 21, 30))
    assert not calendar.is_quiet(at(23, 8)) and not calendar.is_quiet(at(23, 20, 59))


def test_no_opening_hours_means_the_clock() -> None:
    calendar = WorkingCalendar.of_station((), (), (), ZONE)
    assert calendar.add(at(23, 21), 2) == at(23, 23)


def test_calendar_toml_names_make_up_days(tmp_path: Path) -> None:
    folder = copy_knowledge(tmp_path)
    path = folder / "calendar.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "workdays = []", "workdays = [2027-01-09]"), encoding="utf-8")
    assert load_knowledge(folder).workdays == (dt.date(2027, 1, 9),)
