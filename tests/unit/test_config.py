"""Configuration loading: defaults, overrides, mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from intents.engine import EngineSettings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_project_config_loads_and_matches_the_engine_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.knowledge_dir.name == "knowledge"
    assert settings.engine == EngineSettings()


def test_engine_values_override_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "[engine]\nanswer_margin = 0.3\n"), environ={})
    assert settings.engine.answer_margin == 0.3
    assert settings.engine.answer_threshold == EngineSettings().answer_threshold


def test_an_unknown_engine_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="answer_treshold"):
        load_settings(write(tmp_path, "[engine]\nanswer_treshold = 0.3\n"), environ={})


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[engine\n"), environ={})


def test_the_database_url_comes_from_the_environment_first(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite+aiosqlite:///x.db"\n')
    assert load_settings(path, environ={}).database_url.endswith("x.db")
    env = {"YIZHAN_DATABASE_URL": "postgresql+asyncpg://127.0.0.1/test"}
    assert load_settings(path, environ=env).database_url.startswith("postgresql")
