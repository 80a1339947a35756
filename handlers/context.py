"""What every handler receives, and what it returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.conversation.state import Choice
from bot.kb.model import Knowledge
from bot.messages import Reply


@dataclass(frozen=True)
class HandlerContext:
    """Read-only facts a handler may use.

    `today` is the station's date and `now`, when the caller knows it, the station's local time
    (both in the configured time zone): "今天吃什么" in the evening is about dinner.
    """

    knowledge: Knowledge
    today: dt.date
    max_chars: int = 300
    now: dt.datetime | None = None


@dataclass(frozen=True)
class HandlerResult:
    """A reply (and any that follow it), and the numbered choices it offers."""

    reply: Reply
    choices: tuple[Choice, ...] = ()
    more: tuple[Reply, ...] = ()

    @property
    def replies(self) -> list[Reply]:
        """Every message to send, in order."""
        return [self.reply, *self.more]


def numbered(choices: tuple[Choice, ...], first: int = 1) -> str:
    """"回复 1 看所需材料，2 看办理流程" for follow-ups."""
    return "回复 " + "，".join(f"{n} {c.label}" for n, c in enumerate(choices, start=first))


def fit(text: str, limit: int) -> str:
    """Cut a text to the reply budget at a line end, never mid-word."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1] + "…"


def fill(template: str, values: dict[str, str]) -> str:
    """Replace the known `{name}` placeholders; anything else is left as written."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


@dataclass(frozen=True)
class DialogueSettings:
    """How long choices and half-taken reports stay valid, and how long replies may be."""

    session_minutes: int = 30
    max_reply_chars: int = 300
    clarify_choices: int = 3
