"""Benchmark the intent engine against simple retrieval baselines, and measure its cost.

For each labelled question file (by default the held-out set and the dev set) it prints:
- affairs questions: top-1 / top-3 item accuracy of the engine and of three baselines
  (rapidfuzz WRatio over item names, TF-IDF character n-grams and BM25 over jieba tokens of
  name + aliases), plus the engine's direct-answer, clarify and wrong-direct-answer rates;
- out of scope: precision and recall of the engine's `fallback` intent over all questions;
- latency per query (p50, p99 in microseconds, queries/s) over all questions of the set;
- the same figures for an engine whose phrasebook also holds the 1,877 Taipei municipal FAQ
  entries (scaling), and how that engine does on 50 Taipei titles;
- cold start (interpreter start to first answer, in a subprocess) and peak memory.

Figures only: nothing here asserts a timing. Usage, from the project root:
    python bench/intent_bench.py [--data FILE ...] [--repeat N]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import math
import platform
import resource
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jieba
import numpy as np
from rank_bm25 import BM25Okapi
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from bot.evaluation import DEFAULT_TODAY, LabelledQuestion, Outcome, read_questions
from bot.kb.loader import load_knowledge
from bot.kb.model import Knowledge
from bot.kb.phrasebook import build_phrasebook
from intents.engine import Classification, IntentEngine
from intents.phrasebook import Entry, Phrasebook

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = (("held-out", ROOT / "bench" / "data" / "heldout_questions.jsonl"),
                ("blind 2", ROOT / "bench" / "data" / "heldout_questions_2.jsonl"),
                ("blind 3", ROOT / "bench" / "data" / "heldout_questions_3.jsonl"),
                ("blind 4", ROOT / "bench" / "data" / "heldout_questions_4.jsonl"),
                ("blind 5", ROOT / "bench" / "data" / "heldout_questions_5.jsonl"),
                ("blind 6", ROOT / "bench" / "data" / "heldout_questions_6.jsonl"),
                ("dev", ROOT / "tests" / "data" / "dev_questions.jsonl"))
TAIPEI_XML = Path("/work/shared/datasets/taipei_faq/taipei_municipal_faq.xml")
TAIPEI_SAMPLE = 50
AFFAIRS = "affairs.ask"
FAQ = "faq.ask"
FALLBACK = "fallback"
COLD_QUESTION = "敬老卡怎么办"
COLD_START_CODE = f"""\
import time
t0 = time.perf_counter()
import datetime
import json
from pathlib import Path
from bot.kb.loader import load_knowledge
from bot.kb.phrasebook import build_phrasebook
from intents.engine import IntentEngine
t1 = time.perf_counter()
kb = load_knowledge(Path("knowledge"))
t2 = time.perf_counter()
pb = build_phrasebook(kb)
t3 = time.perf_counter()
engine = IntentEngine(pb)
t4 = time.perf_counter()
r = engine.classify({COLD_QUESTION!r}, datetime.date(2026, 11, 23))
t5 = time.perf_counter()
print(json.dumps({{"intent": r.intent, "item": r.item, "import": t1 - t0, "load": t2 - t1,
                  "phrasebook": t3 - t2, "engine": t4 - t3, "classify": t5 - t4}}), flush=True)
