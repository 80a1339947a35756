"""Many messages at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from bot.db.database import Database
from bot.kb.model import Knowledge
from bot.messages import IncomingMessage
from intents.engine import IntentEngine
from tests.db.station import Station

# Two residents of one building never report the same category, so nothing is a "me too".
FIRST = ("楼道灯坏了", "单元门锁坏了", "下水道堵了", "电梯坏了")
SECOND = ("垃圾桶满了没人清", "楼道堆满杂物", "楼上半夜装修噪音太吵", "健身器材坏了")


async def test_the_same_message_delivered_twice_makes_one_ticket(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)
    message = IncomingMessage("wechat_mp", "openid-7", "9号楼楼道灯坏了", message_id="m-1")
    first, second = await asyncio.gather(s.dialogue.handle(message), s.dialogue.handle(message))
    again = await s.dialogue.handle(message)
    assert len(await s.tickets()) == 1
    assert [r.text for r in first] == [r.text for r in second] == [r.text for r in again]
    assert "R0001" in first[0].text


async def test_200_reports_from_50_residents_in_parallel(
        knowledge: Knowledge, engine: IntentEngine, database: Database) -> None:
    s = Station(knowledge, engine, database)

    async def resident(n: int) -> list[str]:
        building = f"{n % 40 + 1}号楼"
        phrases = FIRST if n < 40 else SECOND
        replies = []
        for k, phrase in enumerate(phrases):
            message = IncomingMessage("console", f"r{n}", f"{building}{phrase}",
                                      message_id=f"{n}-{k}")
            replies += [r.text for r in await s.dialogue.handle(message)]
        return replies

    answers = await asyncio.gather(*(resident(n) for n in range(50)))
    tickets = await s.tickets()
    assert len(tickets) == 200, [a for a in answers if not all("已登记" in r for r in a)][:3]
    codes = [t.code for t in tickets]
    assert len(set(codes)) == 200 and all(c and c.startswith("R") for c in codes)
