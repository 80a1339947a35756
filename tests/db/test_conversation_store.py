"""One contract for every ConversationStore: the memory store and the database store (on
SQLite and PostgreSQL) keep typed conversation state the same way."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.conversation.state import (
    AppointmentDraft,
    Choice,
    ConversationState,
    OpenQuestions,
    OrderDraft,
    PendingChoices,
    PlaceWanted,
    ReportDraft,
    Said,
    SignupDraft,
    WishDraft,
    decode_state,
)
from bot.conversation.store import ConversationStore, MemoryConversationStore
from bot.db.database import Database
from bot.db.unit_of_work import UnitOfWork
from intents.details import Place
from tests.db.conftest import empty_database

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SOON = NOW + dt.timedelta(minutes=30)


class CommittingStore:
    """The database store, each call in a unit of work of its own (as a message's is)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def load(self, key: str, now: dt.datetime) -> ConversationState:
        async with UnitOfWork(self._database.sessions) as uow:
            return await uow.conversations.load(key, now)

    async def save(self, key: str, state: ConversationState) -> None:
        async with UnitOfWork(self._database.sessions) as uow:
            await uow.conversations.save(key, state)
            await uow.commit()

    async def forget(self, key: str) -> None:
        async with UnitOfWork(self._database.sessions) as uow:
            await uow.conversations.forget(key)
            await uow.commit()

    async def load_questions(self, resident_id: int, now: dt.datetime) -> OpenQuestions:
        async with UnitOfWork(self._database.sessions) as uow:
            return await uow.conversations.load_questions(resident_id, now)

    async def save_questions(self, resident_id: int, questions: OpenQuestions,
                             now: dt.datetime) -> None:
        async with UnitOfWork(self._database.sessions) as uow:
            await uow.conversations.save_questions(resident_id, questions, now)
            await uow.commit()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path
                ) -> AsyncIterator[ConversationStore]:
    """Each store under the same contract (the database one on SQLite and PostgreSQL)."""
    if request.param == "memory":
        yield MemoryConversationStore()
        return
    database = await empty_database(request.param, tmp_path)
    try:
        yield CommittingStore(database)
    finally:
        await database.dispose()


EVERY_PART = ConversationState(
    PendingChoices((Choice("item", "A082", "敬老卡申领"), Choice("steps", "A082", "看流程")),
                   SOON),
    ReportDraft("building", SOON, "lighting", None, Place(None, 2, (3, 4), "301", "楼道"),
                "三楼到四楼当中灯不亮", ("media-1",), False, 2),
    PlaceWanted("R0007", SOON),
    (Said(NOW, "有人被困在电梯里"),))


async def test_a_state_comes_back_as_it_was_saved(store: ConversationStore) -> None:
    await store.save("console:a", EVERY_PART)
    assert await store.load("console:a", NOW) == EVERY_PART
    wish = ConversationState(draft=WishDraft("anonymous", SOON, "想学用智能手机", "9号楼"))
    await store.save("console:b", wish)
    assert await store.load("console:b", NOW) == wish
    assert await store.load("console:a", NOW) == EVERY_PART     # keys are separate


BOOKINGS: tuple[OrderDraft | SignupDraft | AppointmentDraft, ...] = (
    OrderDraft("what", SOON, (dt.date(2026, 11, 24), dt.date(2026, 11, 25)), "lunch",
               "dishes", ("红烧肉", "清炒时蔬"), 2, "delivery", "王阿婆", 3, (7, 8)),
    SignupDraft("confirm", SOON, "王阿婆", "妈", "9号楼", "302", 85, "独居", "both", "B", 2,
                "01234"),
    AppointmentDraft("slot", SOON, "A082", ("2026-11-25 09:00", "2026-11-25 09:30"), 4,
                     dt.date(2026, 11, 25), "am", "09:30"),
)


async def test_booking_drafts_come_back_as_they_were_saved(store: ConversationStore) -> None:
    for n, draft in enumerate(BOOKINGS):
        state = ConversationState(draft=draft, said=(Said(NOW, "明天中午订两份A套餐"),))
        await store.save(f"console:{n}", state)
        assert await store.load(f"console:{n}", NOW) == state


async def test_an_unknown_conversation_is_empty(store: ConversationStore) -> None:
    assert await store.load("console:nobody", NOW) == ConversationState()


async def test_saving_replaces_and_an_empty_state_is_forgotten(store: ConversationStore
                                                               ) -> None:
    await store.save("console:a", EVERY_PART)
    later = EVERY_PART.with_choices(None).with_draft(None)
    await store.save("console:a", later)
    assert await store.load("console:a", NOW) == later
    await store.save("console:a", ConversationState())
    assert await store.load("console:a", NOW) == ConversationState()
    await store.save("console:a", EVERY_PART)
    await store.forget("console:a")
    assert await store.load("console:a", NOW) == ConversationState()


async def test_parts_expire_on_their_own(store: ConversationStore) -> None:
    await store.save("console:a", EVERY_PART)
    after = await store.load("console:a", SOON + dt.timedelta(seconds=1))
    assert after.choices is None and after.draft is None and after.place_wanted is None
    assert after.lapsed == EVERY_PART.draft          # the dropped draft is noticed once
    assert after.said == EVERY_PART.said              # the last messages last a day
    assert await store.load("console:a", NOW + dt.timedelta(days=2)) == ConversationState()


async def test_open_questions_are_kept_per_resident_for_a_week(store: ConversationStore
                                                               ) -> None:
    asked = OpenQuestions().asking(confirm="R0001").asking(confirm="R0003", thanks="W0002")
    await store.save_questions(7, asked, NOW)
    assert await store.load_questions(7, NOW) == OpenQuestions(("R0001", "R0003"), "W0002")
    assert await store.load_questions(8, NOW) == OpenQuestions()
    await store.save_questions(7, asked.settled(confirm="R0001"), NOW)
    assert (await store.load_questions(7, NOW)).confirm == ("R0003",)
    assert await store.load_questions(7, NOW + dt.timedelta(days=8)) == OpenQuestions()
    await store.save_questions(7, OpenQuestions(), NOW)
    assert await store.load_questions(7, NOW) == OpenQuestions()


def test_earlier_records_are_read() -> None:
    old = ('{"flow": "choices", "expires": "2026-11-23T10:30:00+08:00", "choices": '
           '[{"action": "item", "ref": "A001", "label": "x"}]}')
    assert decode_state(old).choices == PendingChoices((Choice("item", "A001", "x"),), SOON)
    assert decode_state('{"flow": "report", "building": "9号楼"}') == ConversationState()
    assert decode_state("not json") == ConversationState()
