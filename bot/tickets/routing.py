"""Who handles a ticket: the building's leader, their backup while they are away, or duty staff."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.kb.model import Building, Roster

_BUILDING = re.compile(r"(\d{1,3})\s*(?:号楼|栋|幢|号(?!房))")
_UNIT = re.compile(r"(\d{1,2})\s*(?:单元)")
_ROOM = re.compile(r"(?<![\d号])(\d{3,4})(?:室|号房)?(?![\d号楼层])")


@dataclass(frozen=True)
class Route:
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
        """The building (unit, room) a normalised message names: "9号楼2单元301" -> 9号楼."""
        for match in _BUILDING.finditer(text):
            name = f"{int(match.group(1))}号楼"
            if name in self._buildings:
                rest = text[match.end():]
                unit = _UNIT.search(rest)
                room = _ROOM.search(rest)
                return Address(name, unit.group(1) if unit else None,
                               room.group(1) if room else None)
        return None

    def available(self, person: str, today: dt.date) -> bool:
        """Whether a leader is reachable (not away) on a day."""
        away_until = self._away.get(person)
        return away_until is None or today > away_until

    def route(self, building: str | None, today: dt.date) -> Route:
        """The leader of the building; the backup while the leader is away; else duty."""
        found = self._buildings.get(building or "")
        if found is None:
            return Route(None, "duty")
        if found.leader and self.available(found.leader, today):
            return Route(found.leader, "leader")
        if found.backup and self.available(found.backup, today):
            return Route(found.backup, "backup")
        return Route(None, "duty")

    def on_duty(self, when: dt.datetime) -> list[str]:
        """Staff on duty that day (all staff if the rota names nobody)."""
        day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[when.weekday()]
        return [s.name for s in self._staff if day in s.duty_days] or [
            s.name for s in self._staff]

    def buildings_of(self, leader: str) -> list[str]:
        """Buildings a person leads or backs up."""
        return [b.name for b in self._buildings.values() if leader in (b.leader, b.backup)]