"""


# -- data ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DataSet:
    """One labelled question file."""

    label: str
    path: Path
    questions: list[LabelledQuestion]

    @property
    def affairs(self) -> list[LabelledQuestion]:
        return [q for q in self.questions if q.intent == AFFAIRS]


def taipei_entries(path: Path) -> list[Entry]:
    """One faq.ask entry per <data> record: the title, then its comma-separated keywords."""
    entries: list[Entry] = []
    root = ET.parse(path).getroot()
    for n, record in enumerate(root.iter("data"), start=1):
        title = (record.findtext("news_title") or "").strip()
        keywords = tuple(k.strip() for k in (record.findtext("keyword") or "").split(",")
                         if k.strip())
        entries.append(Entry(key=f"faq:tpe{n}", intent=FAQ, label=title,
                             phrases=(title, *keywords), group="taipei"))
    return entries


def taipei_sample(entries: Sequence[Entry], size: int) -> list[Entry]:
    """`size` entries evenly spread over the file, among those whose title is unique."""
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.label] = counts.get(entry.label, 0) + 1
    unique = [e for e in entries if counts[e.label] == 1]
    if len(unique) <= size:
        return unique
    return [unique[i * len(unique) // size] for i in range(size)]


# -- timing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Latency:
    """Per-query timings pooled over all timed passes."""

    samples_ns: tuple[int, ...]

    def percentile_us(self, q: float) -> float:
        """Nearest-rank percentile, in microseconds."""
        ordered = sorted(self.samples_ns)
        if not ordered:
            return math.nan
        rank = max(1, math.ceil(q / 100 * len(ordered)))
        return ordered[rank - 1] / 1000

    @property
    def p50(self) -> float:
        return self.percentile_us(50)

    @property
    def p99(self) -> float:
        return self.percentile_us(99)

    @property
    def mean_us(self) -> float:
        return sum(self.samples_ns) / len(self.samples_ns) / 1000 if self.samples_ns else math.nan

    @property
    def qps(self) -> float:
        """Queries per second of measured time (1 / mean latency)."""
        total = sum(self.samples_ns)
        return len(self.samples_ns) * 1e9 / total if total else math.nan


def time_queries(call: Callable[[str], object], texts: Sequence[str], repeat: int) -> Latency:
    """Time each call individually over `repeat` passes (the caller has already warmed up)."""
    samples: list[int] = []
    clock = time.perf_counter_ns
    gc.collect()
    for _ in range(repeat):
        for text in texts:
            start = clock()
            call(text)
            samples.append(clock() - start)
    return Latency(tuple(samples))


# -- the engine ------------------------------------------------------------------------------
@dataclass(frozen=True)
class EngineFigures:
    """The engine's accuracy figures on one question set."""

    affairs: int
    top1: float
    top3: float
    direct: float
    clarify: float
    wrong_direct: float
    fallback_predicted: int
    fallback_labelled: int
    fallback_correct: int
    oos_answered: int = 0        # out-of-scope questions answered directly (item, menu, ticket)

    @property
    def oos_precision(self) -> float:
        return (self.fallback_correct / self.fallback_predicted if self.fallback_predicted
                else math.nan)

    @property
    def oos_recall(self) -> float:
        return (self.fallback_correct / self.fallback_labelled if self.fallback_labelled
                else math.nan)


def engine_top(result: Classification, k: int) -> list[str]:
    """The engine's top-k affairs items: only when it classified the question as affairs."""
    if result.intent != AFFAIRS:
        return []
    ranked = [c.item for c in result.candidates]
    if result.item is not None:
        ranked = [result.item, *(item for item in ranked if item != result.item)]
    return ranked[:k]


def engine_figures(questions: Sequence[LabelledQuestion],
                   results: Sequence[Classification]) -> EngineFigures:
    pairs = list(zip(questions, results, strict=True))
    affairs = [(q, r) for q, r in pairs if q.intent == AFFAIRS]
    n = len(affairs) or 1
    predicted = [(q, r) for q, r in pairs if r.intent == FALLBACK]
    return EngineFigures(
        affairs=len(affairs),
        top1=sum(engine_top(r, 1) == [q.item] for q, r in affairs) / n,
        top3=sum(q.item in engine_top(r, 3) for q, r in affairs) / n,
        direct=sum(r.intent == AFFAIRS and r.item is not None and r.item == q.item
                   for q, r in affairs) / n,
        clarify=sum(r.clarify for q, r in affairs) / n,
        wrong_direct=sum(r.item is not None and r.item != q.item for q, r in affairs) / n,
        fallback_predicted=len(predicted),
        fallback_labelled=sum(q.intent == FALLBACK for q in questions),
        fallback_correct=sum(q.intent == FALLBACK for q, _ in predicted),
        oos_answered=sum(q.intent == FALLBACK and Outcome(q, r).wrong_direct for q, r in pairs),
    )


def run_engine(engine: IntentEngine, data: DataSet,
               repeat: int) -> tuple[EngineFigures, Latency]:
    """Warm-up pass (whose answers give the accuracy), then the timed passes."""
    results = [engine.classify(q.text, q.today) for q in data.questions]
    today = {q.text: q.today for q in data.questions}

    def call(text: str) -> Classification:
        return engine.classify(text, today[text])

    latency = time_queries(call, [q.text for q in data.questions], repeat)
    return engine_figures(data.questions, results), latency


FOLDS = 5


