"""`kb check`: the real knowledge base is clean, and every kind of mistake a member of staff can
make is reported as an error (or a warning) with the right file and line.

Each test copies knowledge/ to a temporary folder, breaks one thing and runs the checker; the
expected line is found by searching the modified file, never hard-coded."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.kb.check import CheckResult, EngineFactory, KnowledgeChecker
from bot.kb.model import Knowledge
from bot.kb.phrasebook import build_phrasebook
from bot.kb.source import Problem
from intents.engine import IntentEngine
from tests.support import CATALOGUE_DIR, KNOWLEDGE_DIR, copy_knowledge


class KbCopy:
    """A copy of the knowledge base with line-oriented editing and searching."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def text(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")

    def lines(self, path: str) -> list[str]:
        return self.text(path).splitlines()

    def write(self, path: str, text: str) -> None:
        (self.root / path).write_text(text, encoding="utf-8")

    def _start(self, lines: list[str], after: str) -> int:
        """Index of the first line containing `after` (0 if `after` is empty)."""
        if not after:
            return 0
        for index, line in enumerate(lines):
            if after in line:
                return index
        raise AssertionError(f"no line contains {after!r}")

    def edit_line(self, path: str, prefix: str, new: str | None, after: str = "") -> None:
        """Replace (or delete, if `new` is None) the first line starting with `prefix` at or
        after the line containing `after`."""
        lines = self.lines(path)
        for index in range(self._start(lines, after), len(lines)):
            if lines[index].lstrip().startswith(prefix):
                if new is None:
                    del lines[index]
                else:
                    lines[index] = new
                self.write(path, "\n".join(lines) + "\n")
                return
        raise AssertionError(f"{path}: no line starts with {prefix!r} after {after!r}")

    def line_of(self, path: str, needle: str, after: str = "") -> int:
        """1-based number of the first line containing `needle` at or after `after`'s line."""
        lines = self.lines(path)
        for index in range(self._start(lines, after), len(lines)):
            if needle in lines[index]:
                return index + 1
        raise AssertionError(f"{path}: no line contains {needle!r} after {after!r}")

    def header_before(self, path: str, needle: str, header: str) -> int:
        """1-based number of the last `header` line before the line containing `needle`."""
        stop = self.line_of(path, needle)
        lines = self.lines(path)
        for index in range(stop - 1, -1, -1):
            if lines[index].strip().startswith(header):
                return index + 1
        raise AssertionError(f"{path}: no {header!r} before {needle!r}")

    def item_block(self, path: str, item_id: str) -> tuple[int, int]:
        """0-based [start, end) line indexes of the [[item]] block of an item."""
        start = self.header_before(path, f'id = "{item_id}"', "[[item]]") - 1
        lines = self.lines(path)
        end = next((i for i in range(start + 1, len(lines))
                    if lines[i].strip().startswith("[[item]]")), len(lines))
        return start, end


def check(root: Path, catalogue: Path | None = None,
          engine_factory: EngineFactory | None = None) -> CheckResult:
    return KnowledgeChecker(root, catalogue).run(engine_factory)


def describe(problems: Iterable[Problem]) -> str:
    return "\n".join(f"  [{p.severity}] {p}" for p in problems) or "  (none)"


def assert_problem(problems: list[Problem], path: str, line: int, fragment: str) -> Problem:
    """The problem with this file, line and message fragment; a readable failure otherwise."""
    for problem in problems:
        if problem.path == path and problem.line == line and fragment in problem.message:
            return problem
    raise AssertionError(f"expected {path}:{line} …{fragment}… among:\n{describe(problems)}")


@pytest.fixture
def kb(tmp_path: Path) -> KbCopy:
    return KbCopy(copy_knowledge(tmp_path))


