"""Load `knowledge/*.toml` into the typed model, collecting every problem with file and line."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.kb.model import (
    CLOSED,
    HANDLING_KINDS,
    MEALS,
    WEEKDAYS,
    AffairsItem,
    Bookings,
    Building,
    Canteen,
    Compound,
    Cutoff,
    DayMenu,
    Delivery,
    EmergencySituation,
    FaqEntry,
    Holiday,
    Knowledge,
    Lexicon,
    MealPoint,
    Person,
    PointOrders,
    Prices,
    ReportCategory,
    Roster,
    StaffMember,
    Station,
    Window,
)
from bot.kb.source import Problem, TomlSource

DISH_SEPARATORS = re.compile(r"[、,，;；/\s]+")
CUTOFF = re.compile(r"^(当天|前一天|前两天|提前(\d)天)\s*(\d{1,2})[:：](\d{2})$")
ITEM_ID = re.compile(r"^A\d{3,4}$")
FAQ_ID = re.compile(r"^[a-z0-9_.]+$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
URGENCIES = ("normal", "urgent", "emergency")
# The canteen topics of lexicon.toml's [menu_topics], in the order they are tried.
MENU_TOPICS = ("delivery", "diet", "price", "open", "hours", "points")
HOURS = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*[-–~～至到]\s*(\d{1,2})[:：](\d{2})\s*$")


@dataclass(frozen=True)
class _Reports:
    """What reports.toml holds."""

    categories: tuple[ReportCategory, ...]
    cues: tuple[str, ...]
    not_cues: tuple[str, ...]
    emergencies: tuple[EmergencySituation, ...]
    places: tuple[str, ...]
    outside: tuple[str, ...]


class KnowledgeError(Exception):
    """The knowledge base has errors; `problems` lists them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        shown = "\n".join(str(p) for p in errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"knowledge base has {len(errors)} error(s):\n{shown}{more}")


