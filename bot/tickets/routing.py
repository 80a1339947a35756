"""Who handles a ticket: the building's leader, their backup while they are away, or duty staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.kb.model import Building, Roster
from intents.details import read_place


@dataclass(frozen=True)
class Assignment:
    """Where a ticket goes and why."""

    assignee: str | None        # a leader's name; None is the station's duty queue
    reason: str                 # "leader", "backup" (leader away), "duty" (no leader)


@dataclass(frozen=True)
class Address:
    """A building (as named in the roster) and, where said, unit and room."""

    building: str
    unit: str | None = None
    room: str | None = None


class TicketRouter:
    """Routing over the roster. Pure: the roster and a date in, a route out."""

    def __init__(self, roster: Roster) -> None:
        self._buildings = {b.name: b for b in roster.buildings}
        self._away = {p.name: p.away_until for p in roster.people}
        self._staff = roster.staff

    def building(self, name: str) -> Building | None:
        """A building of the roster by its exact name."""
        return self._buildings.get(name)

    def address(self, text: str) -> Address | None:
        """The building of the roster (unit, room) a text names: "9号楼2单元301" -> 9号楼."""
        place = read_place(text)
        if place.building_name not in self._buildings:
            return None
        return Address(place.building_name or "",
                       str(place.unit) if place.unit is not None else None, place.room)

    def away_until(self, person: str) -> dt.date | None:
        """The day a person is away until, if the roster says so."""
        return self._away.get(person)

    def available(self, person: str, today: dt.date) -> bool:
        """Whether a leader is reachable (not away) on a day."""
        away_until = self._away.get(person)
        return away_until is None or today > away_until

    def route(self, building: str | None, today: dt.date) -> Assignment:
        """The leader of the building; the backup while the leader is away; else duty."""
        found = self._buildings.get(building or "")
        if found is None:
            return Assignment(None, "duty")
        if found.leader and self.available(found.leader, today):
            return Assignment(found.leader, "leader")
        if found.backup and self.available(found.backup, today):
            return Assignment(found.backup, "backup")
        return Assignment(None, "duty")

    def on_duty(self, when: dt.datetime) -> list[str]:
        """Staff on duty that day (all staff if the rota names nobody)."""
        day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[when.weekday()]
        return [s.name for s in self._staff if day in s.duty_days] or [
            s.name for s in self._staff]

    def buildings_of(self, leader: str) -> list[str]:
        """Buildings a person leads or backs up."""
        return [b.name for b in self._buildings.values() if leader in (b.leader, b.backup)]
