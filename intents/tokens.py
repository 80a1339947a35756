"""A private jieba tokenizer with the knowledge base's terms, built once and cached."""

from __future__ import annotations

import array
import contextlib
import hashlib
import importlib
import logging
import os
import struct
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

_MAX_TERM = 6
# Bump when discover_terms changes, so that cached terms are found afresh.
_TERMS_VERSION = 1
# Words rarer than this in jieba's general dictionary are left out of it: messages to a station
# do not need them, and the 105k-word dictionary loads in a quarter of the time of the 349k one.
GENERAL_MIN_FREQ = 10


def _jieba() -> ModuleType:
    """jieba, imported without `pkg_resources`: jieba uses it only to open its own data
    files, and opens them directly when it is missing. It is a tenth of a second and
    megabytes of a cold start."""
    if "jieba" not in sys.modules and "pkg_resources" not in sys.modules:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # import -> ImportError
        try:
            return importlib.import_module("jieba")
        finally:
            del sys.modules["pkg_resources"]
    return importlib.import_module("jieba")


def default_cache_dir() -> Path:
    """The cache folder when none is configured: this user's own folder under the system's
    temporary one (mode 0700). One that exists but is not this user's alone (another user
    made it first) is not trusted: a fresh private folder is used instead."""
    uid = getattr(os, "getuid", lambda: None)()
    folder = Path(tempfile.gettempdir()) / (f"yizhan-{uid}" if uid is not None else "yizhan")
    with contextlib.suppress(OSError):
        folder.mkdir(mode=0o700, exist_ok=True)
        found = folder.lstat()
        if uid is None or (found.st_uid == uid and not found.st_mode & 0o022
                           and folder.is_dir() and not folder.is_symlink()):
            return folder
    return Path(tempfile.mkdtemp(prefix="yizhan-"))


def write_whole(target: Path, data: bytes) -> None:
    """Write a cache file so that another process reading it never sees half of it (a file
    of this process's and thread's own, then renamed over the target)."""
    partial = target.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        partial.write_bytes(data)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _write_lines(target: Path, lines: Iterable[str]) -> None:
    """Lines of text into a cache file, whole."""
    write_whole(target, ("\n".join(lines) + "\n").encode("utf-8"))


def _general_dictionary(folder: Path) -> Path:
    """jieba's dictionary without its rarest words, written once into the cache folder."""
    target = folder / f"jieba-dict-f{GENERAL_MIN_FREQ}.txt"
    if not target.exists():
        source = Path(_jieba().__file__ or "").with_name("dict.txt")
        kept = [line for line in source.read_text(encoding="utf-8").splitlines()
                if len(parts := line.split(" ")) >= 2 and int(parts[1]) >= GENERAL_MIN_FREQ]
        _write_lines(target, kept)
    return target


# The compact prefix dictionary: the size and modification time (ns) of the dictionary file it
# was made from, word count and total frequency; then each word's frequency; then the words as
# one UTF-8 text, one per line.
_PREFIX_HEADER = struct.Struct("<qqqq")


def _load_prefix_dictionary(tokenizer: object, dictionary: Path, cached: Path) -> None:
    """jieba's prefix dictionary (`FREQ`, every word and word prefix with its frequency, and
    `total`), from a compact cache of our own when there is one made from this very
    dictionary file. jieba's own cache is one marshalled dict of 135k words, which takes
    0.19 s to read; the same words as one text and their frequencies as one array take a
    tenth of that."""
    source = dictionary.stat()
    made_from = (source.st_size, source.st_mtime_ns)
    with contextlib.suppress(OSError, ValueError, struct.error, UnicodeDecodeError):
        data = cached.read_bytes()
        size, mtime, count, total = _PREFIX_HEADER.unpack_from(data)
        if (size, mtime) != made_from:
            raise ValueError("made from another dictionary")
        start = _PREFIX_HEADER.size
        frequencies = array.array("q")
        frequencies.frombytes(data[start:start + 8 * count])
        words = data[start + 8 * count:].decode("utf-8").split("\n")
        if len(words) != count or len(frequencies) != count:
            raise ValueError("a damaged prefix dictionary")
        # one int object per distinct frequency (4.7k), not one per word (22k above 256)
        same: dict[int, int] = {}
        counts = (same.setdefault(f, f) for f in frequencies)
        tokenizer.FREQ = dict(zip(words, counts, strict=True))  # type: ignore[attr-defined]
        tokenizer.total = total  # type: ignore[attr-defined]
        tokenizer.initialized = True  # type: ignore[attr-defined]
        return
    tokenizer.initialize()  # type: ignore[attr-defined]  # jieba's own cache, or its dictionary
    freq: dict[str, int] = tokenizer.FREQ  # type: ignore[attr-defined]
    if any("\n" in word for word in freq):
        return      # not a dictionary this format can hold: jieba's own cache serves
    with contextlib.suppress(OSError):  # a read-only cache costs jieba's slower one, no more
        write_whole(cached, _PREFIX_HEADER.pack(*made_from, len(freq),
                                                tokenizer.total)  # type: ignore[attr-defined]
                    + array.array("q", freq.values()).tobytes()
                    + "\n".join(freq).encode("utf-8"))