class _TomlTable:
    """Typed access to one TOML table (a file's top level, a `[section]` or one `[[entry]]`),
    reporting wrong or missing fields with their line."""

    def __init__(self, source: TomlSource, problems: list[Problem], data: Any,
                 table: str | None = None, index: int = 0, label: str = "",
                 section: str | None = None) -> None:
        self.source = source
        self.problems = problems
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        self.table = table
        self.index = index
        self.label = label
        self.section = section
        if not isinstance(data, dict):
            self.error(None, "expected a table of fields")

    def line(self, key: str | None) -> int:
        if self.section is not None:
            return self.source.section_key_line(self.section, key)
        if key is None:
            return self.source.entry_line(self.table, self.index) if self.table else 1
        return self.source.key_line(key, self.table, self.index)

    def error(self, key: str | None, message: str, severity: str = "error") -> None:
        where = f"{self.label}: " if self.label else ""
        self.problems.append(Problem(self.source.display, self.line(key), where + message,
                                     severity))

    def _get(self, key: str, required: bool) -> Any:
        if key not in self.data:
            if required:
                self.error(None, f"missing field `{key}`")
            return None
        return self.data[key]

    def text(self, key: str, required: bool = True, default: str = "") -> str:
        value = self._get(key, required)
        if value is None:
            return default
        if not isinstance(value, str):
            self.error(key, f"`{key}` must be text in double quotes")
            return default
        if required and not value.strip():
            self.error(key, f"`{key}` is empty")
        return value.strip()

    def texts(self, key: str, required: bool = True) -> tuple[str, ...]:
        value = self._get(key, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(key, f'`{key}` must be a list of texts: ["...", "..."]')
            return ()
        cleaned = tuple(v.strip() for v in value)
        if any(not v for v in cleaned):
            self.error(key, f"`{key}` has an empty entry")
        return tuple(v for v in cleaned if v)

    def integer(self, key: str, required: bool = True, default: int = 0) -> int:
        value = self._get(key, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"`{key}` must be a whole number")
            return default
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, f"`{key}` must be true or false")
            return default
        return value

    def date(self, key: str, required: bool = True) -> dt.date | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            self.error(key, f"`{key}` must be a date written like 2026-11-16 (no quotes)")
            return None
        return value

    def dates(self, key: str, required: bool = True) -> tuple[dt.date, ...]:
        value = self._get(key, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(
                isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in value):
            self.error(key, f"`{key}` must be a list of dates: [2026-12-25, 2027-01-01]")
            return ()
        return tuple(value)

    def table_list(self, key: str) -> list[Any]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.error(key, f"`{key}` must be a list of [[{key}]] blocks")
            return []
        return value

    def unknown(self, allowed: Iterable[str]) -> None:
        allowed_set = set(allowed)
        for key in self.data:
            if key not in allowed_set:
                self.error(key, f"unknown field `{key}` (a typo?)", "warning")


class KnowledgeLoader:
    """Reads a knowledge directory; `problems` collects everything wrong."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.sources: dict[str, TomlSource] = {}
        # item id -> every (file, line) where an [[item]] with that id starts
        self.item_locations: dict[str, list[tuple[str, int]]] = {}

    def _open(self, relative: str) -> TomlSource | None:
        path = self.root / relative
        if not path.is_file():
            self.problems.append(Problem(relative, 0, "file is missing"))
            return None
        try:
            source = TomlSource(path, relative)
            self.sources[relative] = source
            return source
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
            self.problems.append(Problem(relative, line, f"not valid TOML: {exc.args[0]}"))
        except UnicodeDecodeError:
            self.problems.append(Problem(relative, 0, "file is not UTF-8 text"))
        return None

    # -- files --------------------------------------------------------------------------
    def station(self) -> Station:
        src = self._open("station.toml")
        if src is None:
            return Station("", "", "", "", "", "", "", ())
        top = _TomlTable(src, self.problems, src.data)
        windows = []
        for i, raw in enumerate(top.table_list("window")):
            entry = _TomlTable(src, self.problems, raw, "window", i, f"window {i + 1}")
            entry.unknown(("name", "floor", "categories"))
            windows.append(Window(entry.text("name"), entry.text("floor"),
                                  entry.texts("categories")))
        top.unknown(("name", "address", "phone", "hours", "duty_window", "duty_phone",
                     "confirm_hint", "window", "office_hours"))
        return Station(
            name=top.text("name"), address=top.text("address"), phone=top.text("phone"),
            hours=top.text("hours"), duty_window=top.text("duty_window"),
            duty_phone=top.text("duty_phone"), confirm_hint=top.text("confirm_hint"),
            windows=tuple(windows), office_hours=self._office_hours(src),
        )

    def _office_hours(self, src: TomlSource) -> tuple[tuple[str, dt.time, dt.time], ...]:
        """[office_hours] mon = "8:30-17:00" ...: when staff answer residents in chat."""
        table = _TomlTable(src, self.problems, src.data.get("office_hours", {}),
                           label="[office_hours]", section="office_hours")
        table.unknown(WEEKDAYS)
        hours = []
        for day in WEEKDAYS:
            text = table.text(day, required=False)
            if not text:
                continue
            match = HOURS.match(text)
            opening = closing = None
            if match:
                numbers = [int(g) for g in match.groups()]
                with contextlib.suppress(ValueError):
                    opening = dt.time(numbers[0], numbers[1])
                    closing = dt.time(numbers[2], numbers[3])
            if opening is None or closing is None or opening >= closing:
                table.error(day, f'`{day}` must be opening-closing like "8:30-17:00"')
                continue
            hours.append((day, opening, closing))
        return tuple(hours)

    def items(self) -> tuple[AffairsItem, ...]:
        folder = self.root / "affairs"
        files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        if not files:
            self.problems.append(Problem("affairs/", 0, "no affairs item files found"))
        items: list[AffairsItem] = []
        for path in files:
            src = self._open(f"affairs/{path.name}")
            if src is None:
                continue
            top = _TomlTable(src, self.problems, src.data)
            top.unknown(("category", "item"))
            category = top.text("category")
            for i, raw in enumerate(top.table_list("item")):
                entry = _TomlTable(src, self.problems, raw, "item", i,
                               str(raw.get("id", f"item {i + 1}")) if isinstance(raw, dict)
                               else f"item {i + 1}")
                item = self._item(entry, category)
                if item is not None:
                    self.item_locations.setdefault(item.id, []).append(
                        (src.display, src.entry_line("item", i)))
                    items.append(item)
        return tuple(items)

    def _item(self, entry: _TomlTable, category: str) -> AffairsItem | None:
        entry.unknown(("id", "name", "department", "handling", "time_limit", "provenance",
                       "confirmed", "note", "aliases", "eligible", "materials", "steps", "fee",
                       "hotline", "window"))
        item_id = entry.text("id")
        if item_id and not ITEM_ID.match(item_id):
            entry.error("id", f"id `{item_id}` must look like A001")
        handling = entry.text("handling")
        if handling and handling not in HANDLING_KINDS:
            entry.error("handling", f"handling must be one of {', '.join(HANDLING_KINDS)}")
        provenance = entry.text("provenance")
        if provenance and provenance not in ("source", "modelled"):
            entry.error("provenance", "provenance must be source or modelled")
        materials = entry.texts("materials")
        for material in materials:
            if not any(word in material for word in ("原件", "复印件", "照片", "表", "书")):
                entry.error("materials", f"say 原件 or 复印件 for 「{material}」", "warning")
        item = AffairsItem(
            id=item_id, name=entry.text("name"), category=category,
            department=entry.text("department"), handling=handling,
            time_limit=entry.text("time_limit"), provenance=provenance,
            confirmed=entry.boolean("confirmed"), note=entry.text("note", required=False),
            aliases=entry.texts("aliases"), eligible=entry.text("eligible"),
            materials=materials, steps=entry.texts("steps"), fee=entry.text("fee"),
            hotline=entry.text("hotline"), window=entry.text("window", required=False),
        )
        if not item.aliases:
            entry.error("aliases", "no aliases: residents rarely type the official name",
                        "warning")
        return item if item_id else None

    def faq(self) -> tuple[FaqEntry, ...]:
        src = self._open("faq.toml")
        if src is None:
            return ()
        top = _TomlTable(src, self.problems, src.data)
        top.unknown(("faq",))
        entries = []
        for i, raw in enumerate(top.table_list("faq")):
            entry = _TomlTable(src, self.problems, raw, "faq", i, f"faq {i + 1}")
            entry.unknown(("id", "question", "aliases", "answer"))
            faq_id = entry.text("id")
            if faq_id and not FAQ_ID.match(faq_id):
                entry.error("id", "faq id may use only a-z, digits, dots and underscores")
            answer = entry.text("answer")
            for name in PLACEHOLDER.findall(answer):
                if name not in ("station", "address", "phone", "hours", "duty_window",
                                "duty_phone"):
                    entry.error("answer", f"unknown placeholder {{{name}}}")
            entries.append(FaqEntry(faq_id, entry.text("question"), entry.texts("aliases"),
                                    answer))
        return tuple(entries)

    def canteen(self) -> Canteen:
        empty_prices = Prices(0, 0, 0, 0, "", "")
        empty_delivery = Delivery("", "", "", "", "")
        src = self._open("canteen.toml")
        points: list[MealPoint] = []
        prices, delivery = empty_prices, empty_delivery
        diet = ""
        if src is not None:
            top = _TomlTable(src, self.problems, src.data)
            top.unknown(("prices", "point", "delivery", "diet"))
            diet = _TomlTable(src, self.problems, src.data.get("diet", {}), label="[diet]",
                              section="diet").text("note", required=False)
            p = _TomlTable(src, self.problems, src.data.get("prices", {}), label="[prices]",
                       section="prices")
            prices = Prices(p.integer("set_a"), p.integer("set_b"), p.integer("breakfast"),
                            p.integer("dinner"), p.text("subsidy"), p.text("payment"),
                            p.integer("dish", required=False),
                            p.integer("elder_subsidy", required=False))
            d = _TomlTable(src, self.problems, src.data.get("delivery", {}), label="[delivery]",
                       section="delivery")
            delivery = Delivery(d.text("eligible"), d.text("signup"), d.text("fee"),
                                d.text("hours"), d.text("order_deadline"))
            for i, raw in enumerate(top.table_list("point")):
                entry = _TomlTable(src, self.problems, raw, "point", i, f"point {i + 1}")
                entry.unknown(("id", "name", "kind", "address", "aliases", "meals", "days",
                               "note", *MEALS))
                meals = entry.texts("meals")
                for meal in meals:
                    if meal not in MEALS:
                        entry.error("meals", f"unknown meal `{meal}` (breakfast/lunch/dinner)")
                hours = {m: entry.text(m) for m in meals if m in MEALS}
                kind = entry.text("kind")
                if kind and kind not in ("canteen", "meal_point"):
                    entry.error("kind", "kind must be canteen or meal_point")
                points.append(MealPoint(entry.text("id"), entry.text("name"), kind,
                                        entry.text("address"), entry.texts("aliases"), meals,
                                        entry.text("days"), hours,
                                        entry.text("note", required=False)))
        return Canteen(tuple(points), prices, delivery, self.menu(), diet)

    def menu(self) -> dict[dt.date, DayMenu]:
        src = self._open("menu.toml")
        if src is None:
            return {}
        top = _TomlTable(src, self.problems, src.data)
        top.unknown(("week",))
        menu: dict[dt.date, DayMenu] = {}
        for i, raw in enumerate(top.table_list("week")):
            entry = _TomlTable(src, self.problems, raw, "week", i, f"week {i + 1}")
            entry.unknown(("monday", "set_a", "set_b", "breakfast", "dinner"))
            monday = entry.date("monday")
            if monday is None:
                continue
            if monday.weekday() != 0:
                entry.error("monday", f"{monday} is not a Monday")
                continue
            meals: dict[str, dict[str, tuple[str, ...]]] = {}
            for meal in ("set_a", "set_b", "breakfast", "dinner"):
                table = entry.data.get(meal)
                meals[meal] = {}
                if not isinstance(table, dict):
                    entry.error(None, f"missing [week.{meal}] block")
                    continue
                for key, value in table.items():
                    line = src.key_line(key, "week", i, subtable=meal)
                    if key not in WEEKDAYS:
                        self.problems.append(Problem(src.display, line,
                                                     f"week {monday}: `{key}` is not a day "
                                                     f"({' '.join(WEEKDAYS)})"))
                    elif not isinstance(value, str) or not value.strip():
                        self.problems.append(Problem(src.display, line,
                                                     f"week {monday} {meal}.{key}: write the "
                                                     "dishes as text, or \"休息\""))
                    else:
                        meals[meal][key] = split_dishes(value)
            for offset, day in enumerate(WEEKDAYS):
                date = monday + dt.timedelta(days=offset)
                if date in menu:
                    entry.error("monday", f"{date} is already in an earlier week")
                    continue
                missing = [m for m in meals if day not in meals[m]]
                if missing:
                    entry.error("monday", f"{date} ({day}) has no {', '.join(missing)}: "
                                "write the dishes or \"休息\"")
                menu[date] = DayMenu(date, *(meals[m].get(day, ()) for m in
                                             ("set_a", "set_b", "breakfast", "dinner")))
        return dict(sorted(menu.items()))

    def reports(self) -> _Reports:
        src = self._open("reports.toml")
        if src is None:
            return _Reports((), (), (), (), (), ())
        top = _TomlTable(src, self.problems, src.data)
        top.unknown(("cues", "not_cues", "places", "outside", "category", "emergency"))
        cues = top.texts("cues")
        not_cues = top.texts("not_cues", required=False)
        categories = []
        for i, raw in enumerate(top.table_list("category")):
            entry = _TomlTable(src, self.problems, raw, "category", i, f"category {i + 1}")
            entry.unknown(("id", "name", "urgency", "response_hours", "keywords", "safety",
                           "examples"))
            urgency = entry.text("urgency")
            if urgency and urgency not in URGENCIES:
                entry.error("urgency", f"urgency must be one of {', '.join(URGENCIES)}")
            safety = entry.text("safety", required=False)
            if urgency == "emergency" and not safety:
                entry.error("safety", "an emergency category needs a `safety` instruction")
            categories.append(ReportCategory(entry.text("id"), entry.text("name"), urgency,
                                             entry.integer("response_hours"),
                                             entry.texts("keywords"), safety,
                                             entry.texts("examples", required=False)))
        emergencies = []
        for i, raw in enumerate(top.table_list("emergency")):
            entry = _TomlTable(src, self.problems, raw, "emergency", i, f"emergency {i + 1}")
            entry.unknown(("id", "name", "category", "phrases", "all_of", "unless", "safety"))
            all_of = raw.get("all_of", []) if isinstance(raw, dict) else []
            if not isinstance(all_of, list) or not all(
                    isinstance(g, list) and g and all(isinstance(w, str) and w.strip() for w in g)
                    for g in all_of):
                entry.error("all_of", '`all_of` must be a list of word lists: [["电梯"], '
                                      '["困", "关在"]]')
                all_of = []
            phrases = entry.texts("phrases", required=False)
            if not phrases and not all_of:
                entry.error(None, "an emergency needs `phrases` or `all_of`")
            emergencies.append(EmergencySituation(
                entry.text("id"), entry.text("name"), entry.text("category"), phrases,
                tuple(tuple(w.strip() for w in g) for g in all_of),
                entry.texts("unless", required=False), entry.text("safety", required=False)))
        return _Reports(tuple(categories), cues, not_cues, tuple(emergencies),
                        top.texts("places", required=False), top.texts("outside", required=False))

    def lexicon(self, report_cues: tuple[str, ...], report_not_cues: tuple[str, ...] = ()
                ) -> Lexicon:
        src = self._open("lexicon.toml")
        if src is None:
            return Lexicon((), (), (), (), (), (), report_cues, {}, (),
                           report_not_cues=report_not_cues)
        top = _TomlTable(src, self.problems, src.data)
        top.unknown(("fillers", "greetings", "handoff", "wish_cues", "menu_words",
                     "affairs_cues", "actions", "stopwords", "homophones", "acknowledgements",
                     "addresses", "station_words", "canteen_words", "other_places", "eat_words",
                     "food_words",
                     "place_suffixes", "menu_topics", "capabilities", "action_cues", "concepts",
                     "out_of_scope", "not_reports", "own_things", "not_meals"))
        raw = src.data.get("homophones", {})
        homophones: dict[str, str] = {}
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            self.problems.append(Problem(src.display, src.section_key_line("homophones"),
                                         '[homophones] must map text to text: "居住正" = "居住证"'))
        else:
            homophones = dict(raw)
        topics_table = _TomlTable(src, self.problems, src.data.get("menu_topics", {}),
                                  label="[menu_topics]", section="menu_topics")
        topics_table.unknown(MENU_TOPICS)
        menu_topics = tuple((topic, words) for topic in MENU_TOPICS
                            if (words := topics_table.texts(topic, required=False)))
        concepts_table = _TomlTable(src, self.problems, src.data.get("concepts", {}),
                                    label="[concepts]", section="concepts")
        concepts = tuple((term, concepts_table.texts(term)) for term in concepts_table.data)
        cues_table = _TomlTable(src, self.problems, src.data.get("action_cues", {}),
                                label="[action_cues]", section="action_cues")
        done = ("done_before", "done_after")
        action_cues = tuple((action, cues_table.texts(action)) for action in cues_table.data
                            if action not in done)
        return Lexicon(top.texts("fillers"), top.texts("greetings"), top.texts("handoff"),
                       top.texts("wish_cues"), top.texts("menu_words"),
                       top.texts("affairs_cues"), report_cues, homophones,
                       top.texts("stopwords"),
                       acknowledgements=top.texts("acknowledgements", required=False),
                       addresses=top.texts("addresses", required=False),
                       station_words=top.texts("station_words", required=False),
                       actions=top.texts("actions", required=False),
                       canteen_words=top.texts("canteen_words", required=False),
                       other_places=top.texts("other_places", required=False),
                       eat_words=top.texts("eat_words", required=False),
                       food_words=top.texts("food_words", required=False),
                       place_suffixes=top.texts("place_suffixes", required=False),
                       menu_topics=menu_topics, report_not_cues=report_not_cues,
                       capabilities=top.texts("capabilities", required=False),
                       out_of_scope=top.texts("out_of_scope", required=False),
                       not_reports=top.texts("not_reports", required=False),
                       own_things=top.texts("own_things", required=False),
                       not_meals=top.texts("not_meals", required=False),
                       action_cues=action_cues, concepts=concepts,
                       done_before=cues_table.texts("done_before", required=False),
                       done_after=cues_table.texts("done_after", required=False))

    def calendar(self) -> tuple[Holiday, ...]:
        src = self._open("calendar.toml")
        if src is None:
            return ()
        top = _TomlTable(src, self.problems, src.data)
        top.unknown(("holiday", "workdays"))
        holidays = []
        for i, raw in enumerate(top.table_list("holiday")):
            entry = _TomlTable(src, self.problems, raw, "holiday", i, f"holiday {i + 1}")
            entry.unknown(("name", "aliases", "dates", "public"))
            holidays.append(Holiday(entry.text("name"), entry.texts("aliases", required=False),
                                    entry.dates("dates"), entry.boolean("public")))
        return tuple(holidays)

    def workdays(self) -> tuple[dt.date, ...]:
        """Make-up working days (调休) of calendar.toml."""
        src = self._open("calendar.toml")
        if src is None:
            return ()
        return _TomlTable(src, self.problems, src.data).dates("workdays", required=False)

    def roster(self) -> Roster:
        src = self._open("roster.toml")
        if src is None:
            return Roster((), (), (), ())
        top = _TomlTable(src, self.problems, src.data)
        top.unknown(("compound", "building", "person", "staff"))
        compounds = []
        for i, raw in enumerate(top.table_list("compound")):
            e = _TomlTable(src, self.problems, raw, "compound", i, f"compound {i + 1}")
            e.unknown(("name", "aliases", "address"))
            compounds.append(Compound(e.text("name"), e.texts("aliases", required=False),
                                      e.text("address", required=False)))
        buildings = []
        for i, raw in enumerate(top.table_list("building")):
            e = _TomlTable(src, self.problems, raw, "building", i, f"building {i + 1}")
            e.unknown(("name", "compound", "units", "floors", "leader", "backup"))
            buildings.append(Building(e.text("name"), e.text("compound"), e.integer("units"),
                                      e.integer("floors"), e.text("leader"),
                                      e.text("backup")))
        people = []
        for i, raw in enumerate(top.table_list("person")):
            e = _TomlTable(src, self.problems, raw, "person", i, f"person {i + 1}")
            e.unknown(("name", "phone", "role", "away_until", "wecom_userid", "telegram_id"))
            people.append(Person(e.text("name"), e.text("phone"), e.text("role"),
                                 e.date("away_until", required=False),
                                 e.text("wecom_userid", required=False),
                                 e.text("telegram_id", required=False)))
        staff = []
        for i, raw in enumerate(top.table_list("staff")):
            e = _TomlTable(src, self.problems, raw, "staff", i, f"staff {i + 1}")
            e.unknown(("name", "aliases", "phone", "title", "duty_days", "wecom_userid",
                       "telegram_id"))
            staff.append(StaffMember(e.text("name"), e.texts("aliases", required=False),
                                     e.text("phone"), e.text("title"),
                                     e.texts("duty_days", required=False),
                                     e.text("wecom_userid", required=False),
                                     e.text("telegram_id", required=False)))
        return Roster(tuple(compounds), tuple(buildings), tuple(people), tuple(staff))

    def asked(self, items: tuple[AffairsItem, ...]) -> tuple[tuple[str, str], ...]:
        """asked.toml (optional): `A001 = ["…", "…"]`, questions residents asked about each
        item; as (item id, question) pairs."""
        if not (self.root / "asked.toml").is_file():
            return ()
        src = self._open("asked.toml")
        if src is None:
            return ()
        top = _TomlTable(src, self.problems, src.data)
        item_ids = {item.id for item in items}
        pairs: list[tuple[str, str]] = []
        seen: dict[str, str] = {}
        for key in top.data:
            if key not in item_ids:
                top.error(key, f"`{key}` is not an item id (A001 … A188)")
                continue
            for question in top.texts(key):
                earlier = seen.setdefault(question, key)
                if earlier != key:
                    top.error(key, f"「{question}」 is also under `{earlier}`: one item only")
                    continue
                pairs.append((key, question))
        return tuple(pairs)

    def bookings(self, canteen: Canteen) -> Bookings:
        """bookings.toml (optional): without it the bot takes no orders or appointments."""
        if not (self.root / "bookings.toml").is_file():
            return Bookings()
        src = self._open("bookings.toml")
        if src is None:
            return Bookings()
        top = _TomlTable(src, self.problems, src.data)
        top.unknown(("orders", "delivery", "appointments"))
        o = _TomlTable(src, self.problems, src.data.get("orders", {}), label="[orders]",
                       section="orders")
        o.unknown(("days_ahead", "max_portions", "point"))
        points: list[PointOrders] = []
        for i, raw in enumerate(o.table_list("point")):
            entry = _TomlTable(src, self.problems, raw, "orders.point", i,
                               f"orders point {i + 1}")
            entry.unknown(("id", "choose_dishes", *MEALS))
            point = canteen.point(entry.text("id"))
            if point is None:
                entry.error("id", f"no meal point `{entry.text('id')}` in canteen.toml")
                continue
            cutoffs = {}
            for meal in MEALS:
                if meal in raw:
                    if meal not in point.meals:
                        entry.error(meal, f"{point.name} does not serve {meal}")
                    cutoff = self._cutoff(entry, meal)
                    if cutoff is not None:
                        cutoffs[meal] = cutoff
            points.append(PointOrders(point.id, cutoffs, entry.boolean("choose_dishes")))
        d = _TomlTable(src, self.problems, src.data.get("delivery", {}), label="[delivery]",
                       section="delivery")
        d.unknown(("order_by", "meals", "fee", "min_age"))
        meals = d.texts("meals", required=False)
        for meal in meals:
            if meal not in MEALS:
                d.error("meals", f"unknown meal `{meal}` (breakfast/lunch/dinner)")
        a = _TomlTable(src, self.problems, src.data.get("appointments", {}),
                       label="[appointments]", section="appointments")
        a.unknown(("slot_minutes", "capacity", "days_ahead", "remind_at",
                   "saturday_on_the_spot_only"))
        remind = re.fullmatch(r"(\d{1,2})[:：](\d{2})", a.text("remind_at", required=False,
                                                              default="17:00"))
        if remind is None or int(remind.group(1)) > 23 or int(remind.group(2)) > 59:
            a.error("remind_at", "`remind_at` must be a time like \"17:00\"")
        slot = a.integer("slot_minutes", required=False, default=30)
        if not 5 <= slot <= 240:
            a.error("slot_minutes", "`slot_minutes` must be between 5 and 240")
        return Bookings(
            days_ahead=o.integer("days_ahead", required=False, default=7),
            max_portions=max(1, o.integer("max_portions", required=False, default=10)),
            points=tuple(points),
            delivery_cutoff=self._cutoff(d, "order_by") if "order_by" in d.data else None,
            delivery_meals=tuple(m for m in meals if m in MEALS),
            delivery_fee=d.integer("fee", required=False),
            delivery_min_age=d.integer("min_age", required=False, default=80),
            slot_minutes=slot if 5 <= slot <= 240 else 30,
            capacity=max(0, a.integer("capacity", required=False)),
            appointment_days=a.integer("days_ahead", required=False, default=14),
            remind_at=dt.time(int(remind.group(1)), int(remind.group(2)))
            if remind is not None and int(remind.group(1)) <= 23 and int(remind.group(2)) <= 59
            else dt.time(17, 0),
            saturday_on_the_spot_only=a.boolean("saturday_on_the_spot_only", True))

    @staticmethod
    def _cutoff(table: _TomlTable, key: str) -> Cutoff | None:
        """"当天 9:30" / "前一天 17:00"."""
        text = table.text(key)
        match = CUTOFF.match(text)
        if match is None or int(match.group(3)) > 23 or int(match.group(4)) > 59:
            table.error(key, f"`{key}` must read like \"当天 9:30\" or \"前一天 17:00\"")
            return None
        before = {"当天": 0, "前一天": 1, "前两天": 2}.get(match.group(1))
        return Cutoff(before if before is not None else int(match.group(2)),
                      dt.time(int(match.group(3)), int(match.group(4))))

    def load(self) -> Knowledge:
        """Read every file; problems are in `self.problems`."""
        reports = self.reports()
        items = self.items()
        canteen = self.canteen()
        return Knowledge(
            station=self.station(), items=items, faq=self.faq(), asked=self.asked(items),
            canteen=canteen, bookings=self.bookings(canteen), reports=reports.categories,
            lexicon=self.lexicon(reports.cues, reports.not_cues),
            roster=self.roster(), holidays=self.calendar(), workdays=self.workdays(),
            emergencies=reports.emergencies,
            report_places=reports.places, outside_places=reports.outside,
        )


def split_dishes(text: str) -> tuple[str, ...]:
    """"红烧肉、番茄炒蛋" -> ("红烧肉", "番茄炒蛋"); "休息" -> () (closed)."""
    text = text.strip()
    if text == CLOSED:
        return ()
    return tuple(d for d in DISH_SEPARATORS.split(text) if d)


def _line_from_message(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 0


def load_knowledge(root: Path) -> Knowledge:
    """Load the knowledge base, raising KnowledgeError if it has errors."""
    loader = KnowledgeLoader(root)
    knowledge = loader.load()
    if any(p.severity == "error" for p in loader.problems):
        raise KnowledgeError(loader.problems)
    return knowledge
