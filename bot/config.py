"""Configuration: read once from config.toml (and the environment) and passed in explicitly."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bot.db.urls import resolve_url
from intents.engine import EngineSettings

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"


class ConfigError(Exception):
    """config.toml is missing or wrong."""


@dataclass(frozen=True)
class ChatSettings:
    """Dialogue settings."""

    max_reply_chars: int = 300
    session_minutes: int = 30
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class ServerSettings:
    """`yizhan serve`: background loops and request limits."""

    scheduler_seconds: float = 30.0      # how often reminders/escalations/auto-close run
    outbox_seconds: float = 2.0          # how often due notifications are sent
    notice_groups: tuple[str, ...] = ()  # buildings/compounds whose group gets ticket notices
    retention_days: float = 7.0          # processed-message keys and expired states kept so long
    reload_seconds: float = 5.0          # how often knowledge/ is looked at for changes (0: never)


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved to absolute paths."""

    root: Path
    knowledge_dir: Path
    catalogue_dir: Path
    cache_dir: Path
    database_url: str = field(repr=False)     # may hold a password
    engine: EngineSettings
    chat: ChatSettings
    server: ServerSettings = field(default_factory=ServerSettings)
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # [channels.*]
    # Secrets come only from here; never printed (repr), never logged.
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def _engine_settings(table: dict[str, Any]) -> EngineSettings:
    """[engine] over the engine's defaults; an unknown key is a mistake worth stopping for."""
    defaults = EngineSettings()
    known = {f.name: type(getattr(defaults, f.name)) for f in fields(EngineSettings)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ValueError(f"unknown [engine] setting(s): {', '.join(unknown)}")
    return replace(defaults, **{name: known[name](value) for name, value in table.items()})


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None,
                  knowledge_dir: Path | None = None) -> Settings:
    """Load settings from a config file; environment variables override the database URL."""
    env = os.environ if environ is None else environ
    config_path = (path or Path(env.get("YIZHAN_CONFIG", DEFAULT_CONFIG))).resolve()
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {config_path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
    root = config_path.parent
    knowledge = _section(data, "knowledge")
    engine = _section(data, "engine")
    chat = _section(data, "chat")
    database = _section(data, "database")
    server = _section(data, "server")
    channels = _section(data, "channels")
    for name, table in channels.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{config_path}: [channels.{name}] must be a table")
    try:
        server_settings = ServerSettings(
            scheduler_seconds=float(server.get("scheduler_seconds", 30.0)),
            outbox_seconds=float(server.get("outbox_seconds", 2.0)),
            notice_groups=tuple(str(g) for g in server.get("notice_groups", ())),
            retention_days=float(server.get("retention_days", 7.0)),
            reload_seconds=float(server.get("reload_seconds", 5.0)),
        )
        engine_settings = _engine_settings(engine)
        chat_settings = ChatSettings(
            max_reply_chars=int(chat.get("max_reply_chars", 300)),
            session_minutes=int(chat.get("session_minutes", 30)),
            timezone=str(chat.get("timezone", "Asia/Shanghai")),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{config_path}: {exc}") from exc
    return Settings(
        root=root,
        knowledge_dir=(knowledge_dir or root / str(knowledge.get("dir", "knowledge"))).resolve(),
        catalogue_dir=(root / str(knowledge.get("catalogue", "catalogue"))).resolve(),
        cache_dir=(root / "var" / "cache").resolve(),
        database_url=resolve_url(env.get("YIZHAN_DATABASE_URL", str(
            database.get("url", "sqlite+aiosqlite:///var/yizhan.db"))), root),
        engine=engine_settings,
        chat=chat_settings,
        server=server_settings,
        channels=channels,
        environ=dict(env),
    )
