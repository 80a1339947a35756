"""The inbox: every inbound message on disk before it is acknowledged; a dead worker's
unfinished messages are found by the next worker, never a live one's."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
from pathlib import Path

from bot.channels.inbox import MessageInbox, unfinished
from bot.messages import IncomingMessage

AT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def message(n: int) -> IncomingMessage:
    return IncomingMessage("wechat_mp", "o-1", f"第{n}条", message_id=str(n), received_at=AT)


async def test_kept_messages_survive_until_done(tmp_path: Path) -> None:
    dead = MessageInbox(tmp_path, "worker-a")
    dead.open()
    for n in (1, 2, 3):
        await dead.keep(f"wechat_mp:{n}", message(n))
    await dead.keep("wechat_mp:2", message(2))           # a redelivery is kept once
    await dead.done("wechat_mp:1")
    dead.close()                                          # the worker died here
    with dead.path.open("a", encoding="utf-8") as torn:
        torn.write('{"key": "wechat_mp:4", "mess')        # killed mid-write
    live = MessageInbox(tmp_path, "worker-b")
    live.open()
    [(path, left)] = list(live.orphans())
    assert path == dead.path
    assert [(key, m.text, m.received_at) for key, m in left] == [
        ("wechat_mp:2", "第2条", AT), ("wechat_mp:3", "第3条", AT)]
    live.forget(path)
    assert not path.exists()
    assert list(live.orphans()) == []
    live.close()


async def test_a_live_workers_inbox_is_not_taken(tmp_path: Path) -> None:
    first, second = MessageInbox(tmp_path, "a"), MessageInbox(tmp_path, "b")
    first.open()
    second.open()
    await first.keep("wechat_mp:1", message(1))
    assert list(second.orphans()) == []                   # "a" still holds its journal
    first.close()
    assert [key for _, left in second.orphans() for key, _ in left] == ["wechat_mp:1"]
    second.close()


def test_unfinished_reads_done_lines_after_their_message() -> None:
    text = ('{"key": "k1", "message": {"platform": "wecom", "user_id": "u", "text": "t", '
            '"received_at": "2026-11-23T02:00:00+00:00"}}\n{"done": "k1"}\nnot json\n')
    assert unfinished(text) == []


async def test_messages_kept_at_once_share_a_sync_and_none_returns_before_its_own(
        tmp_path: Path) -> None:
    synced_lines: list[int] = []      # how many lines were on disk after each sync

    def sync(descriptor: int) -> None:
        os.fsync(descriptor)
        synced_lines.append(len(inbox.path.read_text("utf-8").splitlines()))

    inbox = MessageInbox(tmp_path, "a", sync=sync)
    inbox.open()
    kept: list[int] = []

    async def keep(n: int) -> None:
        await inbox.keep(f"wechat_mp:{n}", message(n))
        kept.append(n)
        assert synced_lines and synced_lines[-1] >= n   # its own line was synced first

    await asyncio.gather(*(keep(n) for n in range(1, 11)))
    assert sorted(kept) == list(range(1, 11))
    assert 1 <= len(synced_lines) < 10                  # ten messages, fewer syncs
    await inbox.keep("wechat_mp:11", message(11))       # a message alone gets a sync of its own
    assert synced_lines[-1] == 11
    inbox.close()


async def test_a_redelivery_kept_again_returns_only_once_synced(tmp_path: Path) -> None:
    synced: list[int] = []
    inbox = MessageInbox(tmp_path, "a", sync=lambda descriptor: synced.append(descriptor))
    inbox.open()
    first = asyncio.create_task(inbox.keep("wechat_mp:1", message(1)))
    again = asyncio.create_task(inbox.keep("wechat_mp:1", message(1)))    # Tencent's retry
    await asyncio.sleep(0)
    assert not again.done()              # not before the first copy is on disk
    await asyncio.gather(first, again)
    assert synced
    assert len(inbox.path.read_text("utf-8").splitlines()) == 1    # kept once
    inbox.close()


async def test_keeping_goes_on_after_a_sync_was_cancelled(tmp_path: Path) -> None:
    inbox = MessageInbox(tmp_path, "a")
    inbox.open()
    kept = asyncio.create_task(inbox.keep("wechat_mp:1", message(1)))
    await asyncio.sleep(0)
    syncer = inbox._syncs._runner
    assert syncer is not None
    syncer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await kept
    await asyncio.wait_for(inbox.keep("wechat_mp:2", message(2)), 5)   # not stuck
    inbox.close()
