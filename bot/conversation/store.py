"""Where conversation state lives: one protocol, a memory store and a database store
(`bot.db.repositories.SqlConversationStore`), both held to one contract test.

The desks, the scheduler and the dialogue's writes use the protocol. The dialogue's read of a
message's state goes through the database store's one-query message context (the sender, this
conversation, their open questions, a redelivery), which decodes with the same codec and the
same expiry rules (`ConversationState.live`)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from bot.conversation.state import QUESTIONS_FOR, ConversationState, OpenQuestions


class ConversationStore(Protocol):
    """Typed conversation state by key, and a resident's open questions by resident id."""

    async def load(self, key: str, now: dt.datetime) -> ConversationState:
        """The live state of a conversation (empty when there is none)."""
        ...

    async def save(self, key: str, state: ConversationState) -> None:
        """Keep a conversation's state until its parts expire; an empty state is forgotten."""
        ...

    async def forget(self, key: str) -> None:
        """Drop a conversation's state."""
        ...

    async def load_questions(self, resident_id: int, now: dt.datetime) -> OpenQuestions:
        """What the bot still waits for from a resident."""
        ...

    async def save_questions(self, resident_id: int, questions: OpenQuestions,
                             now: dt.datetime) -> None:
        """Keep a resident's open questions (for a week); none left, none kept."""
        ...


class MemoryConversationStore:
    """Conversation state in dictionaries, for one process (tests, tools)."""

    def __init__(self) -> None:
        self._states: dict[str, ConversationState] = {}
        self._questions: dict[int, tuple[OpenQuestions, dt.datetime]] = {}

    async def load(self, key: str, now: dt.datetime) -> ConversationState:
        """The live state of a conversation (empty when there is none)."""
        state = self._states.get(key)
        if state is None or (state.expires_at is not None and now >= state.expires_at):
            return ConversationState()   # every part of it has expired
        return state.live(now)

    async def save(self, key: str, state: ConversationState) -> None:
        """Keep a conversation's state until its parts expire; an empty state is forgotten."""
        if state.empty:
            self._states.pop(key, None)
        else:
            self._states[key] = state

    async def forget(self, key: str) -> None:
        """Drop a conversation's state."""
        self._states.pop(key, None)

    async def load_questions(self, resident_id: int, now: dt.datetime) -> OpenQuestions:
        """What the bot still waits for from a resident."""
        found = self._questions.get(resident_id)
        return found[0] if found and now < found[1] else OpenQuestions()

    async def save_questions(self, resident_id: int, questions: OpenQuestions,
                             now: dt.datetime) -> None:
        """Keep a resident's open questions (for a week); none left, none kept."""
        if questions.empty:
            self._questions.pop(resident_id, None)
        else:
            self._questions[resident_id] = (questions, now + QUESTIONS_FOR)
