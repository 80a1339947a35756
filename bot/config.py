"""Configuration: read once from config.toml (and the environment) and passed in explicitly."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
class Settings:
    """Everything configurable, resolved to absolute paths."""

    root: Path
    knowledge_dir: Path
    catalogue_dir: Path
    cache_dir: Path
    database_url: str
    engine: EngineSettings
    chat: ChatSettings


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


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
    try:
        engine_settings = EngineSettings(
            answer_threshold=float(engine.get("answer_threshold", 0.35)),
            answer_margin=float(engine.get("answer_margin", 0.12)),
            clarify_threshold=float(engine.get("clarify_threshold", 0.25)),
            clarify_choices=int(engine.get("clarify_choices", 3)),
            lead_threshold=float(engine.get("lead_threshold", 0.15)),
            lead_margin=float(engine.get("lead_margin", 0.25)),
            faq_weight=float(engine.get("faq_weight", 0.7)),
            weight_recall=float(engine.get("weight_recall", 0.0)),
            weight_coverage=float(engine.get("weight_coverage", 0.35)),
            weight_fuzzy=float(engine.get("weight_fuzzy", 0.05)),
            weight_cosine=float(engine.get("weight_cosine", 0.6)),
        )
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
        catalogue_dir=(root / str(knowledge.get("catalogue", "../shared/catalogue"))).resolve(),
        cache_dir=(root / "var" / "cache").resolve(),
        database_url=env.get("YIZHAN_DATABASE_URL",
                             str(database.get("url", "sqlite+aiosqlite:///var/yizhan.db"))),
        engine=engine_settings,
        chat=chat_settings,
    )
