"""The last few readings a reader made, kept by what it read.

A message is read more than once on its way (the engine ranks it and asks the residents'
questions about it; the route table reads it again): a reading is kept, never a different one.
Kept per reader, for one thread (the event loop's; a knowledge reload builds its own readers).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Reading = TypeVar("Reading")


class RecentReadings(Generic[Key, Reading]):
    """Up to `size` readings, the oldest let go first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: dict[Key, Reading] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def read(self, key: Key, reader: Callable[[Key], Reading]) -> Reading:
        """The reading of `key`: the one kept, else `reader`'s, kept."""
        kept = self._kept
        if key in kept:
            return kept[key]
        reading = reader(key)
        if len(kept) >= self._size:
            kept.pop(next(iter(kept)))
        kept[key] = reading
        return reading
