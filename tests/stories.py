"""Stories with their expectations: the `--script` format, run through the production path,
with what each step must (and must not) send written in comment lines after it.

The expectations are comments, so `yizhan chat --script` reads the same file unchanged:
    #> RECIPIENT: words      some message of this step goes to RECIPIENT and contains the words
    #1 RECIPIENT: words      the step's first message goes to RECIPIENT and contains the words
    #! words                 no message of this step contains the words
    #! RECIPIENT: words      no message of this step to RECIPIENT contains them
RECIPIENT is written as in the output (`resident:张阿姨@9号楼`, `leader:李琳`, `staff:王主任`)
or `*` for anyone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.console import ConsoleClock, ConsoleDeliverer, ConsoleStory, ScriptStep, read_script
from tests.conftest import Station

EXPECT = re.compile(r"^\s*#([>1!])\s*(?:(\*|[a-z]+:[^\s:：]+)\s*[:：]\s*)?(.+?)\s*$")
OUTPUT = re.compile(r"^-> ([^:]+(?::[^:]+)?): (.*)$")
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@dataclass(frozen=True)
class Expectation:
    """One expectation about the messages a step sends."""

    kind: str            # ">" some, "1" the first, "!" none
    recipient: str       # "*" for anyone
    words: str
    line: int

    def holds(self, outputs: list[tuple[str, str]]) -> bool:
        """Whether the step's (recipient, text) messages meet it."""
        def matches(recipient: str, text: str) -> bool:
            return self.recipient in ("*", recipient) and self.words in text

        if self.kind == ">":
            return any(matches(r, t) for r, t in outputs)
        if self.kind == "1":
            return bool(outputs) and matches(*outputs[0])
        return not any(matches(r, t) for r, t in outputs)


@dataclass
class Step:
    """A script step and what it must send."""

    line: int
    step: ScriptStep
    text: str
    expectations: list[Expectation] = field(default_factory=list)


def read_story(path: Path) -> list[Step]:
    """The steps of a story file with the expectations written after each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    steps: dict[int, Step] = {number: Step(number, step, lines[number - 1].strip())
                              for number, step in read_script(lines)}
    current: Step | None = None
    for number, raw in enumerate(lines, start=1):
        if number in steps:
            current = steps[number]
            continue
        expect = EXPECT.match(raw)
        if expect and current is not None:
            current.expectations.append(Expectation(
                expect.group(1), expect.group(2) or "*", expect.group(3), number))
    return list(steps.values())


async def play(station: Station, steps: list[Step],
               transcript: list[str] | None = None) -> list[str]:
    """Run the story; the problems found, each with its line and what the step sent.
    Every line sent is also added to `transcript` when one is given."""
    written: list[str] = []
    clock = ConsoleClock(START)
    station.now = START
    names: dict[str, str] = {}
    assistant = station.assistant
    story = ConsoleStory(assistant, assistant.notifications(
        ConsoleDeliverer(assistant.unit_of_work, written.append, names)),
        _SharedClock(clock, station), written.append, names, assistant.scheduler("story"))
    problems = []
    for step in steps:
        written.clear()
        await story.step(step.step)
        if transcript is not None:
            transcript.extend(written)
        outputs = [(m.group(1), m.group(2)) for m in map(OUTPUT.match, written) if m]
        for expectation in step.expectations:
            if not expectation.holds(outputs):
                sent = "\n      ".join(written) or "(nothing)"
                problems.append(f"line {expectation.line} after `{step.text}`: "
                                f"#{expectation.kind} {expectation.recipient}: "
                                f"{expectation.words}\n    sent:\n      {sent}")
    return problems


class _SharedClock(ConsoleClock):
    """The story's clock, moving the station's clock with it."""

    def __init__(self, clock: ConsoleClock, station: Station) -> None:
        super().__init__(clock.now)
        self._station = station

    def advance(self, amount: float, unit: str) -> None:
        super().advance(amount, unit)
        self._station.now = self.now
