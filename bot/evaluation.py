"""`yizhan kb eval`: run a labelled question file through the engine and report the figures."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intents.engine import (
    AFFAIRS,
    FALLBACK,
    FAQ,
    MENU,
    REPORT,
    WISH,
    Classification,
    IntentEngine,
)

# Intents that answer (or start a ticket) without asking: menus, reports and wishes always,
# affairs items and FAQs when the engine names one.
ACTING_INTENTS = (MENU, REPORT, WISH)
AGENCY = "agency."     # FAQ entries that send a question to another agency (派出所, 12345)

DEFAULT_TODAY = dt.date(2026, 11, 23)


@dataclass(frozen=True)
class LabelledQuestion:
    """One line of a labelled question file."""

    text: str
    intent: str
    item: str | None = None
    category: str | None = None
    date: str | None = None
    meal: str | None = None
    meal_point: str | None = None
    today: dt.date = DEFAULT_TODAY
    kind: str = ""               # the kind of message (plain, typo, long...), for the table


def read_questions(path: Path) -> list[LabelledQuestion]:
    """Parse a JSON-lines file of labelled questions; raises ValueError with the line number."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            raw: Any = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError("expected a JSON object")
            today = dt.date.fromisoformat(raw["today"]) if raw.get("today") else DEFAULT_TODAY
            questions.append(LabelledQuestion(
                text=raw["text"], intent=raw["intent"], item=raw.get("item"),
                category=raw.get("category"), date=raw.get("date"), meal=raw.get("meal"),
                meal_point=raw.get("meal_point"), today=today, kind=raw.get("kind") or ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled question: {exc}") from exc
    return questions


@dataclass
class Outcome:
    """One question and what the engine made of it."""

    question: LabelledQuestion
    result: Classification

    @property
    def intent_ok(self) -> bool:
        return self.result.intent == self.question.intent

    @property
    def top1(self) -> bool:
        first = self.result.candidates[0].item if self.result.candidates else None
        return self.intent_ok and (self.result.item or first) == self.question.item

    @property
    def top3(self) -> bool:
        return self.intent_ok and (self.result.item == self.question.item or any(
            c.item == self.question.item for c in self.result.candidates[:3]))

    @property
    def direct(self) -> bool:
        """The engine answered one item outright."""
        return self.result.item is not None

    @property
    def pointed_elsewhere(self) -> bool:
        """An out-of-scope question answered by saying which other agency to go to."""
        return self.result.intent == FAQ and (self.result.item or "").startswith(AGENCY)

    @property
    def right(self) -> bool:
        """Answered directly and correctly: the right item or FAQ named (a clarifying question
        is not a right answer); the right kind of ticket; the menu of the right day and meal;
        out of scope said plainly or pointed to another agency."""
        q, r = self.question, self.result
        if q.intent in (AFFAIRS, FAQ):
            return self.intent_ok and r.item == q.item
        if q.intent == FALLBACK:
            return r.intent == FALLBACK or self.pointed_elsewhere
        if q.intent == MENU:
            return _menu_slots_ok(self)
        if q.intent == REPORT:
            return self.intent_ok and (q.category is None or r.category == q.category)
        return self.intent_ok

    @property
    def wrong_direct(self) -> bool:
        """A confident answer about the wrong thing: the costly mistake.

        An item or FAQ named for another question, or a menu, report or wish answer given to a
        question that is about something else (an out-of-scope question answered with the
        canteen menu or a new ticket is as wrong as one answered with an item).
        """
        q, r = self.question, self.result
        if r.intent in (AFFAIRS, FAQ):
            if q.intent == FALLBACK and self.pointed_elsewhere:
                return False   # out of scope, and told where to go: handled
            return self.direct and (q.intent != r.intent or (
                q.item is not None and r.item != q.item))
        if r.intent in ACTING_INTENTS:
            return q.intent != r.intent
        return False


@dataclass
class EvaluationReport:
    """Aggregated figures of an evaluation run."""

    outcomes: list[Outcome] = field(default_factory=list)

    def _affairs(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.question.intent == AFFAIRS]

    def figures(self) -> dict[str, float]:
        affairs = self._affairs()
        n = len(affairs) or 1
        fallback_pred = [o for o in self.outcomes if o.result.intent == FALLBACK]
        fallback_true = [o for o in self.outcomes if o.question.intent == FALLBACK]
        correct_fb = [o for o in fallback_pred if o.question.intent == FALLBACK]
        menu = [o for o in self.outcomes if o.question.intent == MENU]
        report = [o for o in self.outcomes if o.question.intent == REPORT]
        handled = [o.right for o in fallback_true]
        return {
            "questions": len(self.outcomes),
            "right": _share(o.right for o in self.outcomes),
            "oos_handled": _share(handled),
            "affairs_questions": len(affairs),
            "intent_accuracy": _share(o.intent_ok for o in self.outcomes),
            "top1": sum(o.top1 for o in affairs) / n,
            "top3": sum(o.top3 for o in affairs) / n,
            "direct_correct": sum(o.direct and o.top1 for o in affairs) / n,
            "clarify_rate": sum(o.result.clarify for o in affairs) / n,
            "wrong_direct_rate": sum(o.wrong_direct for o in affairs) / n,
            "wrong_direct_all": _share(o.wrong_direct for o in self.outcomes),
            "oos_precision": len(correct_fb) / len(fallback_pred) if fallback_pred else 1.0,
            "oos_recall": len(correct_fb) / len(fallback_true) if fallback_true else 1.0,
            "menu_slots": _share(_menu_slots_ok(o) for o in menu),
            "report_category": _share(o.intent_ok and o.result.category == o.question.category
                                      for o in report),
        }

    def confusions(self, limit: int = 10) -> list[tuple[str, str, int]]:
        """The most frequent (expected, got) pairs among mistakes."""
        counter: Counter[tuple[str, str]] = Counter()
        for o in self.outcomes:
            expected = o.question.item or o.question.category or o.question.intent
            got = (o.result.item or o.result.category
                   or (o.result.candidates[0].item + "?" if o.result.clarify
                       and o.result.candidates else None) or o.result.intent)
            if o.question.intent == AFFAIRS and o.top1 and not o.wrong_direct:
                continue
            if o.question.intent != AFFAIRS and o.intent_ok and not o.wrong_direct:
                continue
            counter[(expected, got)] += 1
        return [(a, b, c) for (a, b), c in counter.most_common(limit)]

    def per_kind(self) -> list[tuple[str, int, float, float, float]]:
        """Per kind of message: n, answered directly and correctly, clarified, wrong."""
        kinds: dict[str, list[Outcome]] = defaultdict(list)
        for o in self.outcomes:
            kinds[o.question.kind or "-"].append(o)
        return [(name, len(items), _share(o.right for o in items),
                 _share(o.result.clarify for o in items), _share(o.wrong_direct for o in items))
                for name, items in sorted(kinds.items(), key=lambda kv: -len(kv[1]))]

    def per_group(self, group_of: Callable[[str], str]) -> list[tuple[str, int, float, float,
                                                                      float, float]]:
        """Per catalogue category: n, top-1, direct, clarify, wrong-direct."""
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for o in self._affairs():
            groups[group_of(o.question.item or "")].append(o)
        rows = []
        for name, items in sorted(groups.items()):
            n = len(items)
            rows.append((name, n, sum(o.top1 for o in items) / n,
                         sum(o.direct and o.top1 for o in items) / n,
                         sum(o.result.clarify for o in items) / n,
                         sum(o.wrong_direct for o in items) / n))
        return rows


def _share(values: Iterable[bool]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 1.0


def _menu_slots_ok(o: Outcome) -> bool:
    q, r = o.question, o.result
    date_ok = q.date is None or (r.date is not None and r.date.isoformat() == q.date)
    return (o.intent_ok and date_ok
            and (q.meal is None or r.meal == q.meal)
            and (q.meal_point is None or r.meal_point == q.meal_point))


def evaluate(engine: IntentEngine, questions: Iterable[LabelledQuestion],
             progress: Callable[[Iterable[LabelledQuestion]], Iterable[LabelledQuestion]]
             | None = None) -> EvaluationReport:
    """Classify every question."""
    report = EvaluationReport()
    iterable = progress(questions) if progress else questions
    for question in iterable:
        report.outcomes.append(Outcome(question, engine.classify(question.text, question.today)))
    return report


def format_report(report: EvaluationReport, group_of: Callable[[str], str]) -> str:
    """Plain-text figures, confusion pairs and the per-category table."""
    f = report.figures()
    lines = [
        f"questions: {f['questions']:.0f} (affairs: {f['affairs_questions']:.0f})",
        f"right (direct, correct): {f['right']:6.1%} of all messages",
        f"intent accuracy:        {f['intent_accuracy']:6.1%}",
        f"affairs top-1:          {f['top1']:6.1%}",
        f"affairs top-3:          {f['top3']:6.1%}",
        f"answered directly, ok:  {f['direct_correct']:6.1%}",
        f"clarify rate:           {f['clarify_rate']:6.1%}",
        f"wrong direct answers:   {f['wrong_direct_rate']:6.1%} of affairs questions, "
        f"{f['wrong_direct_all']:.1%} of all",
        f"out-of-scope precision: {f['oos_precision']:6.1%}",
        f"out-of-scope recall:    {f['oos_recall']:6.1%}",
        f"out of scope handled:   {f['oos_handled']:6.1%} (fallback, or the right agency)",
        f"menu slots right:       {f['menu_slots']:6.1%}",
        f"report category right:  {f['report_category']:6.1%}",
        "",
        "worst confusions (expected -> got, ? = clarified with that first):",
    ]
    lines += [f"  {a} -> {b}  x{c}" for a, b, c in report.confusions()] or ["  none"]
    lines += ["", f"{'kind of message':<16} {'n':>4} {'right':>7} {'clarify':>8} {'wrong':>6}"]
    for name, n, right, clarify, wrong in report.per_kind():
        lines.append(f"{name:<16} {n:>4} {right:>7.0%} {clarify:>8.0%} {wrong:>6.0%}")
    lines += ["", f"{'category':<14} {'n':>4} {'top-1':>7} {'direct':>7} {'clarify':>8} "
              f"{'wrong':>6}"]
    for name, n, top1, direct, clarify, wrong in report.per_group(group_of):
        lines.append(f"{name:<14} {n:>4} {top1:>7.0%} {direct:>7.0%} {clarify:>8.0%} "
                     f"{wrong:>6.0%}")
    return "\n".join(lines)
