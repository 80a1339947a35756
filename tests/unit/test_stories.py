"""Every story under tests/data/stories runs through the production path and sends what its
expectations say (see tests/stories.py for the notation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Station
from tests.stories import play, read_story

STORIES = sorted((Path(__file__).resolve().parents[1] / "data" / "stories").glob("*.txt"))


def test_there_are_stories() -> None:
    assert len(STORIES) >= 10


@pytest.mark.parametrize("path", STORIES, ids=[p.stem for p in STORIES])
async def test_story(station: Station, path: Path) -> None:
    steps = read_story(path)
    assert any(step.expectations for step in steps), f"{path.name} expects nothing"
    problems = await play(station, steps)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
