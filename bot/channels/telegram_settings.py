"""Telegram's settings, read without python-telegram-bot: a server with Telegram off never
imports the SDK (its adapter is `bot.channels.telegram`)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.config import ConfigError

PLATFORM = "telegram"
TOKEN_VAR = "YIZHAN_TELEGRAM_TOKEN"
SECRET_VAR = "YIZHAN_TELEGRAM_SECRET"
API_BASE_VAR = "YIZHAN_TELEGRAM_API_BASE"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ROUTE_PREFIX = "/telegram/"
MODES = ("webhook", "polling")
TABLE_KEYS = frozenset({"enabled", "mode", "webhook_path", "webhook_url"})
WEBHOOK_PORTS = (443, 80, 88, 8443)
URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class TelegramSettings:
    """How to reach the Bot API and how updates arrive (secrets from the environment only)."""

    token: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    mode: str = "webhook"
    api_base: str | None = None
    webhook_path: str | None = None
    webhook_url: str | None = None

    def __post_init__(self) -> None:
        if not self.token.strip() or any(c.isspace() for c in self.token):
            raise ConfigError(f"{TOKEN_VAR} is empty or contains spaces")
        if self.mode not in MODES:
            raise ConfigError(f"[channels.telegram] mode must be one of {', '.join(MODES)}, "
                              f"not {self.mode!r}")
        if self.secret is not None and not _is_url_safe(self.secret, 256):
            raise ConfigError(f"{SECRET_VAR} must be 1-256 characters of A-Z a-z 0-9 _ -")
        if self.mode == "webhook" and self.secret is None:
            raise ConfigError(f"Telegram webhook mode needs {SECRET_VAR} (the webhook secret)")
        if self.webhook_path is not None and not _is_url_safe(self.webhook_path, 128):
            raise ConfigError("[channels.telegram] webhook_path must be 1-128 characters of "
                              "A-Z a-z 0-9 _ -")
        if self.api_base is not None and urlsplit(self.api_base).scheme not in ("http", "https"):
            raise ConfigError(f"{API_BASE_VAR} must be an http(s) URL, e.g. "
                              "https://api.telegram.org/bot")
        if self.webhook_url is not None:
            _check_webhook_url(self.webhook_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], table: Mapping[str, Any]
                 ) -> TelegramSettings | None:
        """Settings from the environment and `[channels.telegram]`; None when Telegram is off.

        On when the token is set or the table says `enabled = true`; `enabled = false` turns
        it off even with a token.
        """
        _check_table_keys(table)
        enabled = table.get("enabled")
        if enabled is not None and not isinstance(enabled, bool):
            raise ConfigError("[channels.telegram] enabled must be true or false")
        token = environ.get(TOKEN_VAR, "").strip()
        if enabled is False or (enabled is None and not token):
            return None
        if not token:
            raise ConfigError(f"Telegram is enabled but {TOKEN_VAR} is not set")
        return cls(token=token,
                   secret=environ.get(SECRET_VAR, "").strip() or None,
                   mode=_table_string(table, "mode") or "webhook",
                   api_base=environ.get(API_BASE_VAR, "").strip() or None,
                   webhook_path=_table_string(table, "webhook_path"),
                   webhook_url=_table_string(table, "webhook_url"))

    @property
    def route(self) -> str:
        """The webhook route on our server: /telegram/<secret path>."""
        path = self.webhook_path or hashlib.sha256(self.token.encode()).hexdigest()[:32]
        return ROUTE_PREFIX + path

    @property
    def public_webhook(self) -> str | None:
        """The address Telegram is told to post to (webhook_url + route), if configured."""
        if self.webhook_url is None:
            return None
        return self.webhook_url.rstrip("/") + self.route


def _is_url_safe(value: str, max_length: int) -> bool:
    return len(value) <= max_length and URL_SAFE.fullmatch(value) is not None


def _check_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise ConfigError(f"[channels.telegram] webhook_url has a bad port: {url}") from exc
    if parts.scheme != "https" or not parts.hostname or port not in WEBHOOK_PORTS:
        raise ConfigError("[channels.telegram] webhook_url must be an https:// address on port "
                          f"{', '.join(map(str, WEBHOOK_PORTS))}: {url}")


def _check_table_keys(table: Mapping[str, Any]) -> None:
    secrets = {"token", "secret"} & set(table)
    if secrets:
        names = ", ".join(sorted(secrets))
        raise ConfigError(f"[channels.telegram] must not hold secrets ({names}): "
                          f"set {TOKEN_VAR} and {SECRET_VAR} in the environment")
    unknown = sorted(set(table) - TABLE_KEYS)
    if unknown:
        raise ConfigError(f"unknown [channels.telegram] setting(s): {', '.join(unknown)}")


def _table_string(table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"[channels.telegram] {key} must be a string")
    return value or None
