"""The one small message model every adapter maps to and from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IncomingMessage:
    """A message from a person, whatever the platform."""

    platform: str                 # "console", "wechat_mp", "wecom", "telegram"
    user_id: str                  # the platform's id of the sender
    text: str
    kind: str = "text"            # text, image (text = media ref), voice, event (text = name)
    chat_id: str | None = None    # group chat, if any
    message_id: str | None = None
    addressed: bool = True        # in a group: mentioned, replied to, or a command
    received_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def session_key(self) -> str:
        """Conversation key: per user, and per (chat, user) inside a group."""
        chat = f"{self.chat_id}:" if self.chat_id else ""
        return f"{self.platform}:{chat}{self.user_id}"

    @property
    def processed_key(self) -> str | None:
        """The key under which a handled platform message is remembered (redeliveries)."""
        return f"{self.platform}:{self.message_id}" if self.message_id else None


@dataclass(frozen=True)
class Reply:
    """A message the bot sends back.

    `choices` are the labels of numbered options (a button for option n sends "n");
    `actions` are commands a button sends verbatim ("接单 R0012"); both may become buttons
    where a platform has them and are already spelled out in `text` for the others.
    """

    text: str
    choices: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    private: bool = False         # in a group, send this to the sender privately instead


class DeliveryError(Exception):
    """A platform refused or failed to take a message (worth retrying)."""
