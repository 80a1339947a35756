"""`yizhan kb check`: everything that can be wrong in the knowledge base, with file and line."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.kb.loader import KnowledgeLoader
from bot.kb.model import Knowledge
from bot.kb.source import Problem
from intents.normalise import TextNormaliser

if TYPE_CHECKING:
    from intents.engine import IntentEngine

# What builds the engine for the confusion check (the real one needs the cache folder).
EngineFactory = Callable[[Knowledge], "IntentEngine"]

# Two items whose names and aliases score within this margin of each other are reported.
CONFUSION_MARGIN = 0.05


@dataclass(frozen=True)
class CheckResult:
    """Errors block going live; warnings are worth a look."""

    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return sorted(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> list[Problem]:
        return sorted(p for p in self.problems if p.severity == "warning")


class KnowledgeChecker:
    """Runs every check over a knowledge directory."""

    def __init__(self, root: Path, catalogue: Path | None = None) -> None:
        self.loader = KnowledgeLoader(root)
        self.catalogue = catalogue
        self.problems: list[Problem] = []

    def _at(self, path: str, needle: str, start: int = 1) -> int:
        source = self.loader.sources.get(path)
        return source.find_text(needle, start) if source else 0

    def _add(self, path: str, line: int, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(path, line, message, severity))

    def run(self, engine_factory: EngineFactory | None = None) -> CheckResult:
        """Load, then check ids, catalogue, menu, roster, aliases and (with an engine) overlaps.

        `catalogue` None means "not asked for"; a catalogue folder that is given but missing is
        an error (ids would go unchecked).
        """
        knowledge = self.loader.load()
        self.problems.extend(self.loader.problems)
        self._duplicate_items()
        self._catalogue(knowledge)
        self._menu(knowledge)
        self._unique("faq.toml", "faq", [f.id for f in knowledge.faq])
        self._unique("canteen.toml", "meal point", [p.id for p in knowledge.canteen.points])
        self._unique("reports.toml", "report category", [c.id for c in knowledge.reports])
        self._unique("reports.toml", "emergency", [e.id for e in knowledge.emergencies])
        self._emergencies(knowledge)
        self._windows(knowledge)
        self._roster(knowledge)
        self._aliases(knowledge)
        self._point_names(knowledge)
        self._aliases_of_other_kinds(knowledge)
        if engine_factory is not None and not any(
                p.severity == "error" for p in self.problems):
            self._confusions(knowledge, engine_factory(knowledge))
        return CheckResult(tuple(self.problems))

    def _duplicate_items(self) -> None:
        for item_id, places in self.loader.item_locations.items():
            if len(places) > 1:
                first = f"{places[0][0]}:{places[0][1]}"
                for path, line in places[1:]:
                    self._add(path, line, f"duplicate item id {item_id} (first at {first})")

    def _catalogue(self, knowledge: Knowledge) -> None:
        if self.catalogue is None:
            return
        items_csv = self.catalogue / "affairs_items.csv"
        if not items_csv.is_file():
            self._add(str(items_csv), 0, "catalogue not found: ids not cross-checked (give "
                      "the right folder with --catalogue)")
            return
        with items_csv.open(encoding="utf-8") as handle:
            rows = {row["id"]: row for row in csv.DictReader(handle)}
        for item_id, row in rows.items():
            if item_id not in self.loader.item_locations:
                self._add("affairs/", 0, f"catalogue item {item_id} {row['name']} is missing")
        for item in knowledge.items:
            path, line = self.loader.item_locations[item.id][0]
            found = rows.get(item.id)
            if found is None:
                self._add(path, line, f"{item.id} is not in the station catalogue")
                continue
            row = found
            for field in ("name", "category", "department", "handling", "provenance"):
                expected = row[field]
                actual = getattr(item, field)
                if actual != expected:
                    where = (self._at(path, f"{field} = ", line) if field != "category"
                             else self._at(path, "category = "))
                    self._add(path, where, f"{item.id} {field} is 「{actual}」 but the "
                              f"catalogue says 「{expected}」")
        reports_csv = self.catalogue / "report_categories.csv"
        if not reports_csv.is_file():
            self._add(str(reports_csv), 0, "catalogue of report categories not found: "
                      "report ids not cross-checked")
        else:
            with reports_csv.open(encoding="utf-8") as handle:
                report_rows = {row["id"]: row for row in csv.DictReader(handle)}
            ids = {c.id for c in knowledge.reports}
            for report_id in report_rows.keys() - ids:
                self._add("reports.toml", 0, f"catalogue report category {report_id} is missing")
            for category in knowledge.reports:
                report_row = report_rows.get(category.id)
                line = self._at("reports.toml", f'"{category.id}"')
                if report_row is None:
                    self._add("reports.toml", line, f"report category {category.id} is not in "
                              "the catalogue")
                elif (category.urgency, str(category.response_hours)) != (
                        report_row["urgency"], report_row["response_hours"]):
                    self._add("reports.toml", line, f"{category.id}: urgency/response_hours "
                              f"differ from the catalogue ({report_row['urgency']}, "
                              f"{report_row['response_hours']})")

    def _menu(self, knowledge: Knowledge) -> None:
        dates = sorted(knowledge.canteen.menu)
        if not dates:
            self._add("menu.toml", 0, "the menu calendar is empty")
            return
        day = dates[0]
        present = set(dates)
        while day <= dates[-1]:
            if day not in present:
                monday = day - dt.timedelta(days=day.weekday())
                self._add("menu.toml", self._week_line_after(monday),
                          f"no menu for {day} (add a [[week]] with monday = {monday})")
                day = monday + dt.timedelta(days=7)
                continue
            day += dt.timedelta(days=1)
        if not any(p.kind == "canteen" for p in knowledge.canteen.points):
            self._add("canteen.toml", 0, "no point has kind = \"canteen\"")

    def _week_line_after(self, monday: dt.date) -> int:
        """Line of the first [[week]] after a gap in the calendar."""
        source = self.loader.sources.get("menu.toml")
        if source is None:
            return 0
        weeks = source.data.get("week", [])
        for index, week in enumerate(weeks if isinstance(weeks, list) else []):
            start = week.get("monday") if isinstance(week, dict) else None
            if isinstance(start, dt.date) and start > monday:
                return source.entry_line("week", index)
        return 0

    def _unique(self, path: str, what: str, ids: list[str]) -> None:
        """Each id once; a repeat is reported where the repeat stands."""
        seen: dict[str, int] = {}
        for value in ids:
            first = self._at(path, f'"{value}"')
            if value in seen:
                line = self._at(path, f'"{value}"', seen[value] + 1)
                self._add(path, line, f"duplicate {what} id {value} (first at line {first})")
                seen[value] = line
            else:
                seen[value] = first

    def _emergencies(self, knowledge: Knowledge) -> None:
        """Each emergency files under a known category and has a safety text to send first;
        emergency and urgent categories have theirs."""
        for emergency in knowledge.emergencies:
            line = self._at("reports.toml", f'id = "{emergency.id}"')
            if knowledge.report_category(emergency.category) is None:
                self._add("reports.toml", line, f"emergency {emergency.id}: unknown category "
                          f"{emergency.category}")
            elif not knowledge.safety_text(emergency.category, emergency.id):
                self._add("reports.toml", line, f"emergency {emergency.id}: no `safety` text, "
                          f"and category {emergency.category} has none either")
        for category in knowledge.reports:
            if category.urgency in ("urgent", "emergency") and not category.safety:
                self._add("reports.toml", self._at("reports.toml", f'"{category.id}"'),
                          f"{category.id} is {category.urgency}: it needs a `safety` text, "
                          "sent first to the resident", "warning")
        if not knowledge.station.office_hours:
            self._add("station.toml", 0, "no [office_hours]: residents asking for a person "
                      "cannot be told when staff will answer", "warning")

    def _windows(self, knowledge: Knowledge) -> None:
        categories = {item.category for item in knowledge.items}
        for category in sorted(categories):
            if knowledge.station.window_for(category) is None:
                self._add("station.toml", 0, f"no [[window]] serves category {category}",
                          "warning")

    def _roster(self, knowledge: Knowledge) -> None:
        roster = knowledge.roster
        people = {p.name for p in roster.people}
        compounds = {c.name for c in roster.compounds}
        self._unique("roster.toml", "building", [b.name for b in roster.buildings])
        self._unique("roster.toml", "person", [p.name for p in roster.people])
        for building in roster.buildings:
            line = self._at("roster.toml", f'name = "{building.name}"')
            if building.compound not in compounds:
                self._add("roster.toml", line, f"{building.name}: unknown compound "
                          f"{building.compound}")
            for role in ("leader", "backup"):
                name = getattr(building, role)
                if name not in people:
                    self._add("roster.toml", line, f"{building.name}: {role} {name} is not a "
                              "[[person]]")
            if building.leader == building.backup:
                self._add("roster.toml", line, f"{building.name}: leader and backup are the "
                          "same person")

    @staticmethod
    def _normaliser(knowledge: Knowledge) -> Callable[[str], str]:
        """How the engine compares phrases: width, script, numerals and the lexicon's
        replacements (医保卡 -> 社保卡), without spaces."""
        normaliser = TextNormaliser((), knowledge.lexicon.homophones)
        return lambda text: normaliser.standard(text).replace(" ", "")

    def _aliases(self, knowledge: Knowledge) -> None:
        """An alias that normalises to the same text for two items, or to another's name."""
        key_of = self._normaliser(knowledge)
        owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for item in knowledge.items:
            for phrase in (item.name, *item.aliases):
                key = key_of(phrase)
                if key and (item.id, phrase) not in owners[key]:
                    owners[key].append((item.id, phrase))
        for owned in owners.values():
            ids = sorted({item_id for item_id, _ in owned})
            if len(ids) < 2:
                continue
            for item_id, phrase in owned:
                path, line = self.loader.item_locations[item_id][0]
                others = ", ".join(i for i in ids if i != item_id)
                self._add(path, self._at(path, f'"{phrase}"', line),
                          f"{item_id}: 「{phrase}」 also names {others}: residents cannot be "
                          "told which one they mean")

    def _point_names(self, knowledge: Knowledge) -> None:
        """A name or alias shared by two meal points: the engine could only pick one."""
        key_of = self._normaliser(knowledge)
        owners: dict[str, list[str]] = defaultdict(list)
        for point in knowledge.canteen.points:
            for name in (point.name, *point.aliases):
                key = key_of(name)
                if key and point.id not in owners[key]:
                    owners[key].append(point.id)
                    if len(owners[key]) > 1:
                        line = self._at("canteen.toml", f'"{name}"',
                                        self._at("canteen.toml", f'id = "{point.id}"'))
                        self._add("canteen.toml", line, f"meal point {point.id}: 「{name}」 "
                                  f"also names {', '.join(owners[key][:-1])}: residents cannot "
                                  "be told which one they mean")

    def _aliases_of_other_kinds(self, knowledge: Knowledge) -> None:
        """An item alias that is also a FAQ question or a report word: one of them never
        answers."""
        key_of = self._normaliser(knowledge)
        others: dict[str, str] = {}
        for faq in knowledge.faq:
            for phrase in (faq.question, *faq.aliases):
                others.setdefault(key_of(phrase), f"FAQ {faq.id}")
        for category in knowledge.reports:
            for phrase in (category.name, *category.keywords, *category.examples):
                others.setdefault(key_of(phrase), f"report category {category.id}")
        for item in knowledge.items:
            path, line = self.loader.item_locations[item.id][0]
            for phrase in (item.name, *item.aliases):
                owner = others.get(key_of(phrase))
                if owner is not None:
                    self._add(path, self._at(path, f'"{phrase}"', line),
                              f"{item.id}: 「{phrase}」 is also a phrase of {owner}: make it "
                              "more specific", "warning")

    def _confusions(self, knowledge: Knowledge, engine: IntentEngine) -> None:
        """Items the engine cannot tell apart from their own names and aliases."""
        reported: set[tuple[str, str]] = set()
        today = dt.date(2026, 1, 5)
        for item in knowledge.items:
            path, line = self.loader.item_locations[item.id][0]
            for phrase in (item.name, *item.aliases):
                result = engine.classify(phrase, today)
                if result.intent != "affairs.ask" or all(
                        c.item != item.id for c in result.candidates):
                    got = result.item or result.category or result.intent
                    self._add(path, self._at(path, f'"{phrase}"', line),
                              f"{item.id}: 「{phrase}」 is understood as {got}, not as this item: "
                              "make it more specific", "warning")
                    continue
                ranked = engine.rank(phrase)
                own = next((c.score for c in ranked if c.item == item.id), 0.0)
                for other in ranked:
                    if other.item == item.id or other.intent != "affairs.ask":
                        continue
                    pair = (min(item.id, other.item), max(item.id, other.item))
                    if other.score >= own - CONFUSION_MARGIN and pair not in reported:
                        reported.add(pair)
                        # its own name ranks another item higher and is not answered
                        severity = "error" if phrase == item.name and other.score > own \
                            and result.item != item.id else "warning"
                        self._add(path, self._at(path, f'"{phrase}"', line),
                                  f"{item.id} and {other.item} score too close for 「{phrase}」 "
                                  f"({own:.2f} vs {other.score:.2f}): make the aliases more "
                                  "specific", severity)
