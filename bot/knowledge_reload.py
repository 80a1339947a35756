"""Reloading `knowledge/` while `yizhan serve` runs: when a file changes (every worker watches
the folder) or staff press reload. The new knowledge goes live only after `kb check` passes;
a bad edit keeps the old knowledge and its errors (file:line) are shown to staff."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from bot.bookings.desk import BookingDesk
from bot.bootstrap import Assistant, bootstrap
from bot.kb.check import KnowledgeChecker
from bot.kb.model import Knowledge
from bot.kb.source import Problem

log = logging.getLogger(__name__)


@dataclass
class KnowledgeReloader:
    """Watches the knowledge folder and swaps a new dialogue in when it changed and checks."""

    assistant: Assistant
    errors: list[Problem] = field(default_factory=list)
    reloads: int = 0
    _seen: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self._seen = self._stamp()
        self._live = self.assistant.knowledge
        self._bookings = self.assistant.bookings

    @property
    def knowledge(self) -> Knowledge:
        """The knowledge live now."""
        return self._live

    @property
    def bookings(self) -> BookingDesk:
        """The booking rules live now (cut-offs, menus, slots)."""
        return self._bookings

    @property
    def folder(self) -> Path:
        return self.assistant.settings.knowledge_dir

    def _stamp(self) -> float:
        """The newest modification time of the folder's TOML files."""
        return max((p.stat().st_mtime_ns / 1e9 for p in self.folder.rglob("*.toml")),
                   default=0.0)

    async def check_for_changes(self) -> None:
        """Reload when a file changed since the last look (the server calls this often)."""
        stamp = await asyncio.to_thread(self._stamp)
        if stamp != self._seen:
            await self.reload()

    async def reload(self) -> list[Problem]:
        """Check and load the folder; on success the dialogue answers from it. The errors
        found (none when it went live)."""
        async with self._lock:
            self._seen = await asyncio.to_thread(self._stamp)
            errors, fresh = await asyncio.to_thread(self._build)
            self.errors = errors
            if fresh is not None:
                self.assistant.dialogue.adopt(fresh.dialogue)
                self._live = fresh.knowledge
                self._bookings = fresh.bookings
                self.reloads += 1
                log.info("knowledge reloaded (%d)", self.reloads)
            else:
                log.warning("knowledge not reloaded: %d error(s), first %s", len(errors),
                            errors[0] if errors else "")
            return errors

    def _build(self) -> tuple[list[Problem], Assistant | None]:
        checker = KnowledgeChecker(self.folder)
        result = checker.run()
        if result.errors:
            return result.errors, None
        settings = self.assistant.settings
        fresh = bootstrap(settings, clock=self.assistant.clock,
                          knowledge=checker.loader.load(), database=self.assistant.database,
                          migrate=False)
        return [], fresh