def cross_validated(phrasebook: Phrasebook, data: DataSet) -> EngineFigures:
    """The dev set's figures with each fifth of its questions (by a hash of the text) left out
    of asked.toml while it is classified: how the residents' questions help on questions they
    do not hold."""
    def fold(text: str) -> int:
        return zlib.crc32(text.encode("utf-8")) % FOLDS

    results: dict[int, Classification] = {}
    for n in range(FOLDS):
        engine = IntentEngine(dataclasses.replace(phrasebook, asked=tuple(
            pair for pair in phrasebook.asked if fold(pair[1]) != n)))
        for i, q in enumerate(data.questions):
            if fold(q.text) == n:
                results[i] = engine.classify(q.text, q.today)
    return engine_figures(data.questions, [results[i] for i in range(len(data.questions))])


# -- baselines -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Baseline:
    """A retrieval baseline: text in, ranked item ids out."""

    name: str
    top1: Callable[[str], str | None]
    top3: Callable[[str], list[str]]


def rapidfuzz_baseline(ids: Sequence[str], names: Sequence[str]) -> Baseline:
    choices = [name.lower() for name in names]

    def top1(text: str) -> str | None:
        best = process.extractOne(text.lower(), choices, scorer=fuzz.WRatio)
        return ids[best[2]] if best is not None else None

    def top3(text: str) -> list[str]:
        return [ids[index] for _, _, index in
                process.extract(text.lower(), choices, scorer=fuzz.WRatio, limit=3)]

    return Baseline("rapidfuzz WRatio, names", top1, top3)


Scores = np.ndarray[tuple[int], np.dtype[np.float64]]


def ranked_baseline(name: str, ids: Sequence[str], scores: Callable[[str], Scores]) -> Baseline:
    """A baseline that scores every item: top-1 is the best, top-3 the three best."""

    def top1(text: str) -> str | None:
        return ids[int(np.argmax(scores(text)))]

    def top3(text: str) -> list[str]:
        order = np.argsort(-scores(text), kind="stable")[:3]
        return [ids[int(i)] for i in order]

    return Baseline(name, top1, top3)


def tfidf_baseline(ids: Sequence[str], documents: Sequence[str]) -> Baseline:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3))
    matrix = vectorizer.fit_transform([d.lower() for d in documents])  # rows are L2-normalised

    def scores(text: str) -> Scores:
        result: Scores = linear_kernel(vectorizer.transform([text.lower()]), matrix).ravel()
        return result

    return ranked_baseline("TF-IDF char_wb 1-3, cosine", ids, scores)


def jieba_tokens(text: str) -> list[str]:
    return [t for t in jieba.lcut(text) if t.strip()]


def bm25_baseline(ids: Sequence[str], documents: Sequence[str]) -> Baseline:
    bm25 = BM25Okapi([jieba_tokens(d.lower()) for d in documents])

    def scores(text: str) -> Scores:
        result: Scores = np.asarray(bm25.get_scores(jieba_tokens(text.lower())),
                                    dtype=np.float64)
        return result

    return ranked_baseline("BM25Okapi, jieba tokens", ids, scores)


def build_baselines(knowledge: Knowledge) -> list[Baseline]:
    ids = [item.id for item in knowledge.items]
    names = [item.name for item in knowledge.items]
    documents = [" ".join((item.name, *item.aliases)) for item in knowledge.items]
    return [rapidfuzz_baseline(ids, names), tfidf_baseline(ids, documents),
            bm25_baseline(ids, documents)]


def run_baseline(baseline: Baseline, data: DataSet,
                 repeat: int) -> tuple[float, float, Latency]:
    """Top-1 and top-3 on affairs questions (also the warm-up), then the timed passes."""
    affairs = data.affairs
    n = len(affairs) or 1
    top1 = sum(baseline.top1(q.text) == q.item for q in affairs) / n
    top3 = sum(q.item in baseline.top3(q.text) for q in affairs) / n
    texts = [q.text for q in data.questions]
    for text in texts:  # warm-up over all questions, as timed
        baseline.top1(text)
    return top1, top3, time_queries(baseline.top1, texts, repeat)


# -- cold start and memory ---------------------------------------------------------------------
@dataclass(frozen=True)
class ColdStart:
    seconds: float
    detail: dict[str, object]


