"""One turn of a conversation: the message, normalised and read in its context. Every route of
the route table looks at a Turn and nothing else; every handler receives one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from bot.conversation.state import ConversationState, OpenQuestions
from bot.db.models import Resident
from bot.db.repositories import MessageContext, OpenReport
from bot.messages import IncomingMessage, Reply
from intents.answers import choice_named, detail_asked, yes_or_no
from intents.bookings import (
    BookingRequest,
    DecideSignup,
    MarkAppointment,
    StaffBooking,
    appointment_subject,
    booking_code,
    read_booking,
    read_staff_booking,
)
from intents.commands import Command, Pick, read_command
from intents.details import Place, only_phone, read_phone, read_place
from intents.engine import (
    AFFAIRS,
    FAQ,
    HANDOFF,
    MENU,
    REPORT,
    WISH,
    Classification,
    IntentEngine,
)

# In a group chat, personal answers go privately; the group reads one of these.
IN_GROUP_CODE = "已收到，编号 {code}。详细情况我私信发给您了。"
IN_GROUP_PRIVATE = "这是个人信息，我私信发给您了。"
# The follow-ups an item's answer offers (材料, 流程, 谁能办): their ref is the item.
DETAIL_PARTS = ("materials", "steps", "eligible")
SHORT_FOLLOW_UP = 8      # characters: 那补办呢 follows the answer; a longer message is its own


@dataclass(frozen=True)
class Actor:
    """Someone who works tickets: a building leader, a volunteer or a staff member."""

    role: str      # "leader", "volunteer" or "staff"
    name: str

    @property
    def label(self) -> str:
        """"leader:李琳": how the audit trail and the outbox name them."""
        return f"{self.role}:{self.name}"

    @property
    def is_staff(self) -> bool:
        """Whether this is station staff (they see every building)."""
        return self.role == "staff"


@dataclass(frozen=True)
class Outcome:
    """What a handler decided: the replies, and the conversation as it stands afterwards."""

    replies: list[Reply]
    state: ConversationState


class Turn:
    """A message with everything known about it. Pure: the database was read before (the
    message context), the readings are computed on first use."""

    def __init__(self, message: IncomingMessage, now: dt.datetime, context: MessageContext,
                 engine: IntentEngine, actor: Actor | None, spots: Sequence[str],
                 classified: Classification | None = None) -> None:
        self.message = message
        self._classification = classified    # read before the transaction, when given
        self.now = now                       # the station's local time
        self.today = now.date()
        self.context = context
        self.actor = actor
        self._engine = engine
        self._spots = spots

    # -- what the database said ------------------------------------------------------------
    @property
    def resident(self) -> Resident | None:
        """The resident behind the sender's identity, if known yet."""
        return self.context.resident

    @property
    def state(self) -> ConversationState:
        """This conversation's memory."""
        return self.context.state

    @property
    def questions(self) -> OpenQuestions:
        """What the bot asked this resident and still waits for."""
        return self.context.questions

    @property
    def waiting(self) -> str | None:
        """What waits for this resident's answer: "consult" (a staff member talking with
        them), a report or wish whose leader asked something; None."""
        return self.context.waiting

    @cached_property
    def asks(self) -> bool:
        """The message is a question (怎么, 吗, 哪里, ？...)."""
        return bool(_QUESTION.search(self.clean) or "?" in self.text or "？" in self.text)

    @property
    def open_report(self) -> OpenReport | None:
        """The resident's newest open report."""
        return self.context.open_report

    # -- readings of the message -------------------------------------------------------------
    @property
    def text(self) -> str:
        """The message as sent."""
        return self.message.text

    @cached_property
    def surface(self) -> str:
        """The message in Simplified characters with ASCII digits (what commands read)."""
        return self._engine.normaliser.surface(self.message.text)

    @cached_property
    def clean(self) -> str:
        """The message normalised (script, dialect, punctuation), fillers kept."""
        return self._engine.normaliser.normalise(self.message.text[:500]).clean

    @cached_property
    def standard(self) -> str:
        """The message normalised (script, dialect, punctuation) but not corrected for
        homophones: what booking phrases are read from (再加一份 is not 在家一份)."""
        text = _CLOCK.sub(r"\1点\2", self.message.text[:500])    # 10:00 stays a time
        return self._engine.normaliser.standard(text)

    @cached_property
    def command(self) -> Command | None:
        """The command the message gives, if it is one."""
        return read_command(self.surface)

    @cached_property
    def booking(self) -> BookingRequest | None:
        """The meal order, delivery or appointment the message asks for, if any."""
        return read_booking(self.standard, self.today, self._engine.holidays,
                            self._engine.names_dish(self.standard))

    @cached_property
    def appointment_subject(self) -> str:
        """An appointment message without its booking words and times (预约办敬老卡 -> 办敬老卡)."""
        return appointment_subject(self.clean)

    @cached_property
    def appointment_item(self) -> Classification:
        """What an appointment message is about, its booking words left out (我想预约办敬老卡
        is about 敬老卡, 我想预约 about nothing yet)."""
        subject = self.appointment_subject
        if subject == self.clean:
            return self.classification
        return self._engine.classify(subject, self.today)

    @cached_property
    def staff_booking(self) -> StaffBooking | None:
        """A kitchen or counter command, from staff only."""
        if self.actor is None or not self.actor.is_staff:
            return None
        return read_staff_booking(self.standard, self.today, self._engine.holidays)

    @cached_property
    def staff_command_tried(self) -> bool:
        """Someone who is not staff typed a counter or sign-up command (办结 Y0002)."""
        if self.actor is not None and self.actor.is_staff:
            return False
        code = booking_code(self.standard)
        if code is None or code[0] not in ("Y", "S"):
            return False       # every such command names a Y or S code: most messages stop here
        found = read_staff_booking(self.standard, self.today, self._engine.holidays)
        return isinstance(found, MarkAppointment | DecideSignup) and found.code is not None

    @property
    def classification(self) -> Classification:
        """What the intent engine makes of the message."""
        if self._classification is None:
            self._classification = self._engine.classify(self.message.text, self.today)
        return self._classification

    @cached_property
    def place(self) -> Place:
        """The place the message names (building, floor, room, spot)."""
        return read_place(self.surface, self._spots)

    @cached_property
    def phone(self) -> str | None:
        """A phone number in the message."""
        return read_phone(self.surface)

    @cached_property
    def only_phone(self) -> bool:
        """The message is a phone number and nothing else."""
        return only_phone(self.surface)

    @cached_property
    def yes_no(self) -> bool | None:
        """The message as an answer to a yes/no question ("已修好了吗")."""
        return yes_or_no(self.clean)

    @property
    def intent(self) -> str:
        """The engine's intent."""
        return self.classification.intent

    @property
    def emergency(self) -> str | None:
        """The emergency situation the message shows, if any."""
        return self.classification.emergency if self.message.kind == "text" else None

    @property
    def picks(self) -> int | None:
        """The number of a choice, when the message is a bare number."""
        return self.command.number if isinstance(self.command, Pick) else None

    @cached_property
    def choice_named(self) -> int | None:
        """The number of an open choice the message names in words (挂失 for 敬老卡挂失补领)."""
        choices = self.state.choices
        if choices is None or self.command is not None:
            return None
        return choice_named(self.clean, [c.label if c.action in ("item", "faq") else None
                                         for c in choices.choices])

    @cached_property
    def answered_item(self) -> str | None:
        """The item just answered, while its follow-ups (材料, 流程, 谁能办) are open and the
        message is no command."""
        choices = self.state.choices
        if choices is None or self.command is not None:
            return None
        return next((c.ref for c in choices.choices if c.action in DETAIL_PARTS), None)

    @cached_property
    def detail_named(self) -> tuple[str, str] | None:
        """(part, item id): a detail of the item just answered asked for in words (要带什么,
        流程呢, 在哪里办, 要多久, 要钱吗)."""
        item = self.answered_item
        part = detail_asked(self.clean) if item is not None else None
        return (part, item) if part is not None and item is not None else None

    @cached_property
    def sibling_asked(self) -> str | None:
        """The item an action said alone is about, right after an answer: the same card, this
        action (补办 after 社会保障卡挂失 is 社会保障卡补领). A short message naming nothing but
        the action only (社保卡补办 is its own question)."""
        item = self.answered_item
        if item is None or len(self.clean) > SHORT_FOLLOW_UP:
            return None
        return self._engine.sibling_doing(item, self.message.text)

    @cached_property
    def plainly_else(self) -> bool:
        """The message is plainly something new (a question answered directly, the canteen, a
        wish, a new problem, a person wanted): it escapes a question the bot asked."""
        c = self.classification
        if c.intent in (HANDOFF, WISH, MENU) or c.emergency:
            return True
        if c.intent in (AFFAIRS, FAQ):
            return c.item is not None or c.clarify
        return c.intent == REPORT and c.category is not None

    def reply(self, *texts: str, state: ConversationState | None = None) -> Outcome:
        """Plain replies; the conversation as it was unless `state` is given."""
        return Outcome([Reply(t) for t in texts], self.state if state is None else state)

    def privately(self, replies: list[Reply]) -> list[Reply]:
        """In a group, personal answers go to the sender privately; the group sees a short
        note with the ticket code, if any."""
        if self.message.chat_id is None:
            return replies
        codes = sorted(set(_TICKET_CODE.findall(" ".join(r.text for r in replies))))
        note = (IN_GROUP_CODE.format(code="、".join(codes)) if codes else IN_GROUP_PRIVATE)
        return [Reply(note), *(Reply(r.text, r.choices, r.actions, private=True)
                               for r in replies)]


_TICKET_CODE = re.compile(r"[RWC]\d{4,}")
_CLOCK = re.compile(r"(?<!\d)(\d{1,2})[:：](\d{2})(?!\d)")
_QUESTION = re.compile(r"怎么|如何|吗|什么|啥|哪|几|多少|能不能|可不可以|是不是|有没有|请问|想问|"
                       r"咨询")
