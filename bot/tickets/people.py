"""Who is who at the station: building leaders, volunteers and staff, by roster name and by
their platform accounts. Pure: built once from the roster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from bot.kb.model import WEEKDAYS, Roster
from bot.messages import IncomingMessage
from bot.tickets import texts
from bot.turn import Actor


class StationPeople:
    """The roster's people, looked up by name, alias and platform account."""

    def __init__(self, roster: Roster,
                 office_hours: tuple[tuple[str, dt.time, dt.time], ...] = (),
                 holidays: Collection[dt.date] = ()) -> None:
        self._hours = {day: (opening, closing) for day, opening, closing in office_hours}
        self._holidays = frozenset(holidays)
        self.leaders = frozenset(p.name for p in roster.people)
        self.volunteers = frozenset(p.name for p in roster.people if p.role == "volunteer")
        self._staff = {s.name: s.name for s in roster.staff}
        self._staff.update({alias: s.name for s in roster.staff for alias in s.aliases})
        self.staff_names = tuple(s.name for s in roster.staff)
        self._accounts: dict[tuple[str, str], Actor] = {}
        for p in roster.people:
            actor = Actor("volunteer" if p.role == "volunteer" else "leader", p.name)
            self._accounts.update({(k, v): actor for k, v in (
                ("wecom", p.wecom_userid), ("telegram", p.telegram_id)) if v})
        for s in roster.staff:
            self._accounts.update({(k, v): Actor("staff", s.name) for k, v in (
                ("wecom", s.wecom_userid), ("telegram", s.telegram_id)) if v})

    def actor(self, message: IncomingMessage) -> Actor | None:
        """The leader, volunteer or staff member behind a message, if it is one. On the
        console they write as `leader:NAME`, `volunteer:NAME` or `staff:NAME`."""
        # The console, and the web desk for whoever signed in there, say who is writing.
        if message.platform in ("console", "web") and ":" in message.user_id:
            role, name = message.user_id.split(":", 1)
            if role == "leader" and name in self.leaders:
                return Actor("leader", name)
            if role == "volunteer" and name in self.volunteers:
                return Actor("volunteer", name)
            if role == "staff" and name in self._staff:
                return Actor("staff", self._staff[name])
        return self._accounts.get((message.platform, message.user_id))

    def staff_named_in(self, text: str) -> str | None:
        """The staff member a message names (找王主任, 找陈晓燕), if any."""
        for alias in sorted(self._staff, key=len, reverse=True):
            if alias in text:
                return self._staff[alias]
        return None

    def staff_member(self, name_or_alias: str) -> str | None:
        """A staff member's roster name from their name or alias (王主任 -> 王建华)."""
        return self._staff.get(name_or_alias.strip())

    def described(self, name: str | None) -> str:
        """Who someone is, for a resident: 楼栋长李琳, 志愿者许文静, 驿站工作人员陈晓燕."""
        if name is None:
            return texts.WHO_DUTY
        if name in self._staff:
            return texts.WHO_STAFF.format(name=name)
        if name in self.volunteers:
            return texts.WHO_VOLUNTEER.format(name=name)
        return texts.WHO_LEADER.format(name=name)

    def recipient(self, name: str) -> str:
        """The outbox recipient of whoever a ticket is assigned to."""
        if name in self._staff:
            return f"staff:{name}"
        return f"volunteer:{name}" if name in self.volunteers else f"leader:{name}"

    def at_work(self, when: dt.datetime) -> bool:
        """Whether staff answer chat at this moment (office hours, not a public holiday)."""
        hours = self._open_hours(when.date())
        return hours is not None and hours[0] <= when.time() < hours[1]

    def next_at_work(self, when: dt.datetime) -> dt.datetime | None:
        """When staff are next at work from `when` (None if the station keeps no hours)."""
        for days in range(0, 15):
            date = when.date() + dt.timedelta(days=days)
            hours = self._open_hours(date)
            if hours is None:
                continue
            start = dt.datetime.combine(date, hours[0], when.tzinfo)
            if days == 0 and when.time() >= hours[1]:
                continue
            return max(start, when)
        return None

    def _open_hours(self, date: dt.date) -> tuple[dt.time, dt.time] | None:
        if date in self._holidays:
            return None
        return self._hours.get(WEEKDAYS[date.weekday()])
