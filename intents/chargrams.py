"""Character n-gram TF-IDF cosine between a message and each entry's pooled phrases.

Robust where word segmentation is not: typos inside a word, word order, partial names.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from intents.recent_readings import RecentReadings


def char_grams(text: str, sizes: Sequence[int]) -> Counter[str]:
    """Counts of the character n-grams of a text (spaces separate runs)."""
    return Counter([run[i:i + n] for run in text.split() for n in sizes
                    for i in range(len(run) - n + 1)])


def _shared_values(table: dict[str, float]) -> dict[str, float]:
    """The table with one float object per distinct value (an idf takes few values: one per
    document frequency), not one per key."""
    same: dict[float, float] = {}
    return {key: same.setdefault(value, value) for key, value in table.items()}


class CharGramIndex:
    """Sparse TF-IDF vectors of entries over character n-grams of the given sizes (the engine
    uses 1-2), l2-normalised."""

    def __init__(self, documents: Iterable[Iterable[str]], sizes: Sequence[int] = (1, 2, 3)
                 ) -> None:
        self.sizes = tuple(sizes)
        counts = [char_grams(" ".join(phrases), self.sizes) for phrases in documents]
        n = len(counts)
        df: Counter[str] = Counter()
        for doc in counts:
            df.update(doc.keys())
        # scikit-learn's smooth idf: ln((1 + n) / (1 + df)) + 1
        self.idf = {g: math.log((1 + n) / (1 + d)) + 1 for g, d in df.items()}
        self.entries = n
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for entry, doc in enumerate(counts):
            weights = {g: c * self.idf[g] for g, c in doc.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for gram, weight in weights.items():
                postings[gram].append((entry, weight / norm))
        self.postings = {g: tuple(p) for g, p in postings.items()}

    def cosine(self, text: str) -> dict[int, float]:
        """Cosine similarity of the text with every entry sharing an n-gram with it, in
        entry order (the ranking's order among equal scores)."""
        query = char_grams(text, self.sizes)
        idf = self.idf
        weights = [(g, c * idf[g]) for g, c in query.items() if g in idf]
        norm = math.sqrt(sum(w * w for _, w in weights))
        if not norm:
            return {}
        scores = [0.0] * self.entries     # a list indexed by entry: cheaper than a dict
        postings = self.postings
        for gram, weight in weights:
            q = weight / norm
            for entry, value in postings[gram]:
                scores[entry] += q * value
        return {entry: score for entry, score in enumerate(scores) if score}


SMALLEST_WEIGHT = 0.015   # a centroid's weights below this are dropped (no answer changed)


def gram_code(gram: str) -> int | None:
    """A gram of up to 3 characters of the Basic Multilingual Plane as one integer (its length,
    then 16 bits a character), or None for any other."""
    if len(gram) > 3:
        return None
    code = len(gram)
    for char in gram:
        value = ord(char)
        if value > 0xFFFF:
            return None
        code = (code << 16) | value
    return code


class GramTable:
    """The idf of many grams without a string object each: their codes sorted in one array, and
    for each the index of its value among the few distinct ones (an idf takes one value per
    document frequency). About 10 bytes a gram instead of about 120."""

    def __init__(self, codes: array[int], which: array[int], values: tuple[float, ...]) -> None:
        self._codes, self._which, self.values = codes, which, values

    @classmethod
    def of(cls, table: dict[str, float]) -> GramTable:
        """A table of these grams (each must have a code)."""
        values = tuple(sorted(set(table.values())))
        position = {v: n for n, v in enumerate(values)}
        codes = {g: gram_code(g) for g in table}
        if any(code is None for code in codes.values()) or len(values) > 0xFFFF:
            raise ValueError("a gram table holds grams of up to 3 BMP characters")
        pairs = sorted((codes[g] or 0, position[w]) for g, w in table.items())
        return cls(array("q", [c for c, _ in pairs]), array("H", [n for _, n in pairs]), values)

    def get(self, gram: str) -> float | None:
        """The gram's value, or None when the table does not hold it."""
        code = gram_code(gram)
        if code is None:
            return None
        at = bisect_left(self._codes, code)
        if at < len(self._codes) and self._codes[at] == code:
            return self.values[self._which[at]]
        return None

    def __len__(self) -> int:
        return len(self._codes)

    def parts(self) -> tuple[bytes, bytes, tuple[float, ...]]:
        """What `from_parts` needs (for a cache)."""
        return self._codes.tobytes(), self._which.tobytes(), self.values

    @classmethod
    def from_parts(cls, codes: bytes, which: bytes, values: tuple[float, ...]) -> GramTable:
        """A table as `parts` gave it."""
        code_array, which_array = array("q"), array("H")
        code_array.frombytes(codes)
        which_array.frombytes(which)
        if len(code_array) != len(which_array) or not all(
                isinstance(v, float) for v in values) or (
                which_array and max(which_array) >= len(values)):
            raise TypeError("not a gram table")
        return cls(code_array, which_array, tuple(values))


class CentroidIndex:
    """Sparse TF-IDF centroids of entries over character n-grams of questions residents asked
    about each (an entry may have none): each question l2-normalised, summed per entry, the sum
    l2-normalised. The cosine of a message with a centroid says how much it reads like the
    questions that entry answered, in any words (a nearest-centroid classifier). Only the
    entries asked for are compared: a message's few candidates, not every entry.

    The idf of the grams some centroid holds is a dict (their strings are the centroids' keys);
    the many others, there only for a message's norm, are kept compactly (`GramTable`)."""

    def __init__(self, examples: Iterable[tuple[int, str]], sizes: Sequence[int] = (1, 2, 3)
                 ) -> None:
        self.sizes = tuple(sizes)
        self._recent_queries: RecentReadings[str, dict[str, float]] = RecentReadings(2)
        labelled = [(entry, char_grams(text, self.sizes)) for entry, text in examples]
        df: Counter[str] = Counter()
        for _, doc in labelled:
            df.update(doc.keys())
        n = len(labelled)
        self.idf = _shared_values({g: math.log((1 + n) / (1 + d)) + 1 for g, d in df.items()})
        self.rest = GramTable(array("q"), array("H"), ())
        sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for entry, doc in labelled:
            weights = self._weights(doc)
            total = sums[entry]
            for gram, weight in weights.items():
                total[gram] += weight
        # One string object per n-gram (the idf's key), shared by every centroid holding it;
        # weights too small to move a cosine are left out (memory, not answers).
        same = {g: g for g in self.idf}
        self.centroids: dict[int, dict[str, float]] = {}
        for entry, total in sums.items():
            norm = math.sqrt(sum(w * w for w in total.values())) or 1.0
            self.centroids[entry] = {same[g]: w / norm for g, w in total.items()
                                     if w / norm >= SMALLEST_WEIGHT}
        held = {g for centroid in self.centroids.values() for g in centroid}
        self.rest = GramTable.of({g: w for g, w in self.idf.items()
                                  if g not in held and gram_code(g) is not None})
        self.idf = {g: w for g, w in self.idf.items() if g in held or gram_code(g) is None}

    def parts(self) -> tuple[dict[str, float], dict[int, dict[str, float]], bytes, bytes,
                             tuple[float, ...]]:
        """What `from_parts` needs (for a cache)."""
        return (self.idf, self.centroids, *self.rest.parts())

    @classmethod
    def from_parts(cls, sizes: Sequence[int], idf: dict[str, float],
                   centroids: dict[int, dict[str, float]], codes: bytes, which: bytes,
                   values: tuple[float, ...]) -> CentroidIndex:
        """An index as built before (its `parts`, e.g. read from a cache)."""
        if not isinstance(idf, dict) or not isinstance(centroids, dict) or not all(
                isinstance(g, str) and isinstance(w, float) for g, w in idf.items()) or not all(
                isinstance(e, int) and isinstance(c, dict) and all(
                    isinstance(g, str) and isinstance(w, float) for g, w in c.items())
                for e, c in centroids.items()):
            raise TypeError("not an index")
        index = cls((), sizes)
        index.idf, index.centroids = _shared_values(idf), centroids
        index.rest = GramTable.from_parts(codes, which, values)
        return index

    def _weights(self, counts: Counter[str]) -> dict[str, float]:
        """l2-normalised sublinear TF-IDF (residents repeat themselves: 社保卡…社保卡…)."""
        get, rest, log = self.idf.get, self.rest.get, math.log
        weights = {g: w if c == 1 else (1 + log(c)) * w for g, c in counts.items()
                   if (w := known if (known := get(g)) is not None else rest(g)) is not None}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {g: w / norm for g, w in weights.items()}

    def _query(self, text: str) -> dict[str, float]:
        return self._weights(char_grams(text, self.sizes))

    def similarity(self, text: str, entries: Iterable[int]) -> dict[int, float]:
        """Cosine of the text with the centroid of each of `entries` that has questions."""
        query = self._recent_queries.read(text, self._query)   # compared twice, read once
        if not query:
            return {}
        found: dict[int, float] = {}
        grams = query.keys()
        for entry in entries:
            centroid = self.centroids.get(entry)
            if centroid is not None:      # the n-grams both hold, found in C
                found[entry] = math.fsum([query[g] * centroid[g]
                                          for g in grams & centroid.keys()])
        return found
