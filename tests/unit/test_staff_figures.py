"""The desk's numbers and its signing, on small hand-made cases."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.staff.auth import SessionSigner, check_password, hash_password
from bot.staff.exports import as_csv, rows_of
from bot.staff.figures import TicketFacts, compute

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZONE)


def ticket(n: int, created: dt.datetime, kind: str = "report", state: str = "closed",
           responded: float | None = 1.0, due: float | None = 24.0,
           resolved: float | None = 5.0, assignee: str | None = "李琳",
           reopened: bool = False) -> TicketFacts:
    def later(hours: float | None) -> dt.datetime | None:
        return None if hours is None else created + dt.timedelta(hours=hours)
    closed = later(resolved) if state in ("closed", "declined") else None
    return TicketFacts(n, f"R{n:04d}", kind, "lighting" if kind == "report" else None, "9号楼",
                       state, assignee, created, later(responded), later(due),
                       later(resolved) if kind == "report" else None, closed, reopened)


def test_rates_and_medians() -> None:
    tickets = [
        ticket(1, MONDAY, responded=1, resolved=5),
        ticket(2, MONDAY + dt.timedelta(days=1), responded=30, resolved=40, reopened=True),
        ticket(3, MONDAY + dt.timedelta(days=2), state="new", responded=None, resolved=None,
               assignee=None),
        ticket(4, MONDAY + dt.timedelta(days=2), state="cancelled", responded=None,
               resolved=None, assignee=None),
        ticket(5, MONDAY - dt.timedelta(days=10)),                 # before the period
    ]
    now = MONDAY + dt.timedelta(days=4)
    f = compute(tickets, MONDAY.date(), (MONDAY + dt.timedelta(days=6)).date(), ZONE, now)
    assert f.total == 4
    assert f.resolution_rate == 2 / 3                  # the withdrawn one is left out
    assert f.median_response_hours == 15.5             # 1 h and 30 h
    assert f.median_resolution_hours == 22.5           # 5 h and 40 h
    assert f.within_deadline == 1 / 3                  # on time; late; #3 overdue unanswered
    assert f.reopen_rate == 1 / 2
    assert [r.name for r in f.leaders] == ["李琳"] and f.leaders[0].resolved == 2
    assert sum(new for _, new, _ in f.per_day) == 4


def test_wishes_made_claimed_and_fulfilled() -> None:
    wishes = [ticket(1, MONDAY, kind="wish", state="closed"),
              ticket(2, MONDAY, kind="wish", state="declined"),
              ticket(3, MONDAY, kind="wish", state="new", responded=None, resolved=None)]
    f = compute(wishes, MONDAY.date(), MONDAY.date(), ZONE, MONDAY + dt.timedelta(hours=1))
    assert (f.wishes_made, f.wishes_claimed, f.wishes_fulfilled) == (3, 1, 1)   # declined: no
    assert f.fulfilment_rate == 1 / 3


def test_a_csv_row_per_ticket_in_station_time() -> None:
    rows = rows_of([ticket(1, MONDAY)], ZONE, MONDAY + dt.timedelta(days=1))
    assert rows[0][:2] == ["R0001", "report"] and rows[0][5] == "2026-11-23T09:00:00+08:00"
    assert rows[0][10:12] == ["yes", "no"]
    assert rows_of([ticket(1, MONDAY)], ZONE, MONDAY, {"lighting": "照明"})[0][13:] == [
        "报修", "照明", "已完成"]
    assert as_csv(rows).decode("utf-8-sig").splitlines()[0].startswith("code,kind,")


def test_passwords_and_sessions() -> None:
    stored = hash_password("correct-horse-9")
    assert check_password("correct-horse-9", stored) and not check_password("guess", stored)
    assert not check_password("anything", "garbage")
    signer = SessionSigner(b"0123456789abcdef0123")
    cookie, session = signer.issue("王建华", "staff", MONDAY)
    assert signer.read(cookie, MONDAY) == session
    assert signer.read(cookie, MONDAY + dt.timedelta(hours=13)) is None     # expired
    assert signer.read(cookie[:-2] + "xx", MONDAY) is None                  # forged
    assert SessionSigner(b"another-secret-0000").read(cookie, MONDAY) is None
    assert signer.csrf_ok(session, signer.csrf(session))
    assert not signer.csrf_ok(session, "made-up")
    assert "secret" not in repr(signer).replace("<secret>", "") and session.nonce not in repr(
        session)


def test_ratings_in_everyday_words() -> None:
    from intents.answers import rating_of

    assert [rating_of(t) for t in ("5", "5分", "五星", "很满意", "满意", "一般", "不满意",
                                   "非常不满意")] == [5, 5, 5, 5, 4, 3, 2, 1]
    assert rating_of("6") is None and rating_of("敬老卡怎么办") is None
    assert rating_of("5号楼灯坏了") is None


def test_answered_questions_are_counted_per_day_and_category() -> None:
    from bot.consultations import ConsultationTally
    from bot.kb.loader import load_knowledge
    from tests.support import KNOWLEDGE_DIR

    tally = ConsultationTally(load_knowledge(KNOWLEDGE_DIR))
    day = MONDAY.date()
    for ref in ("A082", "A082", "A001", "station.hours"):
        tally.count(ref, day)
    rows = tally.take()
    assert {(r.category, r.answered, r.on_the_spot) for r in rows} == {
        ("养老服务", 2, 0), ("社会保险", 1, 1), ("驿站常见问题", 1, 0)}
    assert tally.take() == []
    tally.back(rows)                                   # a failed write loses nothing
    assert set(tally.take()) == set(rows)
