"""One path for a message: `yizhan chat`, `yizhan ask` and `yizhan serve` give the same replies
to the same messages. Shown on the emergencies, whose safety text must never differ."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.channels.fake_tencent import text_xml
from tests.channels.test_stories_across_channels import NOW, passive_text, running_station

EMERGENCIES = ["有人被困在电梯里", "电梯卡牢了，里面有人关了里向", "楼道里电瓶车充电冒烟了",
               "屋里跌跤了，爬不起来", "厨房里煤气味道老重的", "阳台上面的花盆要掉下来了",
               "家里水管爆了", "敬老卡怎么办"]


def ask(text: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["ask", text, "--today", "2026-11-23"]) == 0
    return capsys.readouterr().out.splitlines()


def chat(texts: list[str], monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> list[str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(texts) + "\n"))
    assert main(["chat", "--today", "2026-11-23"]) == 0
    # the resident's replies; the notices the console also delivers start with "-> "
    return [line for line in capsys.readouterr().out.splitlines() if not line.startswith("-> ")]


async def served(texts: list[str], folder: Path) -> list[str]:
    """The passive reply (the first message) of the 服务号 to each text, one resident each."""
    firsts = []
    async with running_station(folder, background=False) as station:
        for n, text in enumerate(texts):
            firsts.append(await passive_text(station.resident, await station.resident.push(
                text_xml(text, user=f"o-{n}", msg_id=800 + n, created=NOW))))
    return firsts


def test_chat_ask_and_serve_answer_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from_ask = [ask(text, capsys) for text in EMERGENCIES]
    # one chat session per message, as each asks a resident the bot has not met
    from_chat = [chat([text], monkeypatch, capsys) for text in EMERGENCIES]
    from_server = asyncio.run(served(EMERGENCIES, tmp_path))
    for text, asked, chatted, first in zip(EMERGENCIES, from_ask, from_chat, from_server,
                                           strict=True):
        assert asked == chatted, text                     # every reply, line for line
        assert first.splitlines() == asked[:len(first.splitlines())], text
    assert all(a[0].startswith("紧急！") for a in from_ask[:6])
    assert [n for n, a in zip(("96333", "96333", "119", "120", "962777", "110"), from_ask,
                              strict=False) if n not in a[0]] == []
    assert "总阀" in from_ask[6][0]
