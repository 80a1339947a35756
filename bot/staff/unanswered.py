"""The questions the bot could not answer, grouped by similar wording and ranked by how often
they came: what staff should teach it first. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

SIMILAR = 72          # rapidfuzz ratio from which two questions are one group
PUNCTUATION = " ，。？?！!~…"


@dataclass(frozen=True)
class Asked:
    """One question as stored."""

    id: int
    text: str
    kind: str               # fallback, clarify, rejected
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class QuestionGroup:
    """Questions worded alike: how many, examples, and the entry most often offered for
    them (the suggestion staff start from)."""

    ids: tuple[int, ...]
    texts: tuple[str, ...]
    kinds: tuple[tuple[str, int], ...]
    suggested: str | None

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def wording(self) -> str:
        """The wording to add as an alias: the one said most often (punctuation aside), then
        the shortest."""
        counted = Counter(t.strip(PUNCTUATION) for t in self.texts)
        return min(counted, key=lambda t: (-counted[t], len(t)))


def group(questions: Sequence[Asked]) -> list[QuestionGroup]:
    """Groups of alike questions, the most frequent first."""
    groups: list[list[Asked]] = []
    for asked in questions:
        key = asked.text.strip(PUNCTUATION)
        for members in groups:
            if fuzz.ratio(key, members[0].text.strip(PUNCTUATION)) >= SIMILAR:
                members.append(asked)
                break
        else:
            groups.append([asked])
    result = []
    for members in groups:
        offered = Counter(m.candidates[0] for m in members if m.candidates)
        result.append(QuestionGroup(
            ids=tuple(m.id for m in members), texts=tuple(m.text for m in members),
            kinds=tuple(Counter(m.kind for m in members).most_common()),
            suggested=offered.most_common(1)[0][0] if offered else None))
    return sorted(result, key=lambda g: (-g.count, g.wording))
