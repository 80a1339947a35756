"""The console story format: several people in turn, every bot message one line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.console import ScriptError, Speaker
from bot.kb.model import Knowledge
from intents.engine import IntentEngine
from tests.conftest import new_station
from tests.stories import play, read_story

STORIES = Path(__file__).resolve().parent.parent / "data" / "stories"


def run(script: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["chat", "--script", str(script), "--today", "2026-11-23"]) == 0
    return capsys.readouterr().out.splitlines()


def test_a_report_story_runs_to_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(STORIES / "report_to_done.txt", capsys)
    assert all(line.startswith("-> ") for line in out)
    assert out[0].startswith("-> resident:张阿姨@9号楼: 已登记，编号 R0001")
    assert out[1].startswith("-> leader:李琳: 新报修 R0001")
    assert "-> resident:张阿姨@9号楼: 谢谢确认，R0001 已完成。" in out
    assert any(line.startswith("-> leader:周国平:") and "不是您负责" in line for line in out)
    assert out[-1].startswith("-> staff:王主任:")


def test_a_backup_takes_over_while_the_leader_is_away_and_the_clock_moves(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = tmp_path / "story.txt"
    # 何志明 leads 27号楼 and is away until 2026-12-05: his backup 曹红英 gets the ticket.
    story.write_text("resident:刘伯伯@27号楼: 楼道灯不亮\n@clock +1d\n"
                     "resident:刘伯伯@27号楼: 我的报修\n", encoding="utf-8")
    out = run(story, capsys)
    assert "曹红英" in out[0] and "何志明" not in out[0]
    assert out[1].startswith("-> volunteer:曹红英: 新报修 R0001")
    assert "R0001" in out[-1]


def test_bad_lines_are_refused_with_their_number(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    story = tmp_path / "bad.txt"
    story.write_text("# fine\nresident:张阿姨@9号楼: 你好\nhello there\n", encoding="utf-8")
    assert main(["chat", "--script", str(story)]) == 2
    assert "line 3" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["resident:张阿姨", "leader:李琳@9号楼", "mayor:x", "staff:"])
def test_speakers_must_follow_the_notation(text: str) -> None:
    with pytest.raises(ScriptError):
        Speaker.parse(text)


def test_speaker_notation_round_trips() -> None:
    for text in ("resident:张阿姨@9号楼", "leader:李琳", "staff:王主任"):
        assert Speaker.parse(text).notation == text


@pytest.mark.parametrize("name", ["deadlines", "safety_gas_where", "handoff_tells_staff"])
def test_the_console_runs_a_story_as_the_tests_do(
        name: str, knowledge: Knowledge, engine: IntentEngine, migrated_sqlite: Path,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`yizhan chat --script` sends, line for line, what the story runner saw: one path."""
    async def in_process() -> list[str]:
        station = new_station(knowledge, engine, migrated_sqlite, tmp_path)
        transcript: list[str] = []
        try:
            assert await play(station, read_story(STORIES / f"{name}.txt"), transcript) == []
        finally:
            await station.assistant.close()
        return transcript

    transcript = asyncio.run(in_process())
    assert main(["chat", "--script", str(STORIES / f"{name}.txt"), "--today",
                 "2026-11-23"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == transcript and len(printed) > 5
