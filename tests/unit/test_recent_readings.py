"""RecentReadings: a reading is made once while kept, the oldest is let go first, and a
falsy reading (no n-gram in common: {}) is kept like any other."""

from __future__ import annotations

from intents.recent_readings import RecentReadings


def test_a_kept_reading_is_not_read_again_and_the_oldest_goes_first() -> None:
    calls: list[str] = []

    def reader(text: str) -> dict[str, int]:
        calls.append(text)
        return {} if text == "空" else {text: len(text)}

    recent: RecentReadings[str, dict[str, int]] = RecentReadings(2)
    assert recent.read("空", reader) == {}
    assert recent.read("空", reader) == {}
    assert recent.read("敬老卡", reader) == {"敬老卡": 3}
    assert calls == ["空", "敬老卡"] and len(recent) == 2
    recent.read("社保卡", reader)             # a third: 空, the oldest, goes
    assert len(recent) == 2
    recent.read("敬老卡", reader)
    recent.read("空", reader)
    assert calls == ["空", "敬老卡", "社保卡", "空"]