def cold_start() -> ColdStart:
    """Interpreter start to the first answer line, in a fresh subprocess run from the root."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", COLD_START_CODE], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             encoding="utf-8")
    assert child.stdout is not None
    line = child.stdout.readline()
    seconds = time.perf_counter() - start
    _, errors = child.communicate()
    if child.returncode != 0 or not line.strip():
        return ColdStart(math.nan, {"error": (errors.strip().splitlines() or ["?"])[-1]})
    detail: dict[str, object] = json.loads(line)
    return ColdStart(seconds, detail)


def peak_rss_mib() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# -- output ----------------------------------------------------------------------------------
def pct(value: float) -> str:
    return "    n/a" if math.isnan(value) else f"{value:7.1%}"


HEADER = (f"{'method':<32} {'top-1':>7} {'top-3':>7} {'direct':>7} {'clarify':>7} "
          f"{'wrong':>7} {'p50 us':>9} {'p99 us':>9} {'q/s':>9}")
DASH = "      -"


def row(name: str, top1: float, top3: float, direct: float | None, clarify: float | None,
        wrong: float | None, latency: Latency | None) -> str:
    extra = " ".join(DASH if v is None else pct(v) for v in (direct, clarify, wrong))
    timed = (f"{latency.p50:>9.0f} {latency.p99:>9.0f} {latency.qps:>9.0f}" if latency
             else f"{'-':>9} {'-':>9} {'-':>9}")
    return f"{name:<32} {pct(top1)} {pct(top3)} {extra} {timed}"


def oos_line(name: str, figures: EngineFigures) -> str:
    return (f"  {name}: fallback precision {pct(figures.oos_precision).strip()} "
            f"({figures.fallback_correct}/{figures.fallback_predicted} predicted), "
            f"recall {pct(figures.oos_recall).strip()} "
            f"({figures.fallback_correct}/{figures.fallback_labelled} labelled); "
            f"answered directly (wrong) {figures.oos_answered}/{figures.fallback_labelled}")


def emit(line: str = "") -> None:
    print(line, flush=True)


# -- main ------------------------------------------------------------------------------------
def read_sets(paths: Sequence[str] | None) -> list[DataSet]:
    if not paths:
        return [DataSet(label, path, read_questions(path))
                for label, path in DEFAULT_SETS if path.exists()]
    known = {path.resolve(): label for label, path in DEFAULT_SETS}
    sets = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise SystemExit(f"no such question file: {path}")
        sets.append(DataSet(known.get(path.resolve(), path.stem), path, read_questions(path)))
    return sets


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", action="append", metavar="FILE",
                        help="labelled JSON-lines question file (repeatable); default: the "
                             "held-out and dev sets")
    parser.add_argument("--repeat", type=int, default=3, metavar="N",
                        help="timed passes over each question set (default 3)")
    parser.add_argument("--taipei", type=Path, default=TAIPEI_XML, metavar="XML",
                        help="Taipei municipal FAQ XML for the scaling row")
    args = parser.parse_args(argv)
    repeat = max(1, int(args.repeat))
    sets = read_sets(args.data)
    if not sets:
        raise SystemExit("no question files found")

    emit(f"Yizhan intent benchmark: python {platform.python_version()}, {repeat} timed passes "
         f"after one warm-up pass, each query timed with perf_counter_ns")

    # Cold start first, while this process is still idle.
    colds = [cold_start() for _ in range(2)]

    knowledge = load_knowledge(ROOT / "knowledge")
    phrasebook = build_phrasebook(knowledge)
    start = time.perf_counter()
    engine = IntentEngine(phrasebook)
    base_build = time.perf_counter() - start

    extra = taipei_entries(args.taipei)
    start = time.perf_counter()
    scaled_book: Phrasebook = dataclasses.replace(
        phrasebook, entries=(*phrasebook.entries, *extra))
    scaled = IntentEngine(scaled_book)
    scaled_build = time.perf_counter() - start
    unasked = IntentEngine(dataclasses.replace(phrasebook, asked=()))
    rss_engines = peak_rss_mib()

    baselines = build_baselines(knowledge)
    n_base, n_scaled = len(phrasebook.entries), len(scaled_book.entries)
    emit(f"knowledge: {len(knowledge.items)} affairs items, {n_base} phrasebook entries; "
         f"with Taipei FAQ: {n_scaled} entries (+{len(extra)})")
    emit("top-1/top-3/direct/clarify/wrong: affairs questions only (wrong = direct answer with "
         "the wrong item);")
    emit("latency: all questions of the set; baselines timed on their top-1 call; "
         "q/s = 1 / mean latency")

    growth: list[tuple[str, Latency, Latency]] = []
    for data in sets:
        emit()
        emit(f"== {data.label}: {data.path} -- {len(data.questions)} questions, "
             f"{len(data.affairs)} affairs, "
             f"{sum(q.intent == FALLBACK for q in data.questions)} out of scope ==")
        emit(HEADER)
        base_figs, base_lat = run_engine(engine, data, repeat)
        emit(row(f"engine ({n_base} entries)", base_figs.top1, base_figs.top3, base_figs.direct,
                 base_figs.clarify, base_figs.wrong_direct, base_lat))
        scaled_figs, scaled_lat = run_engine(scaled, data, repeat)
        emit(row(f"engine + Taipei ({n_scaled} entries)", scaled_figs.top1, scaled_figs.top3,
                 scaled_figs.direct, scaled_figs.clarify, scaled_figs.wrong_direct,
                 scaled_lat))
        unasked_figs, unasked_lat = run_engine(unasked, data, 1)
        emit(row("engine without asked.toml", unasked_figs.top1, unasked_figs.top3,
                 unasked_figs.direct, unasked_figs.clarify, unasked_figs.wrong_direct,
                 unasked_lat))
        if data.label == "dev":   # asked.toml holds the dev set's questions: cross-validate
            folds = cross_validated(phrasebook, data)
            emit(row(f"engine, asked.toml {FOLDS}-fold", folds.top1, folds.top3, folds.direct,
                     folds.clarify, folds.wrong_direct, None))
        for baseline in baselines:
            top1, top3, latency = run_baseline(baseline, data, repeat)
            emit(row(baseline.name, top1, top3, None, None, None, latency))
        emit("out of scope (all questions):")
        emit(oos_line(f"engine ({n_base})", base_figs))
        emit(oos_line(f"engine + Taipei ({n_scaled})", scaled_figs))
        growth.append((data.label, base_lat, scaled_lat))

    emit()
    emit(f"== scaling: {n_base} -> {n_scaled} entries ==")
    emit(f"engine build: {base_build:.2f} s ({n_base} entries), {scaled_build:.2f} s "
         f"({n_scaled} entries, x{scaled_build / base_build:.1f})")
    for label, base_lat, scaled_lat in growth:
        emit(f"latency growth on {label}: p50 x{scaled_lat.p50 / base_lat.p50:.2f}, "
             f"p99 x{scaled_lat.p99 / base_lat.p99:.2f}, "
             f"mean x{scaled_lat.mean_us / base_lat.mean_us:.2f}")
    sample = taipei_sample(extra, TAIPEI_SAMPLE)
    results = [scaled.classify(e.label, DEFAULT_TODAY) for e in sample]
    own1 = sum(r.intent == FAQ and (r.item or (r.candidates[0].item if r.candidates else None))
               == e.ref for e, r in zip(sample, results, strict=True))
    own3 = sum(r.intent == FAQ and e.ref in [c.item for c in r.candidates[:3]]
               for e, r in zip(sample, results, strict=True))
    direct = sum(r.item == e.ref for e, r in zip(sample, results, strict=True))
    titles = time_queries(lambda text: scaled.classify(text, DEFAULT_TODAY),
                          [e.label for e in sample], repeat)
    emit(f"Taipei titles ({len(sample)} with unique titles, evenly spread, Traditional Chinese) "
         f"through the {n_scaled}-entry engine:")
    emit(f"  own entry top-1 {own1}/{len(sample)}, top-3 {own3}/{len(sample)}, "
         f"answered directly {direct}/{len(sample)}; "
         f"p50 {titles.p50:.0f} us, p99 {titles.p99:.0f} us, {titles.qps:.0f} q/s")

    emit()
    emit("== cold start: python -c (import, load_knowledge, build_phrasebook, IntentEngine, "
         f"classify({COLD_QUESTION!r})) ==")
    for number, cold in enumerate(colds, start=1):
        if math.isnan(cold.seconds):
            emit(f"run {number}: failed: {cold.detail.get('error')}")
            continue
        d = cold.detail
        parts = ", ".join(f"{key} {float(str(d[key])):.2f}"
                          for key in ("import", "load", "phrasebook", "engine", "classify"))
        emit(f"run {number}: {cold.seconds:.2f} s to first answer ({parts}; "
             f"answer {d.get('intent')} {d.get('item')})")

    emit()
    emit("== memory ==")
    emit(f"peak RSS after building both engines: {rss_engines:.0f} MiB; "
         f"at the end of the run: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
