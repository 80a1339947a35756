"""The real knowledge base loads cleanly, and the typed model holds what the files say."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.kb.loader import KnowledgeError, KnowledgeLoader, load_knowledge, split_dishes
from bot.kb.model import HANDLING_KINDS, MEALS, Knowledge
from tests.support import KNOWLEDGE_DIR


def test_real_knowledge_base_has_no_problems() -> None:
    loader = KnowledgeLoader(KNOWLEDGE_DIR)
    loader.load()
    assert [str(p) for p in loader.problems if p.severity == "error"] == []


def test_real_knowledge_base_has_188_items(knowledge: Knowledge) -> None:
    assert len(knowledge.items) == 188
    assert len({item.id for item in knowledge.items}) == 188
    assert {item.id for item in knowledge.items} == {f"A{n:03d}" for n in range(1, 189)}


def test_items_are_complete(knowledge: Knowledge) -> None:
    for item in knowledge.items:
        assert item.name and item.category and item.department, item.id
        assert item.handling in HANDLING_KINDS, item.id
        assert item.provenance in ("source", "modelled"), item.id
        assert item.aliases, item.id
        assert item.materials, item.id
        assert item.steps, item.id
        assert item.name not in item.aliases, item.id
        assert knowledge.item(item.id) is item


def test_every_item_category_has_a_window(knowledge: Knowledge) -> None:
    for item in knowledge.items:
        assert item.window or knowledge.station.window_for(item.category) is not None, item.id


def test_station_facts(knowledge: Knowledge) -> None:
    station = knowledge.station
    assert station.name and station.address and station.phone and station.hours
    placeholders = station.placeholders()
    assert set(placeholders) == {"station", "address", "phone", "hours", "duty_window",
                                 "duty_phone"}
    assert placeholders["hours"] == station.hours


def test_faq_entries(knowledge: Knowledge) -> None:
    ids = [f.id for f in knowledge.faq]
    assert len(ids) == len(set(ids))
    assert knowledge.faq_entry("station.hours") is not None
    assert knowledge.faq_entry("no.such.faq") is None


def test_canteen_and_menu_calendar(knowledge: Knowledge) -> None:
    canteen = knowledge.canteen
    kinds = [p.kind for p in canteen.points]
    assert kinds.count("canteen") == 1
    assert canteen.point("meiyuan") is not None
    assert canteen.point("nowhere") is None
    for point in canteen.points:
        assert set(point.meals) <= set(MEALS)
        assert set(point.hours) == set(point.meals)
    dates = sorted(canteen.menu)
    assert dates[0] == dt.date(2026, 11, 16)
    assert dates[-1] == dt.date(2026, 12, 27)
    assert len(dates) == (dates[-1] - dates[0]).days + 1
    tuesday = canteen.menu[dt.date(2026, 11, 24)]
    assert "黄焖鸡" in tuesday.set_b
    assert tuesday.dishes("lunch") == tuesday.set_a + tuesday.set_b
    assert tuesday.dishes("breakfast") == tuesday.breakfast


def test_report_categories(knowledge: Knowledge) -> None:
    ids = {c.id for c in knowledge.reports}
    assert {"lighting", "gas", "water_leak", "elevator"} <= ids
    gas = knowledge.report_category("gas")
    assert gas is not None and gas.urgency == "emergency" and gas.safety
    assert knowledge.report_category("nope") is None


def test_roster_buildings_have_people(knowledge: Knowledge) -> None:
    people = {p.name for p in knowledge.roster.people}
    for building in knowledge.roster.buildings:
        assert building.leader in people and building.backup in people


@pytest.mark.parametrize(("text", "dishes"), [
    ("红烧肉、番茄炒蛋", ("红烧肉", "番茄炒蛋")),
    ("红烧肉，番茄炒蛋 清炒时蔬", ("红烧肉", "番茄炒蛋", "清炒时蔬")),
    ("休息", ()),
    (" 休息 ", ()),
])
def test_split_dishes(text: str, dishes: tuple[str, ...]) -> None:
    assert split_dishes(text) == dishes


def test_load_knowledge_raises_with_every_problem(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, root)
    station = root / "station.toml"
    station.write_text(station.read_text(encoding="utf-8").replace(
        'phone = "021-5555-0188"', 'phone = 5550188', 1), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    assert any(p.path == "station.toml" and "`phone`" in p.message
               for p in caught.value.problems)
    assert "station.toml" in str(caught.value)


def test_warnings_alone_do_not_stop_loading(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, root)
    station = root / "station.toml"
    station.write_text(station.read_text(encoding="utf-8") + '\nmotto = "为民服务"\n',
                       encoding="utf-8")
    loaded = load_knowledge(root)
    assert len(loaded.items) == 188


def test_booking_rules(knowledge: Knowledge) -> None:
    rules = knowledge.bookings
    canteen = rules.orders_at("canteen")
    assert canteen is not None and canteen.choose_dishes
    assert canteen.cutoffs["lunch"].words == "当天9:30"
    assert rules.delivery_cutoff is not None and rules.delivery_cutoff.days_before == 1
    assert rules.capacity > 0 and rules.slot_minutes == 30
    assert knowledge.canteen.prices.dish > 0


def test_booking_rules_report_problems_by_line(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, root)
    bookings = root / "bookings.toml"
    text = bookings.read_text(encoding="utf-8")
    text = text.replace('id = "meiyuan"\nlunch = "前一天 17:00"',
                        'id = "meiyuan"\nlunch = "明天早上"\ndinner = "当天 15:00"', 1)
    text = text.replace('id = "songbai"', 'id = "nowhere"', 1)
    bookings.write_text(text, encoding="utf-8")
    loader = KnowledgeLoader(root)
    loader.load()
    problems = [(p.path, p.message) for p in loader.problems if p.severity == "error"]
    assert any(path == "bookings.toml" and "当天 9:30" in message for path, message in problems)
    assert any("does not serve dinner" in message for _, message in problems)
    assert any("no meal point `nowhere`" in message for _, message in problems)
    assert all(p.line > 0 for p in loader.problems if p.path == "bookings.toml")


def test_without_booking_rules_nothing_is_booked(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, root)
    (root / "bookings.toml").unlink()
    loaded = load_knowledge(root)
    assert loaded.bookings.points == () and loaded.bookings.capacity == 0
