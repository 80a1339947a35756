"""Emergencies: a person trapped in a lift, smoke or fire, a fall or someone taken ill, gas, a
facade about to fall. Read before anything else, whatever else the message is. Pure.

A situation is recognised by any of its phrases, or by one word of every group of `all_of`
appearing together (电梯 + 困 / 关在 / 出不来), unless one of its `unless` words shows the message
is about something else (跌倒险, 防跌倒 are no falls).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class EmergencySigns:
    """How one emergency situation shows in a normalised message."""

    id: str                                   # "lift_trapped"
    category: str                             # the report category its ticket is filed under
    phrases: tuple[str, ...] = ()
    all_of: tuple[tuple[str, ...], ...] = ()
    unless: tuple[str, ...] = ()

    def seen_in(self, text: str) -> bool:
        """Whether the (normalised, compact) text shows this situation."""
        if any(word in text for word in self.unless):
            return False
        if any(phrase in text for phrase in self.phrases):
            return True
        return bool(self.all_of) and all(any(w in text for w in group) for group in self.all_of)


class EmergencyDetector:
    """The first situation a message shows, in the order the knowledge base lists them."""

    def __init__(self, situations: Iterable[EmergencySigns]) -> None:
        self.situations = tuple(situations)

    def detect(self, text: str) -> EmergencySigns | None:
        """The situation, or None."""
        return next((s for s in self.situations if s.seen_in(text)), None)

    def ruled_out(self, category: str, text: str) -> bool:
        """Whether the text is about something else than an emergency of this category
        (煤气费怎么交 is about a gas bill, not a gas leak)."""
        return any(s.category == category and any(w in text for w in s.unless)
                   for s in self.situations)
