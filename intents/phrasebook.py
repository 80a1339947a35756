"""What the engine is built from: entries with their phrases, and the special word lists."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    """Something a message can be about: an affairs item, a FAQ, a report category."""

    key: str                     # "A001", "faq:station.hours", "report:lighting"
    intent: str                  # affairs.ask, faq.ask, report.new
    label: str                   # what a clarification shows
    phrases: tuple[str, ...]     # the official name first, then aliases / keywords
    group: str = ""              # catalogue category, for reports and diagnostics

    @property
    def ref(self) -> str:
        """The id without its kind prefix ("faq:station.hours" -> "station.hours")."""
        return self.key.split(":", 1)[1] if ":" in self.key else self.key


@dataclass(frozen=True)
class Phrasebook:
    """Everything the engine needs, already extracted from the knowledge base."""

    entries: tuple[Entry, ...]
    fillers: tuple[str, ...] = ()
    greetings: tuple[str, ...] = ()
    handoff: tuple[str, ...] = ()
    wish_cues: tuple[str, ...] = ()
    menu_words: tuple[str, ...] = ()
    affairs_cues: tuple[str, ...] = ()
    report_cues: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()
    homophones: dict[str, str] = field(default_factory=dict)
    meal_points: tuple[tuple[str, tuple[str, ...]], ...] = ()   # (point id, names)
