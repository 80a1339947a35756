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
from operator import itemgetter
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from intents.chargrams import CharGramIndex
from intents.dates import parse_date, parse_meal
from intents.normalise import HomophoneCorrector, NormalisedText, TextNormaliser
from intents.phrasebook import Phrasebook
from intents.tokens import DomainTokenizer

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z]")
# "梅园小区助餐点" is also called "梅园".
_POINT_SUFFIX = re.compile(r"(睦邻点)?(助餐点|吃饭点)$|(小区|新村|公寓)$")
_FOOD = ("饭", "吃", "菜", "餐", "有什么", "有啥", "鱼", "肉", "面", "饺子", "馄饨", "粥", "包子")

SHORTLIST = 12          # entries kept per message
CANDIDATES = 12         # entries scored in full (the best by character n-gram cosine)
WINDOW = 10             # content words per part of a long message
REPORT_WITHOUT_CUE = 0.05  # extra score a report needs when it has no problem word
EXACT_ALIAS = 0.95      # recall of a name or alias the message contains (nearly) whole
FUZZY_TOP = 6           # entries re-scored with rapidfuzz
GRAM_SIZES = (1, 2)     # character n-grams of the cosine signal
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


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """One regex finding any of the words (never matching when there are none)."""
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered) if ordered else r"(?!x)x")


@dataclass(frozen=True)
class EngineSettings:
    """Thresholds deciding answer / clarify / fallback."""

    answer_threshold: float = 0.35
    answer_margin: float = 0.12
    clarify_threshold: float = 0.25
    clarify_choices: int = 3
    # A clear lead also answers: a lower score, but far ahead of the runner-up.
    lead_threshold: float = 0.15
    lead_margin: float = 0.25
    # How the three signals add up to a score (tuned on the dev set: bench/tune_engine.py).
    weight_recall: float = 0.0
    weight_coverage: float = 0.35
    weight_fuzzy: float = 0.05
    weight_cosine: float = 0.6
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
    denominator: float = 1.0


@dataclass(frozen=True)
class _Token:
    text: str
    weight: float
    bigrams: tuple[str, ...]
    action: bool


