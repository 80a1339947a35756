"""Delivering the outbox: at least once, with retries and exponential backoff, across workers."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.db.unit_of_work import UnitOfWork
from bot.messages import DeliveryError, Reply


def notice_key(subject: str, what: str) -> str:
    """The idempotency key of a notification a message causes ("R0012:claim:…"). Unique: the
    message itself is kept from being handled twice by its processed-message record, and two
    messages in the same instant (a story's standing clock) are two events."""
    return f"{subject}:{what}:{secrets.token_hex(6)}"


class Deliverer(Protocol):
    """Sends one notification to a recipient ("resident:12", "leader:李琳", "staff:王建华")."""

    async def send(self, recipient: str, reply: Reply, key: str) -> None:
        """Deliver the reply (its text and buttons); `key` lets the platform side drop a
        duplicate. Raise DeliveryError on failure."""
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
    reply: Reply
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
            due = [_Pending(m.id, m.attempts, m.recipient,
                            Reply(m.text, actions=tuple(a for a in m.actions.split("\n") if a)),
                            m.idempotency_key)
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
                await self._deliverer.send(message.recipient, message.reply, message.key)
            except DeliveryError as exc:
                final = attempts >= self._policy.max_attempts
                async with self._uow() as uow:
                    if final:
                        await uow.outbox.failed(message.id, str(exc))
                    else:
                        await uow.outbox.retry_at(message.id,
                                                  now + self._policy.delay(attempts), str(exc))
                    await uow.commit()
                failed += final
                retried += not final
            else:
                async with self._uow() as uow:
                    await uow.outbox.sent(message.id, now)
                    await uow.commit()
                sent += 1
        return DeliveryReport(sent, retried, failed)
