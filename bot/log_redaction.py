"""No secret in a log line: every record is redacted as it is made, whichever library logs it.

The Bot API's URLs carry the bot token (`/bot123456:AA…/sendMessage`), Tencent's carry
`access_token=…`, a WeCom robot's carries `key=…`; the secrets themselves come from the
environment. A record factory (not a handler filter) is used so that every handler, including
ones added later, only ever sees the redacted text, tracebacks included.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

MASK = "***"
# Environment variables whose values are secrets.
# (Database URLs are not secret as a whole: their passwords are masked by shape below.)
_SECRET_NAME = re.compile(r"TOKEN|SECRET|AES_KEY|PASSWORD|ROBOT|_KEY$|WEBHOOK")
_SHORTEST_SECRET = 6
# Secrets recognised by their shape, whatever their source.
_SHAPES = (
    re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}"),                      # Telegram bot token
    re.compile(r"([?&](?:access_token|corpsecret|secret|key|token)=)[^&\s\"'#]+", re.I),
    re.compile(r"(://[^/:@\s]+:)[^@/\s]+(@)"),                                # password in a URL
)


def secrets_in(environ: Mapping[str, str], names: Iterable[str] = ()) -> tuple[str, ...]:
    """The values of the environment's secret variables (and of `names`, such as the robots'
    variables named in config.toml), longest first."""
    wanted = set(names)
    values = {value.strip() for name, value in environ.items()
              if (name in wanted or _SECRET_NAME.search(name.upper()))
              and len(value.strip()) >= _SHORTEST_SECRET}
    return tuple(sorted(values, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """The text with every known secret and every secret-shaped value masked."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _SHAPES[0].sub(MASK, text)
    text = _SHAPES[1].sub(lambda m: m.group(1) + MASK, text)
    return _SHAPES[2].sub(lambda m: m.group(1) + MASK + m.group(2), text)


def install_redaction(secrets: Iterable[str] = ()) -> Callable[[], None]:
    """Redact every log record from now on; returns a function that undoes it."""
    known = tuple(secrets)
    previous = logging.getLogRecordFactory()
    # Installed again (each `yizhan` command in one process): replace, never stack.
    underlying = getattr(previous, "redacting", None) or previous

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = underlying(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:            # a bad format string: keep the record as it is
            return record
        clean = redact(message, known)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = redact(text, known)
        return record

    factory.redacting = underlying   # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
    # The HTTP client's request lines carry whole URLs: never needed above WARNING.
    for name in ("httpx", "httpcore", "telegram.ext.ExtBot"):
        logging.getLogger(name).setLevel(max(logging.getLogger(name).level, logging.WARNING))

    def undo() -> None:
        logging.setLogRecordFactory(previous)

    return undo
