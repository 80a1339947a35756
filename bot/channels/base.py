"""What every channel adapter shares: the handler it feeds and the sender it offers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

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
