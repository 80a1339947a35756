"""The structure the code promises, checked: one route table, SQL only in bot/db, typed
conversation state, platform SDKs only in their adapters, a pure intent engine."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import typing
from pathlib import Path

from bot.conversation import state
from bot.routes import ROUTES
from tests.support import ROOT

PRODUCT = ("bot", "handlers", "intents")


def modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py")
                  if "migrations" not in p.parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports (top-level names and their packages)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_sql_lives_in_bot_db_only() -> None:
    offenders = {relative(p): sorted(m for m in imports(p)
                                     if m.split(".")[0] in ("sqlalchemy", "alembic", "asyncpg",
                                                            "aiosqlite", "sqlite3"))
                 for p in modules(*PRODUCT) if not relative(p).startswith("bot/db/")}
    assert {k: v for k, v in offenders.items() if v} == {}
    sessions = [relative(p) for p in modules(*PRODUCT)
                if not relative(p).startswith("bot/db/") and ".session." in p.read_text("utf-8")]
    assert sessions == []


def test_platform_sdks_are_imported_only_in_their_adapter() -> None:
    allowed = {"telegram": {"bot/channels/telegram.py"},
               "wechatpy": {"bot/channels/wechat_mp.py", "bot/channels/wecom.py",
                            "bot/channels/tencent_api.py"}}
    for sdk, files in allowed.items():
        users = {relative(p) for p in modules(*PRODUCT)
                 if any(m.split(".")[0] == sdk for m in imports(p))}
        assert users <= files, sdk


def test_the_intent_engine_is_pure() -> None:
    for path in modules("intents"):
        used = {m.split(".")[0] for m in imports(path)}
        assert not used & {"bot", "handlers", "asyncio", "aiohttp", "sqlalchemy"}, path


def test_one_route_table_holds_every_handler() -> None:
    """Only bot/routes.py builds routes; every turn handler in handlers/ is on it
    (a handler nobody routes to is dead), and every route's handler lives in handlers/."""
    builders = [relative(p) for p in modules(*PRODUCT)
                if re.search(r"\bRoute\(", p.read_text("utf-8"))
                and relative(p) != "bot/routes.py"]
    assert builders == []
    routed = {route.handler for route in ROUTES}
    assert all(h.__module__.startswith("handlers.") for h in routed)
    names = [route.name for route in ROUTES]
    assert len(names) == len(set(names))
    assert ROUTES[-1].when.__name__ == "always"
    import handlers

    turn_handlers = set()
    for path in sorted(Path(handlers.__file__).parent.glob("*.py")):
        module = __import__(f"handlers.{path.stem}", fromlist=["_"])
        for name, function in inspect.getmembers(module, inspect.iscoroutinefunction):
            parameters = list(inspect.signature(function).parameters)
            if (function.__module__ == module.__name__ and not name.startswith("_")
                    and parameters[:2] == ["turn", "uow"]):
                turn_handlers.add(function)
    assert turn_handlers - routed == set()


def test_conversation_state_is_typed_not_dicts() -> None:
    """Every field of every state class is a typed value: no dict, no Any."""
    for cls in (state.ConversationState, state.OpenQuestions, state.ReportDraft,
                state.WishDraft, state.PendingChoices, state.PlaceWanted, state.Said,
                state.Choice):
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            text = str(hints[field.name])
            assert "dict" not in text and "Any" not in text, (cls.__name__, field.name, text)
