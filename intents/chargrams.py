"""Character n-gram TF-IDF cosine between a message and each entry's pooled phrases.

Robust where word segmentation is not: typos inside a word, word order, partial names.
"""

from __future__ import annotations

import math
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


class CentroidIndex:
    """Sparse TF-IDF centroids of entries over character n-grams of questions residents asked
    about each (an entry may have none): each question l2-normalised, summed per entry, the sum
    l2-normalised. The cosine of a message with a centroid says how much it reads like the
    questions that entry answered, in any words (a nearest-centroid classifier). Only the
    entries asked for are compared: a message's few candidates, not every entry."""

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

    @classmethod
    def from_parts(cls, sizes: Sequence[int], idf: dict[str, float],
                   centroids: dict[int, dict[str, float]]) -> CentroidIndex:
        """An index as built before (its `idf` and `centroids`, e.g. read from a cache)."""
        if not isinstance(idf, dict) or not isinstance(centroids, dict) or not all(
                isinstance(g, str) and isinstance(w, float) for g, w in idf.items()) or not all(
                isinstance(e, int) and isinstance(c, dict) and all(
                    isinstance(g, str) and isinstance(w, float) for g, w in c.items())
                for e, c in centroids.items()):
            raise TypeError("not an index")
        index = cls((), sizes)
        index.idf, index.centroids = _shared_values(idf), centroids
        return index

    def _weights(self, counts: Counter[str]) -> dict[str, float]:
        """l2-normalised sublinear TF-IDF (residents repeat themselves: 社保卡…社保卡…)."""
        get, log = self.idf.get, math.log
        weights = {g: w if c == 1 else (1 + log(c)) * w
                   for g, c in counts.items() if (w := get(g)) is not None}
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
