"""Notifications from the outbox to the right person on the right platform."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.channels.base import ChannelSender
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Roster
from bot.messages import DeliveryError, Reply

# Where a resident is reached first when they use several platforms.
RESIDENT_PLATFORMS = ("wechat_mp", "telegram", "wecom")


class ChannelDeliverer:
    """The outbox's Deliverer: resident:12, leader:李琳, staff:王建华, group:9号楼 -> a sender."""

    def __init__(self, unit_of_work: Callable[[], UnitOfWork], roster: Roster,
                 senders: Mapping[str, ChannelSender],
                 telegram_groups: Mapping[str, str] | None = None) -> None:
        self._uow = unit_of_work
        self._senders = senders
        self._groups = dict(telegram_groups or {})
        self._people = {p.name: p for p in roster.people}
        self._staff = {s.name: s for s in roster.staff}

    async def send(self, recipient: str, reply: Reply, key: str) -> None:
        """Deliver on the first platform that reaches the recipient; raise if none does."""
        targets = await self._targets(recipient)
        if not targets:
            raise DeliveryError(f"no configured channel reaches {recipient}")
        failures = []
        for platform, user_id in targets:
            try:
                await self._senders[platform].send(user_id, reply, key)
                return
            except DeliveryError as exc:
                failures.append(f"{platform}: {exc}")
        raise DeliveryError("; ".join(failures))

    async def _targets(self, recipient: str) -> list[tuple[str, str]]:
        role, _, name = recipient.partition(":")
        found: list[tuple[str, str]] = []
        if role == "resident" and name.isdigit():
            async with self._uow() as uow:
                identities = await uow.residents.identities(int(name))
            found = sorted(((i.platform, i.user_id) for i in identities),
                           key=lambda t: (RESIDENT_PLATFORMS.index(t[0])
                                          if t[0] in RESIDENT_PLATFORMS else 99))
        elif role in ("leader", "volunteer") and name in self._people:
            person = self._people[name]
            found = [("wecom", person.wecom_userid), ("telegram", person.telegram_id)]
        elif role == "staff" and name in self._staff:
            member = self._staff[name]
            found = [("wecom", member.wecom_userid), ("telegram", member.telegram_id)]
        elif role == "group":
            found = [("wecom_robot", name)]
            if name in self._groups:
                found.append(("telegram", self._groups[name]))
        return [t for t in found if t[1] and t[0] in self._senders]
