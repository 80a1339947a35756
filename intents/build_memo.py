"""What an engine build computes from the knowledge's own phrases, kept on disk.

A build normalises and segments a few thousand phrases, names and aliases; those results depend
only on the phrasebook, the code that reads text and the versions of the libraries it reads
with. Kept in one marshal file under a digest of all of them, a second start reads them
instead of computing them (a fifth of a second of a cold start). Marshal holds data only:
a cache file never runs code.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from intents.tokens import write_whole

Result = TypeVar("Result")


def digest_of(parts: Iterable[object], modules: Iterable[ModuleType],
              libraries: Iterable[str] = ()) -> str:
    """A digest of some data (by repr), of the source of the modules that read it, and of the
    installed libraries they read with (by the size and time of each package's files: an
    upgrade changes them), without importing those libraries."""
    digest = hashlib.sha256(f"{sys.version} {unicodedata.unidata_version}".encode())
    for part in parts:
        digest.update(repr(part).encode())
    for module in (sys.modules[__name__], *modules):
        if module.__file__:
            digest.update(Path(module.__file__).read_bytes())
    for name in libraries:
        spec = importlib.util.find_spec(name)
        folder = Path(spec.origin).parent if spec is not None and spec.origin else None
        if folder is None:
            digest.update(f"{name} missing".encode())
            continue
        with os.scandir(folder) as found:
            for item in sorted(found, key=lambda item: item.name):
                if item.is_file():
                    stat = item.stat()
                    digest.update(f"{name}/{item.name} {stat.st_size} {stat.st_mtime_ns}"
                                  .encode())
    return digest.hexdigest()[:20]


class BuildMemo:
    """Memoised text functions of one build, read from and written to one cache file."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._tables: dict[str, dict[str, Any]] = {}
        self._changed = False
        if path is not None:
            self._tables = _read_tables(path)

    def through(self, table: str, function: Callable[[str], Result],
                kind: type = str) -> Callable[[str], Result]:
        """`function`, answered from the memo's table when it holds the text. A table read
        from the file with a value not of `kind` is dropped whole and computed afresh."""
        memo: dict[str, Any] = self._tables.setdefault(table, {})
        if not all(isinstance(value, kind) for value in memo.values()):
            memo.clear()

        def memoised(text: str) -> Result:
            try:
                found: Result = memo[text]
                return found
            except KeyError:
                value = memo[text] = function(text)
                self._changed = True
                return value

        return memoised

    def save(self) -> None:
        """Write the tables when this build computed anything new, and remove the memos of
        earlier knowledge (same name but for the digest). A read-only cache folder costs the
        next start the computing, no more."""
        if self._changed and self._path is not None:
            with contextlib.suppress(OSError, ValueError):
                self._path.parent.mkdir(parents=True, exist_ok=True)
                write_whole(self._path, marshal.dumps(self._tables))
                remove_earlier(self._path)
            self._changed = False


def remove_earlier(path: Path) -> None:
    """Remove the cache files of earlier knowledge or code beside `path`: those named as it
    is but for the digest after the last hyphen."""
    stem = path.name.rsplit("-", 1)[0]
    with contextlib.suppress(OSError):
        for earlier in path.parent.glob(f"{stem}-*{path.suffix}"):
            if earlier != path:
                earlier.unlink(missing_ok=True)


def _read_tables(path: Path) -> dict[str, dict[str, Any]]:
    """The memo's tables, or none when the file is missing, damaged or of another shape
    (a cache is never trusted to be well formed: anything wrong costs the computing)."""
    try:
        loaded = marshal.loads(path.read_bytes())
    except Exception:   # missing, cut short, or too big to read: no memo
        return {}
    if not isinstance(loaded, dict) or not all(
            isinstance(name, str) and isinstance(table, dict)
            and all(isinstance(text, str) for text in table)
            for name, table in loaded.items()):
        return {}
    return loaded
