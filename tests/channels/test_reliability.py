"""The server under faults, driven from WeChat's side: two real `yizhan serve` workers on one
database (SQLite, and PostgreSQL when YIZHAN_TEST_POSTGRES_URL is set), hostile input,
redelivery across workers, neighbours at the same moment, kill -9 under load and with the
database held locked. The long runs
are `python bench/reliability_bench.py`; this is the same code on fewer messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.reliability_bench import run
from tests.channels.test_workers_start_together import POSTGRES_URL, new_postgres_database

REPORTS = 40


def check(figures: dict[str, int]) -> None:
    assert figures["5xx"] == 0
    assert figures["tickets"] == REPORTS and figures["residents_with_two"] == 0
    assert figures["sent"] >= REPORTS and figures["sent_twice"] == 0
    assert figures["problems_with_two_tickets"] == 0
    assert figures["acknowledged"] > 0 and figures["lost"] == 0
    assert figures["held_acknowledged"] > 0 and figures["held_lost"] == 0
    assert figures["notices_lost"] == 0
    assert figures["secrets_logged"] == 0 and figures["tracebacks"] == 0


async def test_nothing_lost_doubled_or_leaked_on_sqlite(tmp_path: Path) -> None:
    check(await run(f"sqlite+aiosqlite:///{tmp_path / 'reliability.db'}", REPORTS,
                    say=lambda line: None))


@pytest.mark.skipif(not POSTGRES_URL,
                    reason="YIZHAN_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped")
async def test_nothing_lost_doubled_or_leaked_on_postgresql() -> None:
    async with new_postgres_database() as url:
        check(await run(url, REPORTS, say=lambda line: None))
