"""Delivering the outbox: at least once, with retries and exponential backoff, across workers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import update

from bot.db.models import OutboxMessage
from bot.db.unit_of_work import UnitOfWork


class DeliveryError(Exception):
    """A platform refused or failed to take a message (worth retrying)."""


class Deliverer(Protocol):
    """Sends one notification to a recipient ("resident:12", "leader:李琳", "staff:王建华")."""

    async def send(self, recipient: str, text: str, key: str) -> None:
        """Deliver the text; `key` lets the platform side drop a duplicate. Raise on failure."""
        ...


@dataclass(frozen=True)
class OutboxPolicy:
    """How often and how long to retry."""

    max_attempts: int = 6
    first_delay: dt.timedelta = dt.timedelta(seconds=10)
    lease: dt.timedelta = dt.timedelta(minutes=2)   # a claimed message's sender has this long

    def delay(self, attempts: int) -> dt.timedelta:
        """Backoff before attempt number `attempts + 1`: 10 s, 20 s, 40 s, ..."""
        factor: int = 2 ** max(attempts - 1, 0)
        return self.first_delay * factor


@dataclass(frozen=True)
class _Pending:
    id: int
    attempts: int
    recipient: str
    text: str
    key: str


@dataclass(frozen=True)
class DeliveryReport:
    """What one pass of the sender did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


class OutboxSender:
    """Takes due notifications one by one, so several workers never send the same one twice."""

    def __init__(self, unit_of_work: Callable[[], UnitOfWork], deliverer: Deliverer,
                 policy: OutboxPolicy | None = None) -> None:
        self._uow = unit_of_work
        self._deliverer = deliverer
        self._policy = policy or OutboxPolicy()

    async def deliver_due(self, now: dt.datetime, limit: int = 100) -> DeliveryReport:
        """One pass over due notifications."""
        sent = retried = failed = 0
        async with self._uow() as uow:
            due = [_Pending(m.id, m.attempts, m.recipient, m.text, m.idempotency_key)
                   for m in await uow.outbox.due(now, limit)]
        for message in due:
            async with self._uow() as uow:
                taken = await uow.outbox.claim(message.id, message.attempts, now,
                                               self._policy.lease)
                await uow.commit()
            if not taken:
                continue  # another worker has it
            attempts = message.attempts + 1
            try:
                await self._deliverer.send(message.recipient, message.text, message.key)
            except DeliveryError as exc:
                final = attempts >= self._policy.max_attempts
                await self._finish(message.id, now, error=str(exc), final=final,
                                   retry_at=now + self._policy.delay(attempts))
                failed += final
                retried += not final
            else:
                await self._finish(message.id, now)
                sent += 1
        return DeliveryReport(sent, retried, failed)

    async def _finish(self, message_id: int, now: dt.datetime, error: str | None = None,
                      final: bool = False, retry_at: dt.datetime | None = None) -> None:
        if error is None:
            values: dict[str, object] = {"state": "sent", "sent_at": now, "last_error": None}
        elif final:
            values = {"state": "failed", "last_error": error}
        else:
            values = {"next_attempt_at": retry_at, "last_error": error}
        async with self._uow() as uow:
            await uow.session.execute(update(OutboxMessage)
                                      .where(OutboxMessage.id == message_id).values(**values))
            await uow.commit()
