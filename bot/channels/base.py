"""What every channel adapter shares: the handler it feeds and the sender it offers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from bot.messages import IncomingMessage, Reply

# A request body must arrive within this many seconds (a body trickled slowly, or declared and
# never sent, is answered 408 and its connection closed).
BODY_SECONDS = 10.0


class BodyRefused(Exception):
    """A request body that is too large (413) or did not arrive in time (408)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(request: Any, limit: int, seconds: float = BODY_SECONDS) -> bytes:
    """The whole body of an aiohttp request, within `limit` bytes (declared or actually sent)
    and `seconds`; BodyRefused otherwise."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyRefused(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            while chunk := await request.content.read(65536):
                size += len(chunk)
                if size > limit:
                    raise BodyRefused(413, "body too large")
                chunks.append(chunk)
    except TimeoutError:
        raise BodyRefused(408, "body not sent in time") from None
    return b"".join(chunks)


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
    if (max_chars is None or len(text) <= max_chars) and (
            max_bytes is None or len(text) <= max_bytes // 4
            or len(text.encode("utf-8")) <= max_bytes):
        return [text]           # most replies: one piece
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


class CoalescedRuns:
    """Work many callers ask for at about the same moment, done once for all of them (a
    journal's fsync, a batch of writes). `request()` gives a future done once a run that began
    after the call has ended; a run begins `pause` seconds after the first request it serves.
    One run at a time. A run that fails fails every request it served; a runner cancelled
    (the loop closing), even before it began, cancels the requests waiting for it."""

    def __init__(self, work: Callable[[], Awaitable[None]], pause: float = 0.0) -> None:
        self._work = work
        self._pause = pause
        self._next: asyncio.Future[None] | None = None    # the requests of the next run
        self._runner: asyncio.Task[None] | None = None

    def request(self) -> asyncio.Future[None]:
        """A future done once the work has run for this request."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
            self._runner.add_done_callback(self._ended)
        return self._next

    async def _run(self) -> None:
        while self._next is not None:
            if self._pause:
                await asyncio.sleep(self._pause)
            served, self._next = self._next, None
            if served is None:
                return
            try:
                await self._work()
            except asyncio.CancelledError:
                served.cancel()
                raise
            except Exception as error:
                served.set_exception(error)
                continue
            served.set_result(None)

    def _ended(self, runner: asyncio.Task[None]) -> None:
        if runner.cancelled() and self._next is not None:
            self._next.cancel()
            self._next = None


Stamped = tuple[dict[str, Any], dt.datetime | None]
"""A shared value and when it expires (None: never)."""


class SharedState(Protocol):
    """Small values every worker of a deployment reads (access tokens, send quotas)."""

    async def get(self, key: str, now: dt.datetime) -> dict[str, Any] | None:
        """The value, or None when absent or expired."""
        ...

    async def put(self, key: str, value: dict[str, Any], expires_at: dt.datetime | None
                  ) -> None:
        """Store a value, replacing any earlier one."""
        ...

    async def advance(self, values: Mapping[str, Stamped], order: str, now: dt.datetime
                      ) -> set[str]:
        """Store each key's value unless the live stored value's `order` field is already at
        or past the new one's (a later message's window is not moved back): the reads and
        writes of every key together, at once. The keys stored."""
        ...

    async def claim(self, key: str, expires_at: dt.datetime) -> bool:
        """Take `key` for this worker: True for the first caller across every worker, False
        for anyone after (until it is released or has expired long ago)."""
        ...

    async def release(self, key: str) -> None:
        """Give a claim back (what it guarded did not happen)."""
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

    async def advance(self, values: Mapping[str, Stamped], order: str, now: dt.datetime
                      ) -> set[str]:
        """Store each value unless the stored one is at or past it in `order`."""
        stored = set()
        for key, (value, expires_at) in values.items():
            found = await self.get(key, now)
            if found is None or found[order] < value[order]:
                await self.put(key, value, expires_at)
                stored.add(key)
        return stored

    async def claim(self, key: str, expires_at: dt.datetime) -> bool:
        """True for the first caller."""
        if key in self._values:
            return False
        self._values[key] = ({}, expires_at)
        return True

    async def release(self, key: str) -> None:
        """Give a claim back."""
        self._values.pop(key, None)
