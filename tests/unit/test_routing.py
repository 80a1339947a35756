"""Routing tickets over the roster."""

from __future__ import annotations

import datetime as dt

from bot.kb.model import Building, Compound, Person, Roster
from bot.tickets.routing import Address, Assignment, TicketRouter

ROSTER = Roster(
    compounds=(Compound("梅园小区", (), ""),),
    buildings=(Building("9号楼", "梅园小区", 4, 6, "李琳", "许文静"),
               Building("12号楼", "梅园小区", 2, 6, "何志明", "许文静"),
               Building("13号楼", "梅园小区", 2, 6, "何志明", "杨德明")),
    people=(Person("李琳", "13800001005", "leader"),
            Person("许文静", "13800001006", "volunteer", away_until=dt.date(2026, 12, 1)),
            Person("何志明", "13800001007", "leader", away_until=dt.date(2026, 12, 5)),
            Person("杨德明", "13800001008", "leader")),
    staff=(),
)
TODAY = dt.date(2026, 11, 23)


def test_the_leader_gets_the_ticket() -> None:
    assert TicketRouter(ROSTER).route("9号楼", TODAY) == Assignment("李琳", "leader")


def test_the_backup_while_the_leader_is_away_and_back_after() -> None:
    router = TicketRouter(ROSTER)
    assert router.route("13号楼", TODAY) == Assignment("杨德明", "backup")
    assert router.route("13号楼", dt.date(2026, 12, 6)) == Assignment("何志明", "leader")


def test_duty_when_nobody_is_reachable_or_the_building_is_unknown() -> None:
    router = TicketRouter(ROSTER)
    assert router.route("12号楼", TODAY) == Assignment(None, "duty")
    assert router.route("99号楼", TODAY) == Assignment(None, "duty")
    assert router.route(None, TODAY) == Assignment(None, "duty")


def test_addresses_in_residents_words() -> None:
    router = TicketRouter(ROSTER)
    assert router.address("我住9号楼2单元301") == Address("9号楼", "2", "301")
    assert router.address("12号楼3楼楼道灯坏了") == Address("12号楼", None, None)
    assert router.address("我是13栋的") == Address("13号楼", None, None)
    assert router.address("3楼的灯坏了") is None  # 3楼 is a floor, not building 3
    assert router.address("9号3楼灯不亮") == Address("9号楼", None, None)
    assert router.address("99号楼") is None


def test_the_real_roster_routes_every_building(knowledge: object) -> None:
    from bot.kb.model import Knowledge

    assert isinstance(knowledge, Knowledge)
    router = TicketRouter(knowledge.roster)
    routes = [router.route(b.name, TODAY) for b in knowledge.roster.buildings]
    assert len(routes) == 40 and all(r.assignee for r in routes)
    assert router.route("9号楼", TODAY).assignee == "李琳"
    assert router.address("3楼的灯坏了") is None
