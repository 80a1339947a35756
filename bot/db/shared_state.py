"""Small values every worker reads (access tokens, send quotas), kept in the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from bot.db.unit_of_work import UnitOfWork


class DatabaseSharedState:
    """The channels' SharedState over the database: one short transaction each."""

    def __init__(self, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self._uow = unit_of_work

    async def get(self, key: str, now: dt.datetime) -> dict[str, Any] | None:
        """The value, or None when absent or expired."""
        async with self._uow() as uow:
            return await uow.shared.get(key, now)

    async def put(self, key: str, value: dict[str, Any], expires_at: dt.datetime | None
                  ) -> None:
        """Store a value, replacing any earlier one."""
        async with self._uow() as uow:
            await uow.shared.put(key, value, expires_at)
            await uow.commit()

    async def advance(self, values: Mapping[str, tuple[dict[str, Any], dt.datetime | None]],
                      order: str, now: dt.datetime) -> set[str]:
        """Store each value unless the stored one is at or past it in `order`: one read of
        every key and one write of those that move, in one transaction."""
        if not values:
            return set()
        async with self._uow() as uow:
            found = await uow.shared.get_many(list(values), now)
            moved = {key: stamped for key, stamped in values.items()
                     if key not in found or found[key][order] < stamped[0][order]}
            if moved:
                await uow.shared.put_many(moved)
                await uow.commit()
            return set(moved)

    async def claim(self, key: str, expires_at: dt.datetime) -> bool:
        """True for the first caller across every worker (one committed insert)."""
        async with self._uow() as uow:
            taken = await uow.shared.claim(key, expires_at)
            await uow.commit()
            return taken

    async def release(self, key: str) -> None:
        """Give a claim back."""
        async with self._uow() as uow:
            await uow.shared.release(key)
            await uow.commit()