class DomainTokenizer:
    """jieba segmentation with domain terms kept whole (残疾人证, 敬老卡, 居保).

    Terms are the knowledge base's short phrases plus terms discovered in its longer phrases.
    jieba's prefix dictionary is cached on disk (`cache_dir`), so only the first start builds it.
    """

    def __init__(self, terms: Iterable[str], phrases: Iterable[str] = (),
                 cache_dir: Path | None = None) -> None:
        folder = cache_dir or default_cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        jieba = _jieba()
        jieba.setLogLevel(logging.WARNING)  # "Building prefix dict..." is not worth a line
        dictionary = _general_dictionary(folder)
        self._tokenizer = jieba.Tokenizer(dictionary=str(dictionary))
        self._tokenizer.tmp_dir = str(folder)
        self._tokenizer.cache_file = f"yizhan-jieba-f{GENERAL_MIN_FREQ}.cache"
        _load_prefix_dictionary(self._tokenizer, dictionary, folder / (
            f"yizhan-prefix-f{GENERAL_MIN_FREQ}-{jieba.__version__}.bin"))
        found = self._discovered(folder, phrases)
        self.terms = tuple(sorted(set(terms) | found))
        freq = self._tokenizer.FREQ
        self._general = {t: int(freq.get(t, 0)) for t in self.terms}
        for term in self.terms:
            # A high frequency keeps domain terms whole against the general dictionary.
            self._tokenizer.add_word(term, freq=max(2000, 500 * len(term)))

    def _discovered(self, folder: Path, phrases: Iterable[str]) -> set[str]:
        """The terms `discover_terms` finds in the phrases, cached beside jieba's dictionary
        cache under a digest of the phrases (a knowledge edit finds them afresh)."""
        unique = sorted(set(phrases))
        digest = hashlib.sha256("\n".join(
            [f"{GENERAL_MIN_FREQ} {_MAX_TERM} {_TERMS_VERSION}", *unique]).encode()).hexdigest()
        cached = folder / f"yizhan-terms-{digest[:20]}.txt"
        try:
            return set(cached.read_text(encoding="utf-8").split())
        except OSError:
            pass
        found = discover_terms(unique, self.words)
        with contextlib.suppress(OSError):  # a read-only cache costs a rediscovery, no more
            _write_lines(cached, sorted(found))
        return found

    def tokens(self, text: str) -> list[str]:
        """Search-mode tokens (long words also yield their dictionary sub-words)."""
        return [t for t in self._tokenizer.cut_for_search(text, HMM=False) if t.strip()]

    def words(self, text: str) -> list[str]:
        """Plain segmentation."""
        return [t for t in self._tokenizer.lcut(text, HMM=False) if t.strip()]

    def general_frequency(self, word: str) -> int:
        """Frequency in jieba's general dictionary, ignoring the domain terms added here."""
        general = self._general.get(word)
        return general if general is not None else int(self._tokenizer.FREQ.get(word, 0))


def discover_terms(phrases: Iterable[str], segment: Callable[[str], list[str]],
                   min_count: int = 3) -> set[str]:
    """Domain terms that recur across phrases (敬老卡, 居保, 残疾人证): a small new-word finder.

    An n-gram of 2-6 Chinese characters is a term when it is found in at least `min_count`
    phrases, has at least two different neighbours (or the phrase edge) on each side, and in
    most of its occurrences starts and ends on a word boundary of the general segmentation
    (so "业一次性" from 失业一次性补助 is not a term).
    """
    counts: dict[str, int] = {}
    aligned: dict[str, int] = {}
    left: dict[str, set[str]] = {}
    right: dict[str, set[str]] = {}
    for phrase in set(phrases):
        bounds = {0}
        position = 0
        for word in segment(phrase):
            position += len(word)
            bounds.add(position)
        seen: set[str] = set()
        for n in range(2, _MAX_TERM + 1):
            for i in range(len(phrase) - n + 1):
                gram = phrase[i:i + n]
                if not all("\u3400" <= c <= "\u9fff" for c in gram):
                    continue
                left.setdefault(gram, set()).add(phrase[i - 1] if i > 0 else "^")
                right.setdefault(gram, set()).add(phrase[i + n] if i + n < len(phrase) else "$")
                if gram in seen:
                    continue
                seen.add(gram)
                counts[gram] = counts.get(gram, 0) + 1
                if i in bounds and i + n in bounds:
                    aligned[gram] = aligned.get(gram, 0) + 1
    kept = {g for g, c in counts.items()
            if c >= min_count and len(left[g]) >= 2 and len(right[g]) >= 2
            and aligned.get(g, 0) * 3 >= c * 2}
    return {g for g in kept if not any(
        len(o) > len(g) and g in o and counts[o] == counts[g] for o in kept)}
