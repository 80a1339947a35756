"""What every channel adapter shares: the handler it feeds and the sender it offers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.messages import IncomingMessage, Reply

MessageHandler = Callable[[IncomingMessage], Awaitable[list[Reply]]]
"""The core's entry point: one incoming message in, the replies to it out."""


class ChannelSender(Protocol):
    """Sends a message to one person on one platform (used by the outbox)."""

    platform: str

    async def send(self, user_id: str, reply: Reply, key: str) -> None:
        """Deliver `reply`; `key` is the idempotency key. Raise DeliveryError on failure."""
        ...


def split_text(text: str, max_bytes: int | None = None, max_chars: int | None = None
               ) -> list[str]:
    """Split text into pieces within a UTF-8 byte and/or character limit, at a line break
    in the second half of a piece when there is one. Never splits a character."""
    pieces: list[str] = []
    start = 0
    while True:
        end, size = start, 0
        while end < len(text):
            width = len(text[end].encode("utf-8"))
            if (max_bytes is not None and size + width > max_bytes) or (
                    max_chars is not None and end - start + 1 > max_chars):
                break
            size += width
            end += 1
        if end >= len(text):
            pieces.append(text[start:])
            return pieces
        end = max(end, start + 1)
        newline = text.rfind("\n", start, end)
        if newline > start + (end - start) // 2:
            pieces.append(text[start:newline])
            start = newline + 1
        else:
            pieces.append(text[start:end])
            start = end


class SharedState(Protocol):
    """Small values every worker of a deployment reads (access tokens, send quotas)."""

    async def get(self, key: str, now: dt.datetime) -> dict[str, Any] | None:
        """The value, or None when absent or expired."""
        ...

    async def put(self, key: str, value: dict[str, Any], expires_at: dt.datetime | None
                  ) -> None:
        """Store a value, replacing any earlier one."""
        ...


class MemorySharedState:
    """SharedState for one process (tests, console)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[dict[str, Any], dt.datetime | None]] = {}

    async def get(self, key: str, now: dt.datetime) -> dict[str, Any] | None:
        """The value, or None when absent or expired."""
        found = self._values.get(key)
        if found is None or (found[1] is not None and found[1] <= now):
            return None
        return dict(found[0])

    async def put(self, key: str, value: dict[str, Any], expires_at: dt.datetime | None
                  ) -> None:
        """Store a value, replacing any earlier one."""
        self._values[key] = (dict(value), expires_at)
