"""The console story format: several people in turn, every bot message one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.console import ScriptError, Speaker

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
    assert out[1].startswith("-> leader:曹红英: 新报修 R0001")
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


def test_deadlines_remind_pause_escalate_and_auto_close(
        capsys: pytest.CaptureFixture[str]) -> None:
    out = run(STORIES / "deadlines.txt", capsys)
    reminders = [n for n, line in enumerate(out) if "提醒：R0001" in line]
    question = next(n for n, line in enumerate(out) if "请问是哪个房间" in line)
    escalations = [n for n, line in enumerate(out) if "【超时】R0001" in line]
    # reminded once at half time, before the leader's question
    assert len(reminders) == 1 and reminders[0] < question
    # the clock paused while the resident was asked: no escalation until after the answer
    answer = next(n for n, line in enumerate(out) if "居民回复：502" in line)
    assert escalations and min(escalations) > answer
    assert all(out[n].startswith("-> staff:") for n in escalations)
    assert out[-1].startswith("-> resident:李阿姨@9号楼:") and "自动结束" in out[-1]
