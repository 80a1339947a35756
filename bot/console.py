"""Console conversations for every role, and the multi-party story script format.

Script format (a contract; stations keep their own stories in it): one turn per line,
`SPEAKER: text`, where SPEAKER is `resident:NAME@BUILDING`, `leader:NAME` or `staff:NAME`;
`#` starts a comment; `@clock +2h` moves the clock on (m, h or d). Output: every message the
bot sends, one per line, `-> RECIPIENT: text`, in the order sent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.messages import IncomingMessage, Reply

if TYPE_CHECKING:  # the story format is read without loading the database layer
    from bot.bootstrap import Assistant
    from bot.db.unit_of_work import UnitOfWork
    from bot.tickets.outbox import OutboxSender
    from bot.tickets.scheduler import TicketScheduler

SPEAKER = re.compile(r"^(resident|leader|volunteer|staff):([^:@\s]+)(?:@(\S+))?$")
TURN = re.compile(r"^\s*([a-z]+:[^:：\s]+)\s*[:：]\s?(.*)$")
CLOCK = re.compile(r"^\s*@clock\s+\+(\d+(?:\.\d+)?)\s*([mhd])\s*$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class ScriptError(ValueError):
    """A script line that does not follow the format."""


@dataclass(frozen=True)
class Speaker:
    """Someone in a console story."""

    role: str
    name: str
    building: str | None = None

    @classmethod
    def parse(cls, text: str) -> Speaker:
        """`resident:张阿姨@9号楼`, `leader:李琳`, `staff:王主任`."""
        match = SPEAKER.match(text.strip())
        if not match or (match.group(1) == "resident") != bool(match.group(3)):
            raise ScriptError(f"not a speaker: {text!r} (resident:NAME@BUILDING, leader:NAME "
                              "or staff:NAME)")
        return cls(match.group(1), match.group(2), match.group(3))

    @property
    def notation(self) -> str:
        """How the speaker is written in scripts and output."""
        suffix = f"@{self.building}" if self.building else ""
        return f"{self.role}:{self.name}{suffix}"


class ConsoleClock:
    """A clock that stands still unless moved."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, amount: float, unit: str) -> None:
        """Move the clock on."""
        self.now += dt.timedelta(**{UNITS[unit]: amount})


class ConsoleDeliverer:
    """Delivers outbox notifications as output lines, in console notation."""

    def __init__(self, unit_of_work: Callable[[], UnitOfWork], write: Callable[[str], None],
                 names: dict[str, str]) -> None:
        self._uow = unit_of_work
        self._write = write
        self._names = names          # canonical recipient -> notation used by the speaker

    async def send(self, recipient: str, reply: Reply, key: str) -> None:
        """Write `-> RECIPIENT: text`."""
        self._write(line(await self._notation(recipient), reply.text))

    async def _notation(self, recipient: str) -> str:
        if recipient in self._names:
            return self._names[recipient]
        if recipient.startswith("resident:"):
            async with self._uow() as uow:
                user = await uow.residents.user_id_on(int(recipient.split(":", 1)[1]),
                                                      "console")
            if user:
                return user
        return recipient


@dataclass(frozen=True)
class StoryTurn:
    """`SPEAKER: text`."""

    speaker: Speaker
    text: str


@dataclass(frozen=True)
class ClockStep:
    """`@clock +2h`."""

    amount: float
    unit: str


ScriptStep = StoryTurn | ClockStep


def read_script(lines: Iterable[str]) -> Iterator[tuple[int, ScriptStep]]:
    """The steps of a script with their line numbers (blank lines and comments skipped)."""
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        clock = CLOCK.match(text)
        if clock:
            yield number, ClockStep(float(clock.group(1)), clock.group(2))
            continue
        turn = TURN.match(text)
        if not turn:
            raise ScriptError(f"line {number}: expected `SPEAKER: text`: {raw.rstrip()}")
        try:
            speaker = Speaker.parse(turn.group(1))
        except ScriptError as exc:
            raise ScriptError(f"line {number}: {exc}") from exc
        yield number, StoryTurn(speaker, turn.group(2))


def line(recipient: str, text: str) -> str:
    """One output line: newlines inside a message become " / "."""
    return f"-> {recipient}: " + " / ".join(part for part in text.splitlines() if part.strip())


class ConsoleStory:
    """Runs turns of several people against one assistant, delivering notifications after
    each, exactly as the server would (the same dialogue, scheduler and outbox)."""

    def __init__(self, assistant: Assistant, sender: OutboxSender | None, clock: ConsoleClock,
                 write: Callable[[str], None], names: dict[str, str],
                 scheduler: TicketScheduler | None = None) -> None:
        self.scheduler = scheduler
        self.assistant = assistant
        self.sender = sender
        self.clock = clock
        self.write = write
        self.names = names
        self._introduced: set[str] = set()

    async def turn(self, speaker: Speaker, text: str) -> None:
        """One message from a speaker; its replies, then any notifications."""
        if speaker.role == "staff":
            self.names.setdefault(f"staff:{self._staff_name(speaker.name)}", speaker.notation)
        if speaker.role in ("leader", "volunteer"):
            self.names.setdefault(f"{speaker.role}:{speaker.name}", speaker.notation)
        if speaker.role == "resident" and speaker.building \
                and speaker.notation not in self._introduced:
            self._introduced.add(speaker.notation)
            await self._introduce(speaker)
        message = IncomingMessage("console", speaker.notation, text)
        for reply in await self.assistant.dialogue.handle(message):
            self.write(line(speaker.notation, reply.text))
        await self.deliver()

    async def deliver(self) -> None:
        """Run the deadline scheduler at the story's time, then send due notifications."""
        if self.scheduler is not None:
            await self.scheduler.tick_if_leader(self.clock.now)
        if self.sender is not None:
            await self.sender.deliver_due(self.clock.now)

    async def run(self, lines: Iterable[str]) -> None:
        """Run a whole script."""
        for _, step in read_script(lines):
            await self.step(step)

    async def step(self, step: ScriptStep) -> None:
        """One line of a script: a turn, or the clock moving on."""
        if isinstance(step, ClockStep):
            self.clock.advance(step.amount, step.unit)
            await self.deliver()
        else:
            await self.turn(step.speaker, step.text)

    def _staff_name(self, name: str) -> str:
        return self.assistant.people.staff_member(name) or name

    async def _introduce(self, speaker: Speaker) -> None:
        """A scripted resident lives where the script says."""
        await self.assistant.introduce("console", speaker.notation, speaker.name,
                                       speaker.building or "")