def write_catalogue(folder: Path, knowledge: Knowledge) -> Path:
    """A station catalogue that matches the knowledge base exactly (same CSV layout as
    catalogue/)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "affairs_items.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "category", "department", "handling", "time_limit",
                         "provenance", "note"])
        for item in knowledge.items:
            writer.writerow([item.id, item.name, item.category, item.department, item.handling,
                             item.time_limit, item.provenance, item.note])
    with (folder / "report_categories.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "examples", "urgency", "response_hours"])
        for category in knowledge.reports:
            writer.writerow([category.id, category.name, "；".join(category.keywords[:3]),
                             category.urgency, str(category.response_hours)])
    return folder


def edit_csv(path: Path, edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(edit(rows))


@pytest.fixture
def catalogue(tmp_path: Path, knowledge: Knowledge) -> Path:
    return write_catalogue(tmp_path / "catalogue", knowledge)


# -- the real knowledge base ----------------------------------------------------------------

def test_real_knowledge_base_has_no_errors_or_warnings() -> None:
    result = check(KNOWLEDGE_DIR)
    assert result.errors == [], describe(result.errors)
    assert result.warnings == [], describe(result.warnings)


def test_real_knowledge_base_matches_the_station_catalogue() -> None:
    """The catalogue ships inside the project: a clone with nothing beside it checks ids."""
    result = check(KNOWLEDGE_DIR, CATALOGUE_DIR)
    assert result.errors == [], describe(result.errors)


def test_a_missing_catalogue_is_an_error(tmp_path: Path) -> None:
    result = check(KNOWLEDGE_DIR, tmp_path / "no-catalogue")
    assert any("catalogue not found" in p.message for p in result.errors)


def test_a_catalogue_without_report_categories_is_an_error(catalogue: Path) -> None:
    (catalogue / "report_categories.csv").unlink()
    result = check(KNOWLEDGE_DIR, catalogue)
    assert any("report categories not found" in p.message for p in result.errors)


def test_fake_catalogue_matches_the_knowledge_base(catalogue: Path) -> None:
    result = check(KNOWLEDGE_DIR, catalogue)
    assert result.errors == [], describe(result.errors)


# -- one broken thing, one problem at the right place -------------------------------------

Expect = Callable[[KbCopy, str], int]


def at(needle: str, after: str = "") -> Expect:
    """The problem is on the first line containing `needle` (at or after `after`)."""
    return lambda kb, path: kb.line_of(path, needle, after)


def header(needle: str, header_text: str) -> Expect:
    """The problem is on the `[[...]]` header of the block containing `needle`."""
    return lambda kb, path: kb.header_before(path, needle, header_text)


def nth(needle: str, n: int) -> Expect:
    """The problem is on the n-th (1-based) line containing `needle`."""
    def line(kb: KbCopy, path: str) -> int:
        found = [i for i, text in enumerate(kb.lines(path), start=1) if needle in text]
        assert len(found) >= n, f"{path}: fewer than {n} lines contain {needle!r}"
        return found[n - 1]
    return line


def whole_file(kb: KbCopy, path: str) -> int:
    return 0


@dataclass(frozen=True)
class Breakage:
    """Change one line of one file; expect one problem."""

    path: str
    prefix: str              # the first line starting with this (after `after`) is changed
    new: str | None          # replacement line, or None to delete the line
    message: str             # fragment of the expected message
    line: Expect             # where the problem must be reported
    after: str = ""
    severity: str = "error"


A082 = 'id = "A082"'
A083 = 'id = "A083"'
ELDERLY = "affairs/elderly_care.toml"
BUILDING_9 = 'name = "9号楼"'
WEEK_2 = "monday = 2026-11-23"
FIRST_POINT_PREFIX = 'id = "meiyuan"'

BREAKAGES = [
    # invalid TOML syntax, in a top-level file and in an affairs file
    pytest.param(Breakage("station.toml", "phone =", 'phone = "021-5555-0188', "not valid TOML",
                          at('phone = "021-5555-0188')), id="toml-syntax-station"),
    pytest.param(Breakage("affairs/housing.toml", "fee =", "fee = 免费", "not valid TOML",
                          at("fee = 免费")), id="toml-syntax-affairs"),
    pytest.param(Breakage("menu.toml", "[[week]]", "[[week]", "not valid TOML",
                          at("[[week]", after="第1周"), after="第1周"), id="toml-syntax-header"),
    # wrong types
    pytest.param(Breakage(ELDERLY, "confirmed =", 'confirmed = "yes"',
                          "`confirmed` must be true or false", at('confirmed = "yes"'),
                          after=A082), id="type-confirmed"),
    pytest.param(Breakage(ELDERLY, "aliases =", 'aliases = "x"', "`aliases` must be a list",
                          at('aliases = "x"'), after=A083), id="type-aliases"),
    pytest.param(Breakage(ELDERLY, "materials =", "materials = [1, 2]",
                          "`materials` must be a list", at("materials = [1, 2]"), after=A083),
                 id="type-materials"),
    pytest.param(Breakage(ELDERLY, "name =", "name = 42", "`name` must be text",
                          at("name = 42"), after=A082), id="type-name"),
    pytest.param(Breakage("roster.toml", "units =", 'units = "3"',
                          "`units` must be a whole number", at('units = "3"'),
                          after=BUILDING_9), id="type-units"),
    pytest.param(Breakage("reports.toml", "response_hours =", 'response_hours = "24"',
                          "`response_hours` must be a whole number",
                          at('response_hours = "24"')), id="type-response-hours"),
    pytest.param(Breakage("roster.toml", "away_until =", 'away_until = "2026-12-03"',
                          "`away_until` must be a date", at('away_until = "2026-12-03"')),
                 id="type-date"),
    pytest.param(Breakage("menu.toml", "monday =", 'monday = "2026-11-23"',
                          "`monday` must be a date", at('monday = "2026-11-23"'),
                          after=WEEK_2), id="type-monday"),
    pytest.param(Breakage("station.toml", "categories =", 'categories = "社会保险"',
                          "`categories` must be a list", at('categories = "社会保险"')),
                 id="type-window-categories"),
    pytest.param(Breakage("canteen.toml", "set_a =", 'set_a = "11"',
                          "`set_a` must be a whole number", at('set_a = "11"')),
                 id="type-prices"),
    # missing and empty fields
    pytest.param(Breakage(ELDERLY, "department =", None, "missing field `department`",
                          header(A082, "[[item]]"), after=A082), id="missing-department"),
    pytest.param(Breakage(ELDERLY, "hotline =", None, "missing field `hotline`",
                          header(A083, "[[item]]"), after=A083), id="missing-hotline"),
    pytest.param(Breakage("faq.toml", "answer =", None, "missing field `answer`",
                          header('id = "station.hours"', "[[faq]]"),
                          after='id = "station.hours"'), id="missing-faq-answer"),
    pytest.param(Breakage("roster.toml", "leader =", None, "missing field `leader`",
                          header(BUILDING_9, "[[building]]"), after=BUILDING_9),
                 id="missing-leader"),
    pytest.param(Breakage(ELDERLY, "name =", 'name = ""', "`name` is empty", at('name = ""'),
                          after=A082), id="empty-name"),
    pytest.param(Breakage("station.toml", "phone =", 'phone = " "', "`phone` is empty",
                          at('phone = " "')), id="empty-station-phone"),
    # values outside their lists
    pytest.param(Breakage(ELDERLY, "handling =", 'handling = "马上办"', "handling must be one of",
                          at('handling = "马上办"'), after=A082), id="unknown-handling"),
    pytest.param(Breakage(ELDERLY, "provenance =", 'provenance = "guess"',
                          "provenance must be source or modelled", at('provenance = "guess"'),
                          after=A082), id="unknown-provenance"),
    pytest.param(Breakage(ELDERLY, "id =", 'id = "B082"', "must look like A001",
                          at('id = "B082"'), after=A082), id="bad-item-id"),
    pytest.param(Breakage("faq.toml", "id =", 'id = "Station-Hours"', "faq id may use only",
                          at('id = "Station-Hours"'), after='id = "station.hours"'),
                 id="bad-faq-id"),
    pytest.param(Breakage("reports.toml", "urgency =", 'urgency = "asap"', "urgency must be one of",
                          at('urgency = "asap"')), id="unknown-urgency"),
    pytest.param(Breakage("canteen.toml", "kind =", 'kind = "restaurant"',
                          "kind must be canteen or meal_point", at('kind = "restaurant"'),
                          after=FIRST_POINT_PREFIX), id="unknown-point-kind"),
    pytest.param(Breakage("canteen.toml", "meals =", 'meals = ["lunch", "supper"]',
                          "unknown meal `supper`", at('meals = ["lunch", "supper"]'),
                          after=FIRST_POINT_PREFIX), id="unknown-meal"),
    pytest.param(Breakage("reports.toml", "safety =", None, "needs a `safety` instruction",
                          header('id = "gas"', "[[category]]"), after='id = "gas"'),
                 id="emergency-without-safety"),
    pytest.param(Breakage("lexicon.toml", '"阿拉" =', '"阿拉" = 1',
                          "[homophones] must map text to text", at("[homophones]")),
                 id="homophones-not-text"),
    # placeholders
    pytest.param(Breakage("faq.toml", "answer =", 'answer = "{station}开放时间：{hour}。"',
                          "unknown placeholder {hour}", at("{hour}"),
                          after='id = "station.hours"'), id="unknown-placeholder"),
    # menu calendar
    pytest.param(Breakage("menu.toml", "monday = 2026-11-30", "monday = 2026-12-01",
                          "2026-12-01 is not a Monday", at("monday = 2026-12-01")),
                 id="monday-not-monday"),
    pytest.param(Breakage("menu.toml", "tue =", None, "2026-11-24 (tue) has no set_a",
                          at(WEEK_2), after=WEEK_2), id="menu-day-missing"),
    pytest.param(Breakage("menu.toml", "sun =", None, "2026-11-22 (sun) has no dinner",
                          at("monday = 2026-11-16"), after="[week.dinner]"),
                 id="menu-dinner-day-missing"),
    pytest.param(Breakage("menu.toml", "wed =", 'wen = "红烧肉、炒青菜"', "`wen` is not a day",
                          at("wen = "), after=WEEK_2), id="menu-not-a-day"),
    pytest.param(Breakage("menu.toml", "thu =", "thu = 3", "write the dishes as text",
                          at("thu = 3"), after=WEEK_2), id="menu-dishes-not-text"),
    pytest.param(Breakage("menu.toml", "monday = 2026-11-30", "monday = 2026-11-23",
                          "2026-11-23 is already in an earlier week",
                          at("monday = 2026-11-23", after="第3周")), id="menu-week-twice"),
    pytest.param(Breakage("menu.toml", "[week.dinner]", "[week.supper]",
                          "missing [week.dinner] block", header(WEEK_2, "[[week]]"),
                          after=WEEK_2), id="menu-meal-block-missing"),
    # roster
    pytest.param(Breakage("roster.toml", "leader =", 'leader = "李四"',
                          "9号楼: leader 李四 is not a [[person]]", at(BUILDING_9),
                          after=BUILDING_9), id="leader-not-a-person"),
    pytest.param(Breakage("roster.toml", "backup =", 'backup = "王五"',
                          "9号楼: backup 王五 is not a [[person]]", at(BUILDING_9),
                          after=BUILDING_9), id="backup-not-a-person"),
    pytest.param(Breakage("roster.toml", "backup =", 'backup = "李琳"',
                          "leader and backup are the same person", at(BUILDING_9),
                          after=BUILDING_9), id="leader-is-backup"),
    pytest.param(Breakage("roster.toml", "compound =", 'compound = "梅花村"',
                          "unknown compound 梅花村", at(BUILDING_9), after=BUILDING_9),
                 id="unknown-compound"),
    # whole-file problems
    pytest.param(Breakage("canteen.toml", "kind =", 'kind = "meal_point"',
                          'no point has kind = "canteen"', whole_file,
                          after='id = "canteen"'), id="no-canteen"),
    # duplicates inside one file
    pytest.param(Breakage("faq.toml", "id =", 'id = "station.hours"',
                          "duplicate faq id station.hours", nth('id = "station.hours"', 2),
                          after='id = "station.weekend"'),
                 id="duplicate-faq-id"),
    pytest.param(Breakage("roster.toml", "name =", 'name = "9号楼"',
                          "duplicate building id 9号楼", nth('name = "9号楼"', 2),
                          after='name = "10号楼"'),
                 id="duplicate-building"),
    # warnings, not errors
    pytest.param(Breakage(ELDERLY, "note =", 'colour = "red"', "unknown field `colour`",
                          at('colour = "red"'), after=A082, severity="warning"),
                 id="unknown-field-warning"),
    pytest.param(Breakage("station.toml", "motto", 'motto = "为民服务"', "unknown field `motto`",
                          at('motto = "为民服务"'), after="", severity="warning"),
                 id="unknown-top-level-field-warning"),
    pytest.param(Breakage(ELDERLY, "materials =", 'materials = ["身份证"]',
                          "say 原件 or 复印件", at('materials = ["身份证"]'), after=A082,
                          severity="warning"), id="material-without-original-warning"),
    pytest.param(Breakage(ELDERLY, "aliases =", "aliases = []", "no aliases",
                          at("aliases = []"), after=A082, severity="warning"),
                 id="no-aliases-warning"),
    pytest.param(Breakage("station.toml", "categories =", 'categories = ["社会救助", "残疾人服务"]',
                          "no [[window]] serves category 退役军人", whole_file,
                          after='name = "3号窗口"', severity="warning"),
                 id="category-without-window-warning"),
]


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_breakage_is_reported_at_its_line(kb: KbCopy, breakage: Breakage) -> None:
    if breakage.prefix == "motto":   # a new line, not a changed one
        kb.write(breakage.path, f"{breakage.new}\n" + kb.text(breakage.path))
    else:
        kb.edit_line(breakage.path, breakage.prefix, breakage.new, breakage.after)
    result = check(kb.root)
    expected_line = breakage.line(kb, breakage.path)
    problems = result.errors if breakage.severity == "error" else result.warnings
    assert_problem(problems, breakage.path, expected_line, breakage.message)
    if breakage.severity == "warning":
        assert result.errors == [], describe(result.errors)


# -- problems that take more than one line to make ------------------------------------------

def test_duplicate_item_id_across_two_files(kb: KbCopy) -> None:
    source, target = "affairs/archives.toml", "affairs/veterans.toml"
    first_id = next(line for line in kb.lines(source) if line.startswith("id = "))
    item_id = first_id.split('"')[1]
    start, end = kb.item_block(source, item_id)
    block = "\n".join(kb.lines(source)[start:end]).rstrip()
    kb.write(target, kb.text(target).rstrip() + "\n\n" + block + "\n")
    duplicate_line = kb.header_before(target, first_id, "[[item]]")
    original_line = kb.header_before(source, first_id, "[[item]]")
    result = check(kb.root)
    problem = assert_problem(result.errors, target, duplicate_line,
                             f"duplicate item id {item_id}")
    assert f"{source}:{original_line}" in problem.message


def test_a_deleted_item_is_missing_from_the_catalogue(kb: KbCopy, catalogue: Path) -> None:
    path = "affairs/medical_insurance.toml"
    start, end = kb.item_block(path, "A050")
    lines = kb.lines(path)
    kb.write(path, "\n".join(lines[:start] + lines[end:]) + "\n")
    result = check(kb.root, catalogue)
    problem = next((p for p in result.errors if "catalogue item A050" in p.message), None)
    assert problem is not None, describe(result.errors)
    assert "is missing" in problem.message
    assert "医保就医明细查询打印" in problem.message


def test_an_item_not_in_the_catalogue(kb: KbCopy, catalogue: Path) -> None:
    edit_csv(catalogue / "affairs_items.csv",
             lambda rows: [r for r in rows if r["id"] != "A083"])
    result = check(kb.root, catalogue)
    line = kb.header_before(ELDERLY, A083, "[[item]]")
    assert_problem(result.errors, ELDERLY, line, "A083 is not in the station catalogue")


def test_an_item_name_differing_from_the_catalogue(kb: KbCopy, catalogue: Path) -> None:
    kb.edit_line(ELDERLY, "name =", 'name = "老年卡办理"', after=A082)
    result = check(kb.root, catalogue)
    assert_problem(result.errors, ELDERLY, kb.line_of(ELDERLY, 'name = "老年卡办理"'),
                   "A082 name is 「老年卡办理」 but the catalogue says 「敬老卡申领」")


def test_an_item_department_differing_from_the_catalogue(kb: KbCopy, catalogue: Path) -> None:
    kb.edit_line(ELDERLY, "department =", 'department = "区人社局"', after=A083)
    result = check(kb.root, catalogue)
    assert_problem(result.errors, ELDERLY,
                   kb.line_of(ELDERLY, 'department = "区人社局"', after=A083),
                   "A083 department is 「区人社局」")


def test_a_report_category_missing_from_the_catalogue(kb: KbCopy, catalogue: Path) -> None:
    edit_csv(catalogue / "report_categories.csv",
             lambda rows: [r for r in rows if r["id"] != "pest"])
    result = check(kb.root, catalogue)
    assert_problem(result.errors, "reports.toml", kb.line_of("reports.toml", 'id = "pest"'),
                   "report category pest is not in the catalogue")


def test_a_catalogue_report_category_missing_from_reports(kb: KbCopy, catalogue: Path) -> None:
    edit_csv(catalogue / "report_categories.csv", lambda rows: [*rows, {
        "id": "snow", "name": "积雪", "examples": "路上积雪", "urgency": "normal",
        "response_hours": "24"}])
    result = check(kb.root, catalogue)
    assert_problem(result.errors, "reports.toml", 0, "catalogue report category snow is missing")


def test_a_report_urgency_differing_from_the_catalogue(kb: KbCopy, catalogue: Path) -> None:
    kb.edit_line("reports.toml", "urgency =", 'urgency = "urgent"', after='id = "lighting"')
    result = check(kb.root, catalogue)
    assert_problem(result.errors, "reports.toml", kb.line_of("reports.toml", 'id = "lighting"'),
                   "lighting: urgency/response_hours differ from the catalogue")


def delete_week(kb: KbCopy, monday: str) -> None:
    """Delete the whole [[week]] block whose monday is `monday`."""
    lines = kb.lines("menu.toml")
    start = kb.header_before("menu.toml", f"monday = {monday}", "[[week]]") - 1
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].strip().startswith("[[week]]")), len(lines))
    kb.write("menu.toml", "\n".join(lines[:start] + lines[end:]) + "\n")


def test_a_missing_week_inside_the_calendar(kb: KbCopy) -> None:
    delete_week(kb, "2026-12-07")
    result = check(kb.root)
    missing = [p for p in result.errors if p.path == "menu.toml" and "no menu for" in p.message]
    assert len(missing) == 1, describe(result.errors)
    assert "no menu for 2026-12-07" in missing[0].message
    assert "monday = 2026-12-07" in missing[0].message


def test_a_missing_week_points_at_the_gap(kb: KbCopy) -> None:
    delete_week(kb, "2026-12-07")
    result = check(kb.root)
    after_gap = kb.header_before("menu.toml", "monday = 2026-12-14", "[[week]]")
    problem = next(p for p in result.errors if "no menu for" in p.message)
    assert problem.line in (after_gap, after_gap + 1)


def test_a_deleted_first_week_is_not_a_gap(kb: KbCopy) -> None:
    delete_week(kb, "2026-11-16")
    result = check(kb.root)
    assert result.errors == [], describe(result.errors)


def test_the_same_alias_on_two_items(kb: KbCopy) -> None:
    alias = "老年卡怎么办"                         # an alias of A082
    kb.edit_line(ELDERLY, "aliases =", f'aliases = ["{alias}", "老年卡丢了", "老年卡补办"]',
                 after=A083)
    result = check(kb.root)
    first = kb.line_of(ELDERLY, f'"{alias}"', after=A082)
    second = kb.line_of(ELDERLY, f'"{alias}"', after=A083)
    assert first != second
    assert_problem(result.errors, ELDERLY, first, f"A082: 「{alias}」 also names A083")
    assert_problem(result.errors, ELDERLY, second, f"A083: 「{alias}」 also names A082")


def test_an_alias_equal_to_another_items_name_after_normalising(kb: KbCopy) -> None:
    # Full-width punctuation and traditional characters do not make a phrase different.
    kb.edit_line(ELDERLY, "aliases =", 'aliases = ["敬老卡，申領", "老年卡丢了"]', after=A083)
    result = check(kb.root)
    assert_problem(result.errors, ELDERLY, kb.line_of(ELDERLY, '"敬老卡，申領"'),
                   "A083: 「敬老卡，申領」 also names A082")


def test_a_missing_file(kb: KbCopy) -> None:
    (kb.root / "station.toml").unlink()
    result = check(kb.root)
    assert_problem(result.errors, "station.toml", 0, "file is missing")


def test_a_file_that_is_not_utf8(kb: KbCopy) -> None:
    (kb.root / "faq.toml").write_bytes(kb.text("faq.toml").encode("gb18030"))
    result = check(kb.root)
    assert_problem(result.errors, "faq.toml", 0, "not UTF-8")


def test_no_affairs_files(kb: KbCopy) -> None:
    for path in (kb.root / "affairs").glob("*.toml"):
        path.unlink()
    result = check(kb.root)
    assert_problem(result.errors, "affairs/", 0, "no affairs item files found")


def test_errors_and_warnings_are_listed_separately(kb: KbCopy) -> None:
    kb.edit_line(ELDERLY, "note =", 'colour = "red"', after=A082)
    kb.edit_line(ELDERLY, "handling =", 'handling = "马上办"', after=A083)
    result = check(kb.root)
    assert all(p.severity == "error" for p in result.errors)
    assert all(p.severity == "warning" for p in result.warnings)
    assert [p.message for p in result.errors if "colour" in p.message] == []
    assert any("colour" in p.message for p in result.warnings)
    assert any("handling" in p.message for p in result.errors)
    assert result.errors == sorted(result.errors)
    assert len(result.problems) == len(result.errors) + len(result.warnings)


def test_problem_text_names_file_and_line() -> None:
    problem = Problem("affairs/housing.toml", 17, "something is wrong")
    assert str(problem) == "affairs/housing.toml:17: something is wrong"
    assert problem.severity == "error"


# -- the engine confusion check ------------------------------------------------------------

def test_confusion_check_reports_items_the_engine_cannot_tell_apart(
        kb: KbCopy, tmp_path: Path) -> None:
    """Item A187 is rewritten to say A186's name and aliases again, each with a trailing 的 (a
    stopword): the alias check sees different text, but the engine cannot tell them apart."""
    path = "affairs/union_other.toml"
    source = kb.lines(path)
    a_name = next(line for line in source[kb.item_block(path, "A186")[0]:]
                  if line.startswith("name = ")).split('"')[1]
    a_aliases_line = next(line for line in source[kb.item_block(path, "A186")[0]:]
                          if line.startswith("aliases = "))
    a_aliases = [part for part in a_aliases_line.split('"')[1::2]]
    b_aliases = ", ".join(f'"{alias}的"' for alias in a_aliases)
    kb.edit_line(path, "name =", f'name = "{a_name}的"', after='id = "A187"')
    kb.edit_line(path, "aliases =", f"aliases = [{b_aliases}]", after='id = "A187"')
    cache = tmp_path / "engine-cache"

    def engine_factory(knowledge: Knowledge) -> IntentEngine:
        return IntentEngine(build_phrasebook(knowledge), cache_dir=cache)

    without_engine = check(kb.root)
    assert without_engine.errors == [], describe(without_engine.errors)
    assert not any("score too close" in p.message for p in without_engine.problems)
    result = check(kb.root, engine_factory=engine_factory)
    close = [p for p in result.problems if "score too close" in p.message
             and "A186" in p.message and "A187" in p.message]
    assert close, describe(result.problems)
    assert all(p.path == path and p.line > 0 for p in close)


def test_confusion_check_is_skipped_when_there_are_errors(kb: KbCopy) -> None:
    kb.edit_line(ELDERLY, "handling =", 'handling = "马上办"', after=A082)
    calls: list[Knowledge] = []

    def engine_factory(knowledge: Knowledge) -> IntentEngine:
        calls.append(knowledge)
        raise AssertionError("the engine is not built when there are errors")

    result = check(kb.root, engine_factory=engine_factory)
    assert result.errors
    assert calls == []


def test_confusion_check_reports_an_alias_answered_as_another_intent(
        kb: KbCopy, tmp_path: Path) -> None:
    path = "affairs/medical_insurance.toml"
    # A greeting is answered as a greeting before any item is looked at.
    kb.edit_line(path, "aliases =", 'aliases = ["医保消费明细", "你好"]',
                 after='id = "A050"')
    cache = tmp_path / "engine-cache"
    result = check(kb.root, engine_factory=lambda knowledge: IntentEngine(
        build_phrasebook(knowledge), cache_dir=cache))
    assert any("A050" in p.message and "你好" in p.message for p in result.problems), \
        describe(result.problems)


def test_an_item_category_differing_from_the_catalogue(kb: KbCopy, catalogue: Path) -> None:
    def recategorise(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{**r, "category": "社会救助"} if r["id"] == "A082" else r for r in rows]

    edit_csv(catalogue / "affairs_items.csv", recategorise)
    result = check(kb.root, catalogue)
    assert_problem(result.errors, ELDERLY, kb.line_of(ELDERLY, "category = "),
                   "A082 category is 「养老服务」 but the catalogue says 「社会救助」")


# -- names shared across kinds --------------------------------------------------------------

def test_two_meal_points_with_one_name(kb: KbCopy) -> None:
    kb.edit_line("canteen.toml", "aliases =", 'aliases = ["桂花苑食堂", "梅园食堂"]',
                 after='id = "guihua"')
    result = check(kb.root)
    line = kb.line_of("canteen.toml", '"梅园食堂"', after='id = "guihua"')
    problem = assert_problem(result.errors, "canteen.toml", line, "梅园食堂")
    assert "meiyuan" in problem.message


def test_an_item_alias_that_is_a_faq_question(kb: KbCopy) -> None:
    kb.edit_line(ELDERLY, "aliases =", 'aliases = ["老年卡丢了", "托老所"]', after=A082)
    result = check(kb.root)
    line = kb.line_of(ELDERLY, '"托老所"', after=A082)
    problem = assert_problem(result.warnings, ELDERLY, line, "FAQ elder.daycare")
    assert problem.severity == "warning"


def test_an_item_alias_that_is_a_report_word_after_normalising(kb: KbCopy) -> None:
    kb.edit_line(ELDERLY, "aliases =", 'aliases = ["老年卡丢了", "楼道燈"]', after=A082)
    result = check(kb.root)
    line = kb.line_of(ELDERLY, '"楼道燈"', after=A082)
    assert_problem(result.warnings, ELDERLY, line, "report category lighting")


# -- emergencies and office hours -------------------------------------------------------------

def test_an_emergency_under_an_unknown_category(kb: KbCopy) -> None:
    kb.edit_line("reports.toml", "category =", 'category = "lifts"', after='id = "lift_trapped"')
    result = check(kb.root)
    assert_problem(result.errors, "reports.toml", kb.line_of("reports.toml", 'id = "lift_trapped"'),
                   "emergency lift_trapped: unknown category lifts")


def test_an_emergency_without_any_safety_text(kb: KbCopy) -> None:
    kb.edit_line("reports.toml", "category =", 'category = "noise"', after='id = "fire"')
    result = check(kb.root)
    assert_problem(result.errors, "reports.toml", kb.line_of("reports.toml", 'id = "fire"'),
                   "emergency fire: no `safety` text")


def test_an_emergency_with_a_wrong_all_of(kb: KbCopy) -> None:
    text = kb.text("reports.toml")
    start = text.index("all_of", text.index('id = "lift_trapped"'))
    end = text.index("\n]\n", start) + 3
    kb.write("reports.toml", text[:start] + 'all_of = ["电梯", "困"]\n' + text[end:])
    result = check(kb.root)
    assert any("all_of" in p.message for p in result.errors), describe(result.errors)


def test_office_hours_must_read_as_hours(kb: KbCopy) -> None:
    kb.edit_line("station.toml", "sat =", 'sat = "上午"')
    result = check(kb.root)
    assert_problem(result.errors, "station.toml", kb.line_of("station.toml", "sat ="),
                   '`sat` must be opening-closing like "8:30-17:00"')
