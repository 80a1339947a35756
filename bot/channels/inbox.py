"""Every inbound message kept on local disk before it is acknowledged in any way.

Tencent does not resend a callback answered `success` (or answered at all). So a message is
appended to this worker's journal, and the file synced, before the callback gets its answer;
when every piece of the reply is out, a "done" line follows. The journal lives on local disk,
not in the database, so that a slow or locked database cannot hold the passive reply past
Tencent's 5 seconds.

A worker that dies (`kill -9`) leaves its journal behind. Any worker starting later takes it
over: it locks the file (a live worker holds the lock on its own), reads the messages without
a "done" line, hands them to the core again (the core's processed-message keys make that safe)
and deletes the file. One JSON object per line:
`{"key": ..., "message": {...}}` or `{"done": key}`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from bot.channels.base import CoalescedRuns
from bot.messages import IncomingMessage

log = logging.getLogger(__name__)

PREFIX = "inbox-"
SUFFIX = ".jsonl"
# A journal whose messages are all done is emptied once it is this large.
COMPACT_BYTES = 4 << 20
# Keys finished lately: a redelivery of one is not kept again (its answer is remembered).
RECENT_DONE = 4096


class MessageInbox:
    """This worker's journal of inbound messages (see the module)."""

    def __init__(self, directory: Path, worker: str,
                 sync: Callable[[int], None] = os.fsync) -> None:
        self.directory = directory
        self._sync = sync              # puts a file's written lines on disk
        self.path = directory / f"{PREFIX}{_safe(worker)}{SUFFIX}"
        self._file: IO[str] | None = None
        self._pending: set[str] = set()
        self._done: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._syncs = CoalescedRuns(self._sync_written)   # one fsync for the lines so far

    def open(self) -> None:
        """Create the journal and hold its lock for this worker's lifetime."""
        self.directory.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a", encoding="utf-8")
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._file = handle

    def close(self) -> None:
        """Release the journal (its unfinished messages stay for the next worker)."""
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    async def keep(self, key: str, message: IncomingMessage) -> None:
        """Append the message and sync the file; returns once it is on disk. Messages kept
        at the same moment share one sync."""
        if key in self._done:
            return
        if key in self._pending:          # a redelivery: returns once the first copy is synced
            await asyncio.shield(self._syncs.request())
            return
        self._pending.add(key)
        self._write(json.dumps({"key": key, "message": _plain(message)}, ensure_ascii=False))
        await asyncio.shield(self._syncs.request())

    async def done(self, key: str) -> None:
        """Note that the message's reply is out (no sync needed: at worst it is replayed, and
        the core answers a replay from its processed message)."""
        if key not in self._pending:
            return
        self._pending.discard(key)
        self._done[key] = None
        while len(self._done) > RECENT_DONE:
            self._done.popitem(last=False)
        self._write(json.dumps({"done": key}, ensure_ascii=False))

    def _write(self, line: str) -> None:
        """One line handed to the system (a copy into its cache, not a wait for the disk)."""
        handle = self._file
        if handle is None:
            raise RuntimeError("the inbox is not open")
        if not self._pending and handle.tell() > COMPACT_BYTES:
            handle.truncate(0)           # everything in it is done: start the file afresh
            handle.seek(0)
        handle.write(line + "\n")
        handle.flush()

    async def _sync_written(self) -> None:
        """Put every line written so far on disk (in a thread)."""
        handle = self._file
        if handle is None:
            raise RuntimeError("the inbox is not open")
        await asyncio.to_thread(self._sync, handle.fileno())

    async def finish_orphans(self, finish: Callable[[str, IncomingMessage], Awaitable[None]]
                             ) -> None:
        """Hand each unfinished message of the journals dead workers left to `finish`, then
        delete those journals."""
        for path, messages in self.orphans():
            for key, message in messages:
                log.info("finishing %s, left unfinished by a worker that stopped", key)
                await finish(key, message)
            self.forget(path)

    def orphans(self) -> Iterator[tuple[Path, list[tuple[str, IncomingMessage]]]]:
        """Journals no live worker holds (earlier lives of this deployment's workers) with
        their unfinished messages; each stays locked until the caller asks for the next."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob(f"{PREFIX}*{SUFFIX}")):
            if path == self.path:
                continue
            with _taken(path) as handle:
                if handle is None:
                    continue             # a live worker's own
                yield path, unfinished(handle.read())

    @staticmethod
    def forget(path: Path) -> None:
        """Delete a journal taken over once its messages are handled."""
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def inbox_for(directory: Path | None, platform: str) -> MessageInbox | None:
    """This worker's inbox for a platform (None without a directory: tests, the console)."""
    if directory is None:
        return None
    return MessageInbox(directory / platform, f"{socket.gethostname()}-{os.getpid()}")


def unfinished(text: str) -> list[tuple[str, IncomingMessage]]:
    """The messages of a journal without a "done" line, oldest first (a torn last line, from
    a crash mid-write, is skipped)."""
    kept: dict[str, IncomingMessage] = {}
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if "done" in entry:
            kept.pop(str(entry["done"]), None)
        elif "key" in entry and isinstance(entry.get("message"), dict):
            kept.setdefault(str(entry["key"]), _message(entry["message"]))
    return list(kept.items())


@contextlib.contextmanager
def _taken(path: Path) -> Iterator[IO[str] | None]:
    """The journal opened and locked, or None when another worker holds it."""
    try:
        handle = path.open("r", encoding="utf-8")
    except FileNotFoundError:
        yield None
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _plain(message: IncomingMessage) -> dict[str, Any]:
    values = asdict(message)
    values["received_at"] = message.received_at.isoformat()
    return values


def _message(values: dict[str, Any]) -> IncomingMessage:
    values = dict(values)
    values["received_at"] = dt.datetime.fromisoformat(str(values["received_at"]))
    return IncomingMessage(**values)


def _safe(worker: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in worker)
