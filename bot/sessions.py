"""Short-lived conversation state (pending numbered choices), behind a small storage interface."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Choice:
    """One numbered option offered to a resident: what to do if they reply its number."""

    action: str      # "item", "faq", "materials", "steps", "eligible", "menu"
    ref: str         # item id, faq id, or an ISO date + meal for menus
    label: str


@dataclass(frozen=True)
class Session:
    """What the bot remembers between two messages of one person."""

    choices: tuple[Choice, ...] = ()
    expires_at: dt.datetime | None = None

    def live(self, now: dt.datetime) -> bool:
        """Whether the pending choices are still valid."""
        return bool(self.choices) and (self.expires_at is None or now < self.expires_at)


class SessionStore(Protocol):
    """Where sessions live: memory for the console, the database for servers."""

    async def get(self, key: str) -> Session | None:
        """The session of a conversation, if any."""
        ...

    async def set(self, key: str, session: Session) -> None:
        """Store a session."""
        ...

    async def delete(self, key: str) -> None:
        """Forget a session."""
        ...


class MemorySessionStore:
    """Sessions in a dict: for the console and tests."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    async def get(self, key: str) -> Session | None:
        """The session of a conversation, if any."""
        return self._sessions.get(key)

    async def set(self, key: str, session: Session) -> None:
        """Store a session."""
        self._sessions[key] = session

    async def delete(self, key: str) -> None:
        """Forget a session."""
        self._sessions.pop(key, None)
