"""Character n-gram TF-IDF cosine between a message and each entry's pooled phrases.

Robust where word segmentation is not: typos inside a word, word order, partial names.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence


def char_grams(text: str, sizes: Sequence[int]) -> Counter[str]:
    """Counts of the character n-grams of a text (spaces separate runs)."""
    grams: Counter[str] = Counter()
    for run in text.split():
        for n in sizes:
            grams.update(run[i:i + n] for i in range(len(run) - n + 1))
    return grams


class CharGramIndex:
    """Sparse TF-IDF vectors of entries over character n-grams of the given sizes (the engine
    uses 1-2), l2-normalised."""

    sublinear = False     # a query's counts as they are (1 + ln count when True)

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
        self.postings = dict(postings)
        # Each gram's entries as dict keys: merged in one C call, they keep the order in which
        # the query first reached each entry (the ranking's tie order).
        self._reached = {g: dict.fromkeys(e for e, _ in p) for g, p in self.postings.items()}

    def cosine(self, text: str) -> dict[int, float]:
        """Cosine similarity of the text with every entry sharing an n-gram with it."""
        query = char_grams(text, self.sizes)
        idf = self.idf
        if self.sublinear:
            weights = [(g, (1 + math.log(c)) * idf[g]) for g, c in query.items() if g in idf]
        else:
            weights = [(g, c * idf[g]) for g, c in query.items() if g in idf]
        norm = math.sqrt(sum(w * w for _, w in weights))
        if not norm:
            return {}
        scores = [0.0] * self.entries     # a list indexed by entry: cheaper than a dict
        touched: dict[int, None] = {}
        postings, reached = self.postings, self._reached
        for gram, weight in weights:
            q = weight / norm
            for entry, value in postings[gram]:
                scores[entry] += q * value
            touched.update(reached[gram])
        return {entry: scores[entry] for entry in touched}


class CentroidIndex(CharGramIndex):
    """Sparse TF-IDF centroids of entries over character n-grams of questions residents asked
    about each (an entry may have none): each question l2-normalised, summed per entry, the sum
    l2-normalised. The cosine of a message with a centroid says how much it reads like the
    questions that entry answered, in any words (a nearest-centroid classifier)."""

    sublinear = True

    def __init__(self, examples: Iterable[tuple[int, str]], entries: int,
                 sizes: Sequence[int] = (1, 2, 3)) -> None:
        self.sizes = tuple(sizes)
        labelled = [(entry, char_grams(text, self.sizes)) for entry, text in examples]
        df: Counter[str] = Counter()
        for _, doc in labelled:
            df.update(doc.keys())
        n = len(labelled)
        self.idf = {g: math.log((1 + n) / (1 + d)) + 1 for g, d in df.items()}
        self.entries = entries
        sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for entry, doc in labelled:
            # sublinear tf, as residents repeat themselves (社保卡…社保卡…)
            weights = {g: (1 + math.log(c)) * self.idf[g] for g, c in doc.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            total = sums[entry]
            for gram, weight in weights.items():
                total[gram] += weight / norm
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for entry in sorted(sums):
            total = sums[entry]
            norm = math.sqrt(sum(w * w for w in total.values())) or 1.0
            for gram, weight in total.items():
                postings[gram].append((entry, weight / norm))
        self.postings = dict(postings)
        self._reached = {g: dict.fromkeys(e for e, _ in p) for g, p in self.postings.items()}
