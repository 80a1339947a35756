"""The `yizhan` command line, called in-process through `bot.cli.main`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.support import DEV_QUESTIONS, ROOT, copy_knowledge

CONTRACT_KEYS = {"text", "intent", "item", "category", "date", "meal", "meal_point", "clarify",
                 "score", "candidates"}


def test_classify_prints_one_json_object_per_line(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    lines = ["明天中午吃什么", "你好", "", "居住证续签", "股票怎么买", "楼道灯坏了"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["classify", "--today", "2026-11-23"]) == 0
    output = capsys.readouterr().out.splitlines()
    objects = [json.loads(line) for line in output]
    assert [o["text"] for o in objects] == lines   # line for line, a blank one included
    for data in objects:
        assert set(data) == CONTRACT_KEYS
    menu = objects[0]
    assert menu["intent"] == "menu.ask"
    assert menu["date"] == "2026-11-24"
    assert menu["meal"] == "lunch"
    assert objects[1]["intent"] == "greeting"
    assert objects[2]["intent"] == "fallback"
    assert objects[3]["intent"] == "affairs.ask"
    assert objects[4]["intent"] == "fallback"
    assert objects[5]["category"] == "lighting"


def test_classify_writes_utf8_lines_whatever_comes_in(tmp_path: Path) -> None:
    """Undecodable bytes get their line (not a crash, not raw bytes out), line separators
    inside a message are escaped, under the C locale and with PYTHONIOENCODING alike."""
    import os
    import subprocess
    import sys

    data = b"abc\xff\xfedef\n\xe6\x95\xac\xe8\x80\x81\xe5\x8d\xa1\xe2\x80\xa8x\n\xc2\x85y\n"
    for extra in ({"LC_ALL": "C.UTF-8"}, {"PYTHONIOENCODING": "utf-8"}, {"LC_ALL": "C"}):
        env = {**os.environ, **extra}
        done = subprocess.run([sys.executable, "-m", "bot.cli", "classify", "--today",
                               "2026-11-23"], input=data, capture_output=True, env=env,
                              cwd=ROOT, timeout=120, check=True)
        text = done.stdout.decode("utf-8")              # valid UTF-8, or this raises
        lines = text.split("\n")
        assert lines[-1] == "" and len(lines) == 4, extra
        assert "\u2028" not in text and "\x85" not in text
        assert [json.loads(line)["text"] for line in lines[:3]] == [
            "abc\ufffd\ufffddef", "敬老卡\u2028x", "\x85y"]


def test_a_clarification_offers_at_least_three_choices(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("菜疾之\n社保卡\n"))
    main(["classify", "--today", "2026-11-23"])
    for line in capsys.readouterr().out.splitlines():
        data = json.loads(line)
        if data["clarify"]:
            assert len(data["candidates"]) >= 3, data


def test_classify_keeps_chinese_readable(monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("明天中午吃什么\n"))
    main(["classify", "--today", "2026-11-23"])
    assert "明天中午吃什么" in capsys.readouterr().out


def test_ask_greeting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "你好"]) == 0
    out = capsys.readouterr().out
    assert "您好" in out
    assert "小助手" in out


def test_ask_joins_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--today", "2026-11-23", "明天中午", "吃什么"]) == 0
    out = capsys.readouterr().out
    assert "11月24日" in out
    assert "套餐A" in out


def test_kb_check_fast_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "check", "--fast"]) == 0
    out = capsys.readouterr().out
    assert "0 error(s)" in out


def test_kb_check_fails_on_a_broken_copy(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_knowledge(tmp_path)
    station = root / "station.toml"
    station.write_text(station.read_text(encoding="utf-8").replace(
        'phone = "021-5555-0188"', 'phone = "021-5555-0188', 1), encoding="utf-8")
    assert main(["kb", "check", "--fast", "--kb", str(root)]) == 1
    out = capsys.readouterr().out
    assert "error: station.toml:" in out
    assert "not valid TOML" in out


def test_kb_check_with_the_engine_on_a_broken_copy(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_knowledge(tmp_path)
    menu = root / "menu.toml"
    menu.write_text(menu.read_text(encoding="utf-8").replace(
        "monday = 2026-11-30", "monday = 2026-12-01", 1), encoding="utf-8")
    assert main(["kb", "check", "--kb", str(root)]) == 1
    assert "is not a Monday" in capsys.readouterr().out


def test_kb_eval_dev_set(monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["kb", "eval", str(DEV_QUESTIONS.relative_to(ROOT))]) == 0
    out = capsys.readouterr().out
    assert "affairs top-1" in out
    assert "out-of-scope precision" in out


def test_kb_eval_bad_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "x"}\n', encoding="utf-8")
    assert main(["kb", "eval", str(path)]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err


def test_missing_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "nope.toml"), "kb", "check", "--fast"]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2


def test_staff_passwd_stores_only_a_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from bot.db.database import Database
    from bot.db.unit_of_work import UnitOfWork
    from bot.staff.auth import check_password

    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("YIZHAN_DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-1\n"))
    assert main(["staff", "passwd", "王建华"]) == 0
    assert "王建华" in capsys.readouterr().out

    async def stored() -> str:
        database = Database(url)
        try:
            async with UnitOfWork(database.sessions) as uow:
                found = await uow.credentials.get("王建华")
                assert found is not None
                return found.password_hash
        finally:
            await database.dispose()

    hashed = asyncio.run(stored())
    assert "long-enough-1" not in hashed and check_password("long-enough-1", hashed)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["staff", "passwd", "王建华"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-1\n"))
    assert main(["staff", "passwd", "没这个人"]) == 2
