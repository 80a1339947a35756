"""The intent engine: a pure, synchronous classifier over the station's knowledge.

Scoring, for each entry (affairs item, FAQ, report category):
- recall: how much of the entry's best-matching phrase (name or alias) the message contains,
  over jieba tokens and in-word character bigrams weighted by rarity (IDF);
- fuzzy: rapidfuzz's partial ratio of that phrase against the message (typos, word order);
- coverage: how much of the message's own content the entry explains (near-misses such as
  "低保真音箱" share a word with an item but are mostly about something else).
The best entries' scores and their margin decide between answering, clarifying and falling back.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from intents.dates import parse_date, parse_meal
from intents.normalise import HomophoneCorrector, NormalisedText, TextNormaliser
from intents.phrasebook import Entry, Phrasebook
from intents.tokens import DomainTokenizer

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z]")
# "梅园小区助餐点" is also called "梅园".
_POINT_SUFFIX = re.compile(r"(睦邻点)?(助餐点|吃饭点)$|(小区|新村|公寓)$")
_FOOD = ("饭", "吃", "菜", "餐", "有什么", "有啥", "鱼", "肉", "面", "饺子", "馄饨", "粥", "包子")

SHORTLIST = 12          # entries kept per message
LONG_MESSAGE = 24       # characters; longer messages are also scored part by part
WINDOW = 16             # characters per part when a long message has no punctuation
MAX_WINDOWS = 12
# A word that appears in few of an entry's phrases still counts, but less than a central one.
CENTRAL_FLOOR = 0.5
CENTRAL_SATURATION = 3.0
TOPICLESS = 0.4

AFFAIRS, FAQ, REPORT = "affairs.ask", "faq.ask", "report.new"
MENU, WISH, GREETING, HANDOFF, FALLBACK = ("menu.ask", "wish.new", "greeting", "handoff",
                                           "fallback")

_MENU_TOPICS = (
    ("delivery", ("送餐", "送饭", "送上门", "上门送", "送到家", "配送")),
    ("price", ("多少钱", "几块", "几元", "价格", "价钱", "收费", "贵不贵", "饭钱", "补贴", "优惠")),
    ("hours", ("几点", "时间", "开门", "关门", "营业", "开饭", "什么时候", "开不开", "开吗")),
    ("points", ("在哪", "地址", "哪里有", "怎么走", "哪几个", "助餐点有", "近的")),
)


@dataclass(frozen=True)
class EngineSettings:
    """Thresholds deciding answer / clarify / fallback."""

    answer_threshold: float = 0.4
    answer_margin: float = 0.16
    clarify_threshold: float = 0.35
    clarify_choices: int = 3
    # A clear lead also answers: a lower score, but far ahead of the runner-up.
    lead_threshold: float = 0.4
    lead_margin: float = 0.2
    # How the three signals add up to a score (tuned on the dev set: bench/tune_engine.py).
    weight_recall: float = 0.25
    weight_coverage: float = 0.65
    weight_fuzzy: float = 0.1
    faq_weight: float = 0.7


@dataclass(frozen=True)
class Candidate:
    """One scored possibility."""

    item: str
    score: float
    intent: str
    label: str


@dataclass(frozen=True)
class Classification:
    """What a message is about. `item` is None when the engine clarifies or falls back."""

    text: str
    intent: str
    item: str | None = None
    category: str | None = None
    date: dt.date | None = None
    meal: str | None = None
    meal_point: str | None = None
    topic: str | None = None
    clarify: bool = False
    score: float = 0.0
    candidates: tuple[Candidate, ...] = ()
    normalised: str = ""

    def as_json(self) -> dict[str, Any]:
        """The `yizhan classify` contract."""
        return {
            "text": self.text,
            "intent": self.intent,
            "item": self.item,
            "category": self.category,
            "date": self.date.isoformat() if self.date else None,
            "meal": self.meal,
            "meal_point": self.meal_point,
            "clarify": self.clarify,
            "score": round(self.score, 4),
            "candidates": [{"item": c.item, "score": round(c.score, 4)}
                           for c in self.candidates],
        }


@dataclass
class _Phrase:
    entry: int
    text: str
    features: frozenset[str]
    weight: float = 0.0


@dataclass
class _Scored:
    entry: int
    recall: float
    phrase: int
    coverage: float = 0.0
    fuzzy: float = 0.0
    score: float = 0.0


@dataclass
class _Index:
    phrases: list[_Phrase] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    idf: dict[str, float] = field(default_factory=dict)
    doc_features: list[frozenset[str]] = field(default_factory=list)
    doc_tf: list[dict[str, float]] = field(default_factory=list)
    unknown_idf: float = 1.0
    min_phrase_weight: float = 1.0


class IntentEngine:
    """Text in, scored matches out. Build once; `classify` is pure and fast."""

    def __init__(self, phrasebook: Phrasebook, settings: EngineSettings | None = None,
                 cache_dir: Path | None = None) -> None:
        self.settings = settings or EngineSettings()
        self.phrasebook = phrasebook
        self.entries = phrasebook.entries
        base = TextNormaliser(phrasebook.fillers, phrasebook.homophones)
        phrase_texts = [[self._compact(base.basic(p)) for p in e.phrases] for e in self.entries]
        terms = {p for texts in phrase_texts for p in texts if 2 <= len(p) <= 5}
        terms |= {self._compact(base.basic(w)) for w in (
            *phrasebook.menu_words, *phrasebook.wish_cues, *phrasebook.report_cues,
            *(name for _, names in phrasebook.meal_points for name in names))
                  if len(w) >= 2}
        self.tokenizer = DomainTokenizer(terms, (p for texts in phrase_texts for p in texts),
                                         cache_dir)
        blob = "|".join(p for texts in phrase_texts for p in texts)
        vocabulary = {p for texts in phrase_texts for p in texts if 2 <= len(p) <= 5}
        vocabulary |= {t for t in self.tokenizer.terms if t in blob}
        for texts in phrase_texts:
            for text in texts:
                vocabulary.update(t for t in self.tokenizer.tokens(text) if len(t) >= 2)
        known = [p for texts in phrase_texts for p in texts]
        known += [self._compact(base.basic(name)) for _, names in phrasebook.meal_points
                  for name in names]
        self.normaliser = base.with_corrector(HomophoneCorrector(
            vocabulary, self.tokenizer.general_frequency, self.tokenizer.words, known))
        self._stop = frozenset(self._compact(base.basic(w)) for w in phrasebook.stopwords)
        self._index = self._build_index(phrase_texts)
        self._greetings = self._word_list(base, phrasebook.greetings)
        self._fillers = self._word_list(base, phrasebook.fillers)
        self._handoff = self._word_list(base, phrasebook.handoff)
        self._wish = self._word_list(base, phrasebook.wish_cues)
        self._menu = self._word_list(base, phrasebook.menu_words)
        self._report_cues = self._word_list(base, phrasebook.report_cues)
        self._affairs_cues = self._word_list(base, phrasebook.affairs_cues)
        self._actions = frozenset(self._affairs_cues)
        point_names = {(self._compact(base.basic(name)), point_id)
                       for point_id, names in phrasebook.meal_points for name in names}
        for point_id, names in phrasebook.meal_points:  # 梅园小区助餐点 -> 梅园小区 -> 梅园
            short = self._compact(base.basic(names[0]))
            while (shorter := _POINT_SUFFIX.sub("", short)) != short and len(shorter) >= 2:
                short = shorter
                point_names.add((short, point_id))
        self._points = sorted(point_names, key=lambda pair: len(pair[0]), reverse=True)

    # -- building ---------------------------------------------------------------------------
    @staticmethod
    def _compact(text: str) -> str:
        return text.replace(" ", "")

    @staticmethod
    def _word_list(normaliser: TextNormaliser, words: Iterable[str]) -> tuple[str, ...]:
        out = {normaliser.basic(w).replace(" ", "") for w in words}
        return tuple(sorted((w for w in out if w), key=len, reverse=True))

    def _features(self, text: str) -> set[str]:
        """Content tokens plus the character bigrams inside them."""
        features: set[str] = set()
        for token in self.tokenizer.tokens(text):
            if token in self._stop or not token.strip():
                continue
            features.add(token)
            if len(token) >= 3:
                features.update(token[i:i + 2] for i in range(len(token) - 1))
        return features

    def _build_index(self, phrase_texts: list[list[str]]) -> _Index:
        index = _Index()
        docs: list[set[str]] = []
        for entry_no, texts in enumerate(phrase_texts):
            doc: set[str] = set()
            for text in texts:
                features = frozenset(self._features(text))
                if not features:
                    continue
                index.phrases.append(_Phrase(entry_no, text, features))
                doc |= features
            docs.append(doc)
        n = len(docs)
        df: dict[str, int] = defaultdict(int)
        for doc in docs:
            for feature in doc:
                df[feature] += 1
        index.idf = {f: math.log(1 + n / d) for f, d in df.items()}
        index.unknown_idf = math.log(1 + n)
        for phrase_no, phrase in enumerate(index.phrases):
            phrase.weight = sum(index.idf[f] * self._shape(f) for f in phrase.features)
            for feature in phrase.features:
                index.postings[feature].append(phrase_no)
        index.doc_features = [frozenset(d) for d in docs]
        phrase_counts: list[dict[str, int]] = [defaultdict(int) for _ in docs]
        phrases_per_entry = [0] * len(docs)
        for phrase in index.phrases:
            phrases_per_entry[phrase.entry] += 1
            for feature in phrase.features:
                phrase_counts[phrase.entry][feature] += 1
        index.doc_tf = [{f: c / max(phrases_per_entry[e], 1) for f, c in counts.items()}
                        for e, counts in enumerate(phrase_counts)]
        # A phrase with almost no content of its own ("在哪里") must not match fully on one
        # common character: recall is measured against at least one rare word's weight.
        word_idfs = sorted(v for f, v in index.idf.items() if len(f) >= 2)
        index.min_phrase_weight = word_idfs[len(word_idfs) // 2] if word_idfs else 1.0
        return index

    @staticmethod
    def _shape(feature: str) -> float:
        """Whole words count more than single characters."""
        return 0.35 if len(feature) == 1 else 1.0

    # -- classifying ------------------------------------------------------------------------
    def classify(self, text: str, today: dt.date | None = None) -> Classification:
        """Classify one message; pure, no I/O."""
        today = today or dt.date.today()
        norm = self.normaliser.normalise(text[:2000])
        core = self._compact(norm.core)
        clean = self._compact(norm.clean)
        if not core and not clean:
            return Classification(text, FALLBACK, normalised="")
        if self._is_greeting(clean):
            return Classification(text, GREETING, score=1.0, normalised=core)
        if any(w in clean for w in self._handoff):
            return Classification(text, HANDOFF, score=1.0, normalised=core)
        if not _HAS_CJK.search(core):
            return Classification(text, FALLBACK, normalised=core)

        ranked = self._rank(norm.core)
        answerable = [s for s in ranked if self.entries[s.entry].intent != REPORT]
        top_answer = answerable[0].score if answerable else 0.0
        report_best = next((s for s in ranked if self.entries[s.entry].intent == REPORT), None)
        report_score = report_best.score if report_best else 0.0
        has_report_cue = any(w in core for w in self._report_cues)
        has_affairs_cue = any(w in core for w in self._affairs_cues)
        settings = self.settings
        strong_answer = top_answer >= settings.answer_threshold

        point = next((pid for name, pid in self._points if name in core), None)
        date, meal = parse_date(core, today), parse_meal(core)
        menu_signal = any(w in core for w in self._menu) or (
            point is not None and (date is not None or meal is not None
                                   or any(w in core for w in _FOOD))) or (
            date is not None and meal is not None and any(w in core for w in _FOOD))
        if menu_signal and not (strong_answer and has_affairs_cue):
            return self._menu_answer(text, core, today, point)
        if any(w in core for w in self._wish) and not strong_answer and \
                report_score < settings.answer_threshold:
            return Classification(text, WISH, score=1.0, normalised=core)
        if report_best is not None and report_score >= settings.clarify_threshold and (
                report_score >= top_answer or (has_report_cue and not strong_answer)):
            return Classification(text, REPORT, category=self.entries[report_best.entry].ref,
                                  score=report_score, normalised=core)
        if has_report_cue and top_answer < settings.clarify_threshold:
            return Classification(text, REPORT, score=0.5, normalised=core)
        return self._decide(text, core, answerable)

    def _is_greeting(self, clean: str) -> bool:
        found = False
        rest = clean
        for word in self._greetings:
            if word in rest:
                found = True
                rest = rest.replace(word, "")
        if not found:
            return False
        for word in self._fillers:
            rest = rest.replace(word, "")
        return not rest.strip()

    def _menu_answer(self, text: str, core: str, today: dt.date,
                     point: str | None) -> Classification:
        topic = next((name for name, words in _MENU_TOPICS if any(w in core for w in words)),
                     "dishes")
        date = parse_date(core, today)
        if date is not None and topic in ("hours", "points"):
            topic = "dishes" if "几点" not in core else topic
        return Classification(text, MENU, date=date, meal=parse_meal(core), meal_point=point,
                              topic=topic, score=1.0, normalised=core)

    def _rank(self, spaced: str) -> list[_Scored]:
        """Entries scored against the whole message and, for a long one, each of its parts."""
        core = self._compact(spaced)
        ranked = {s.entry: s for s in self._rank_text(core)}
        for window in self._windows(spaced, core):
            for scored in self._rank_text(window):
                current = ranked.get(scored.entry)
                if current is None or scored.score > current.score:
                    ranked[scored.entry] = scored
        return sorted(ranked.values(), key=lambda s: s.score, reverse=True)[:SHORTLIST]

    @staticmethod
    def _windows(spaced: str, core: str) -> list[str]:
        """Parts of a long, rambling message where the question may be buried."""
        if len(core) <= LONG_MESSAGE:
            return []
        clauses = [c for c in spaced.split(" ") if c]
        if len(clauses) < 2:
            clauses = [core[i:i + WINDOW] for i in range(0, len(core) - WINDOW // 2, WINDOW // 2)]
        windows = [a + b for a, b in zip(clauses, clauses[1:], strict=False)] + clauses
        return [w for w in windows if len(w) >= 4][:MAX_WINDOWS]

    def _rank_text(self, core: str) -> list[_Scored]:
        index = self._index
        query_tokens = [t for t in self.tokenizer.tokens(core) if t not in self._stop]
        features = set(query_tokens)
        for run in _CJK_RUN.findall(core):
            features.update(run[i:i + 2] for i in range(len(run) - 1))
        matched: dict[int, float] = defaultdict(float)
        for feature in features:
            postings = index.postings.get(feature)
            if postings:
                weight = index.idf[feature] * self._shape(feature)
                for phrase_no in postings:
                    matched[phrase_no] += weight
        best: dict[int, _Scored] = {}
        for phrase_no, weight in matched.items():
            phrase = index.phrases[phrase_no]
            recall = weight / max(phrase.weight, index.min_phrase_weight)
            current = best.get(phrase.entry)
            if current is None or recall > current.recall or (
                    recall == current.recall
                    and len(phrase.text) > len(index.phrases[current.phrase].text)):
                best[phrase.entry] = _Scored(phrase.entry, recall, phrase_no)
        shortlist = sorted(best.values(), key=lambda s: s.recall, reverse=True)[:SHORTLIST * 2]
        content = [(t, index.idf.get(t, index.unknown_idf) * self._shape(t))
                   for t in query_tokens if not _LATIN.fullmatch(t)]
        total = sum(w for _, w in content) or 1.0
        for scored in shortlist:
            tf = index.doc_tf[scored.entry]
            covered = 0.0
            for token, weight in content:
                share = tf.get(token)
                if share is None and len(token) >= 2:
                    parts = [tf.get(token[i:i + 2]) for i in range(len(token) - 1)]
                    share = min(p for p in parts if p is not None) if all(
                        p is not None for p in parts) else None
                if share is not None:
                    covered += weight * (CENTRAL_FLOOR + (1 - CENTRAL_FLOOR) * min(
                        1.0, share * CENTRAL_SATURATION))
            scored.coverage = covered / total
            if not any(token in tf and token not in self._actions for token, _ in content):
                # Only action words matched ("手机丢了怎么挂失"): not about this entry's topic.
                scored.coverage *= TOPICLESS
            phrase_text = index.phrases[scored.phrase].text
            scored.fuzzy = fuzz.partial_ratio(phrase_text, core) / 100.0
            scored.score = self.combine(scored.recall, scored.coverage, scored.fuzzy,
                                        self.entries[scored.entry].intent)
        shortlist.sort(key=lambda s: s.score, reverse=True)
        return shortlist

    def combine(self, recall: float, coverage: float, fuzzy: float, intent: str) -> float:
        """The score of an entry from its three signals."""
        w = self.settings
        score = w.weight_recall * recall + w.weight_coverage * coverage + w.weight_fuzzy * fuzzy
        # Station FAQs are generic ("要带什么"): a named item should win over them.
        return score * w.faq_weight if intent == FAQ else score

    def signals(self, text: str) -> list[tuple[str, str, float, float, float]]:
        """(entry key, intent, recall, coverage, fuzzy) of the shortlist, for tuning tools."""
        return [(self.entries[s.entry].key, self.entries[s.entry].intent, s.recall, s.coverage,
                 s.fuzzy) for s in self._rank(self.normaliser.normalise(text[:2000]).core)]

    def _decide(self, text: str, core: str, ranked: list[_Scored]) -> Classification:
        settings = self.settings
        candidates = tuple(Candidate(self.entries[s.entry].ref, s.score,
                                     self.entries[s.entry].intent, self.entries[s.entry].label)
                           for s in ranked)
        if not ranked or ranked[0].score < settings.clarify_threshold:
            return Classification(text, FALLBACK, score=ranked[0].score if ranked else 0.0,
                                  candidates=candidates[:3], normalised=core)
        top = ranked[0]
        entry = self.entries[top.entry]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        lead = top.score - runner_up
        if (top.score >= settings.answer_threshold and lead >= settings.answer_margin) or (
                top.score >= settings.lead_threshold and lead >= settings.lead_margin):
            return Classification(text, entry.intent, item=entry.ref, score=top.score,
                                  candidates=candidates[:max(3, settings.clarify_choices)],
                                  normalised=core)
        return Classification(text, entry.intent, item=None, clarify=True, score=top.score,
                              candidates=candidates[:max(3, settings.clarify_choices)],
                              normalised=core)

    def explain(self, text: str) -> NormalisedText:
        """The normalised forms of a message (for debugging and `kb eval`)."""
        return self.normaliser.normalise(text)