@dataclass
class _Scored:
    entry: int
    recall: float
    phrase: int
    coverage: float = 0.0
    fuzzy: float = 0.0
    cosine: float = 0.0
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
    entry_phrases: dict[int, list[int]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)   # idf x shape of each feature


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
        # A message that is exactly a name or alias (after normalisation) is that entry.
        exact: dict[str, int] = {}
        clashes: set[str] = set()
        for entry_no, entry in enumerate(self.entries):
            for phrase in entry.phrases:
                key = self._compact(self.normaliser.normalise(phrase).core)
                if key in exact and exact[key] != entry_no:
                    clashes.add(key)
                exact.setdefault(key, entry_no)
        self._exact = {k: v for k, v in exact.items() if k not in clashes and k}
        self._grams = CharGramIndex(phrase_texts, GRAM_SIZES)
        self._greetings = self._word_list(base, phrasebook.greetings)
        self._fillers = self._word_list(base, phrasebook.fillers)
        self._handoff = self._word_list(base, phrasebook.handoff)
        self._wish = self._word_list(base, phrasebook.wish_cues)
        self._menu = self._word_list(base, phrasebook.menu_words)
        self._report_cues = self._word_list(base, phrasebook.report_cues)
        self._affairs_cues = self._word_list(base, phrasebook.affairs_cues)
        self._actions = frozenset(self._affairs_cues)
        self._handoff_re = _alternation(self._handoff)
        self._report_re = _alternation(self._report_cues)
        # Single characters (开, 查) hide inside other words (开门): only longer cues count here.
        self._affairs_re = _alternation(w for w in self._affairs_cues if len(w) >= 2)
        self._menu_re = _alternation(self._menu)
        self._wish_re = _alternation(self._wish)
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
            phrase.weight = math.fsum(index.idf[f] * self._shape(f) for f in phrase.features)
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
        index.weights = {f: v * self._shape(f) for f, v in index.idf.items()}
        for phrase_no, phrase in enumerate(index.phrases):
            index.entry_phrases.setdefault(phrase.entry, []).append(phrase_no)
            phrase.denominator = max(phrase.weight, index.min_phrase_weight)
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
        if self._handoff_re.search(clean):
            return Classification(text, HANDOFF, score=1.0, normalised=core)
        if not _HAS_CJK.search(core):
            return Classification(text, FALLBACK, normalised=core)

        exact = self._exact.get(core)
        if exact is not None:
            return self._exactly(text, core, exact)
        ranked = self._rank(norm.core)
        answerable = [s for s in ranked if self.entries[s.entry].intent != REPORT]
        top_answer = answerable[0].score if answerable else 0.0
        report_best = next((s for s in ranked if self.entries[s.entry].intent == REPORT), None)
        report_score = report_best.score if report_best else 0.0
        has_report_cue = bool(self._report_re.search(core))
        has_affairs_cue = bool(self._affairs_re.search(core))
        settings = self.settings
        strong_answer = top_answer >= settings.answer_threshold

        point = next((pid for name, pid in self._points if name in core), None)
        date, meal = parse_date(core, today), parse_meal(core)
        menu_signal = bool(self._menu_re.search(core)) or (
            point is not None and (date is not None or meal is not None
                                   or any(w in core for w in _FOOD))) or (
            date is not None and meal is not None and any(w in core for w in _FOOD))
        named = bool(answerable) and answerable[0].recall >= EXACT_ALIAS and strong_answer
        if menu_signal and not (strong_answer and has_affairs_cue) and not named:
            return self._menu_answer(text, core, today, point)
        if self._wish_re.search(core) and not strong_answer and \
                report_score < settings.answer_threshold:
            return Classification(text, WISH, score=1.0, normalised=core)
        # Without a problem word ("坏了", "漏") a report needs a strong match of its own words:
        # a bare "3楼" is not a report.
        report_bar = settings.clarify_threshold + (0.0 if has_report_cue else REPORT_WITHOUT_CUE)
        if report_best is not None and report_score >= report_bar and (
                report_score >= top_answer or (has_report_cue and not strong_answer)):
            return Classification(text, REPORT, category=self.entries[report_best.entry].ref,
                                  score=report_score, normalised=core)
        if has_report_cue and top_answer < settings.clarify_threshold:
            return Classification(text, REPORT, score=0.5, normalised=core)
        return self._decide(text, core, answerable)

    def _exactly(self, text: str, core: str, entry_no: int) -> Classification:
        """A message that is exactly one entry's name or alias."""
        entry = self.entries[entry_no]
        if entry.intent == REPORT:
            return Classification(text, REPORT, category=entry.ref, score=1.0, normalised=core)
        others = [s for s in self._rank(core) if s.entry != entry_no
                  and self.entries[s.entry].intent == entry.intent]
        candidates = (Candidate(entry.ref, 1.0, entry.intent, entry.label), *(
            Candidate(self.entries[s.entry].ref, s.score, self.entries[s.entry].intent,
                      self.entries[s.entry].label) for s in others))
        return Classification(text, entry.intent, item=entry.ref, score=1.0,
                              candidates=candidates[:max(3, self.settings.clarify_choices)],
                              normalised=core)

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
        """Entries scored against the message: best alias recall, coverage, fuzzy similarity."""
        core = self._compact(spaced)
        index = self._index
        query_tokens = [t for t in self.tokenizer.tokens(core) if t not in self._stop]
        features = set(query_tokens)
        for run in _CJK_RUN.findall(core):
            features.update(run[i:i + 2] for i in range(len(run) - 1))
        # Candidates: the entries most similar by character n-grams.
        cosines = self._grams.cosine(core)
        ranked = sorted(cosines.items(), key=itemgetter(1), reverse=True)[:CANDIDATES]
        shortlist = [_Scored(entry, 0.0, index.entry_phrases[entry][0], cosine=cosine)
                     for entry, cosine in ranked if entry in index.entry_phrases]
        need_recall = self.settings.weight_recall > 0
        for scored in shortlist if need_recall else ():
            self._recall(scored, features)
        content: list[_Token] = []
        positions: dict[str, list[int]] = defaultdict(list)
        composites: list[int] = []
        for t in query_tokens:
            if _LATIN.fullmatch(t):
                continue
            bigrams = tuple(t[i:i + 2] for i in range(len(t) - 1)) if len(t) >= 3 else ()
            if bigrams and all(b in index.idf for b in bigrams):
                composites.append(len(content))
            positions[t].append(len(content))
            content.append(_Token(t, index.idf.get(t, index.unknown_idf) * self._shape(t),
                                  bigrams, t in self._actions))
        for scored in shortlist:
            scored.coverage = self._coverage(scored.entry, content, positions, composites)
            scored.score = self.combine(scored, self.entries[scored.entry].intent)
        shortlist.sort(key=lambda s: (-s.score, s.entry))
        shortlist = shortlist[:SHORTLIST]
        for scored in shortlist[:FUZZY_TOP]:
            if not need_recall:
                self._recall(scored, features)  # finds the alias to compare with rapidfuzz
            scored.fuzzy = fuzz.partial_ratio(index.phrases[scored.phrase].text, core) / 100.0
            scored.score = self.combine(scored, self.entries[scored.entry].intent)
        shortlist.sort(key=lambda s: (-s.score, s.entry))
        return shortlist

    def _recall(self, scored: _Scored, features: set[str]) -> None:
        """The entry's best-matching phrase and how much of it the message contains."""
        index = self._index
        weight_of = index.weights.__getitem__
        for p in index.entry_phrases[scored.entry]:
            phrase = index.phrases[p]
            common = phrase.features & features
            if common:
                value = math.fsum(map(weight_of, common)) / phrase.denominator
                if value > scored.recall:
                    scored.recall, scored.phrase = value, p

    def _coverage(self, entry: int, content: list[_Token], positions: dict[str, list[int]],
                  composites: list[int]) -> float:
        """How much of the message's content (IDF-weighted) the entry's phrases explain.

        A long, rambling message is also judged part by part (windows of content words), since
        the question may be buried in the middle of it; the best part counts.
        """
        tf = self._index.doc_tf[entry]
        n = len(content)
        gains = [0.0] * n
        topical = [False] * n
        for text in tf.keys() & positions.keys():
            gain = CENTRAL_FLOOR + (1 - CENTRAL_FLOOR) * min(1.0, tf[text] * CENTRAL_SATURATION)
            for i in positions[text]:
                gains[i] = content[i].weight * gain
                topical[i] = not content[i].action
        for i in composites:  # a word made of the entry's bigrams (残疾人证 = 残疾+疾人+人证)
            shares = [tf.get(b) for b in content[i].bigrams]
            if gains[i] == 0.0 and None not in shares:
                share = min(x for x in shares if x is not None)
                gains[i] = content[i].weight * (CENTRAL_FLOOR + (1 - CENTRAL_FLOOR) * min(
                    1.0, share * CENTRAL_SATURATION))
                topical[i] = not content[i].action
        weights = [t.weight for t in content]
        spans = [(0, len(content))]
        if len(content) > WINDOW:
            step = WINDOW // 2
            spans += [(i, min(i + WINDOW, len(content))) for i in range(0, len(content) - step,
                                                                       step)]
        best = 0.0
        for start, end in spans:
            total = sum(weights[start:end]) or 1.0
            value = sum(gains[start:end]) / total
            if not any(topical[start:end]):
                # Only action words matched ("手机丢了怎么挂失"): not this entry's topic.
                value *= TOPICLESS
            best = max(best, value)
        return best

    def combine(self, s: _Scored, intent: str) -> float:
        """The score of an entry from its signals."""
        w = self.settings
        score = (w.weight_recall * s.recall + w.weight_coverage * s.coverage
                 + w.weight_fuzzy * s.fuzzy + w.weight_cosine * s.cosine)
        # Station FAQs are generic ("要带什么"): a named item should win over them.
        return score * w.faq_weight if intent == FAQ else score

    def rank(self, text: str) -> tuple[Candidate, ...]:
        """Every shortlisted entry scored, best first, without the exact-alias shortcut."""
        ranked = self._rank(self.normaliser.normalise(text[:2000]).core)
        return tuple(Candidate(self.entries[s.entry].ref, s.score, self.entries[s.entry].intent,
                               self.entries[s.entry].label) for s in ranked)

    def signals(self, text: str) -> list[tuple[str, str, float, float, float, float]]:
        """(entry key, intent, recall, coverage, fuzzy, cosine) of the shortlist, for tuning."""
        ranked = self._rank(self.normaliser.normalise(text[:2000]).core)
        return [(self.entries[s.entry].key, self.entries[s.entry].intent, s.recall, s.coverage,
                 s.fuzzy, s.cosine) for s in ranked]

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
