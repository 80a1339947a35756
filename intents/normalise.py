"""Text normalisation for residents' messages: width, script, punctuation, fillers, numerals,
pinyin-input homophones."""

from __future__ import annotations

import array
import importlib.util
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import opencc

from intents.recent_readings import RecentReadings

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_KEEP = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_SPACES = re.compile(r"\s+")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_TENS = {"廿": 20, "卅": 30}          # 廿三 is 23 (念三 in Shanghai speech: see `spoken_tens`)
# A Chinese numeral followed by a counter where it is certainly a number.
_NUMERAL = re.compile(
    r"([零〇一二两三四五六七八九十百千廿卅]+)(?=号|楼|层|单元|室|月|日|岁|点|元|块|栋|幢|弄|周|个月|天|年)")
# 念三号楼, 念五号: Shanghai speech writes 廿 (twenty) as 念 before a digit and a counter.
_SPOKEN_TENS = re.compile(r"念(?=[一二三四五六七八九]?(?:号|楼|层|单元|室|栋|幢|弄|岁))")
_WEEKDAY_NUMERAL = re.compile(r"(周|星期|礼拜)([一二三四五六日天])")
# 12/3, 12-3, 2026/12/3 are dates: written out (12月3日) before punctuation goes. Not 3-5个,
# not 9号楼3-201 (a room), not 1/2 of something.
_SLASH_DATE = re.compile(
    r"(?<![\d./\-])(?:(\d{4})[/\-])?(\d{1,2})[/\-](\d{1,2})(?:号|日)?"
    r"(?![\d./\-]|个|天|年|元|块|岁|楼|号|室|单元|层|栋|幢|点|分|人|次|%)")
# Sentence particles: a window holding one is speech, never a domain word misspelt.
_PARTICLES = frozenset("吗呢吧啊呀嘛哦啦么")
_TONES = str.maketrans("", "", "\u0300\u0301\u0304\u030c\u0308")
# Full-width digits, letters and the ideographic space as ASCII; punctuation stays as typed.
_WIDTH = {**{0xFF10 + i: 0x30 + i for i in range(10)},
          **{0xFF21 + i: 0x41 + i for i in range(26)},
          **{0xFF41 + i: 0x61 + i for i in range(26)}, 0x3000: 0x20}


def chinese_numeral_to_int(text: str) -> int | None:
    """二十五 -> 25, 一百零一 -> 101, 九 -> 9; None if it is not a numeral."""
    if not text:
        return None
    if all(ch in _CN_DIGITS for ch in text) and len(text) > 1:  # 一零一 -> 101
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    if text[0] in _CN_TENS:                 # 廿三 -> 23, 卅 -> 30
        total, text = _CN_TENS[text[0]], text[1:]
        if not all(ch in _CN_DIGITS for ch in text) or len(text) > 1:
            return None if text else total
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def _slash_dates(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        month, day = int(match.group(2)), int(match.group(3))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return match.group(0)
        year = f"{match.group(1)}年" if match.group(1) else ""
        return f"{year}{month}月{day}日"

    return _SLASH_DATE.sub(replace, text)


def spoken_tens(text: str) -> str:
    """念三号楼 -> 廿三号楼: 念 for twenty, as Shanghai residents type it."""
    return _SPOKEN_TENS.sub("廿", text)


def _numerals_to_digits(text: str) -> str:
    text = spoken_tens(text)

    def replace(match: re.Match[str]) -> str:
        value = chinese_numeral_to_int(match.group(1))
        return match.group(0) if value is None else str(value)

    return _NUMERAL.sub(replace, text)


class FirstReadings:
    """The first reading, with its tone, of every character pypinyin knows, held compactly:
    one small integer per code point naming one of the 1,500 syllables. pypinyin's own table
    (every reading of 42k characters, as a dict of strings) holds 10 MiB for this."""

    def __init__(self, base: int, ids: array.array[int], syllables: tuple[str, ...]) -> None:
        self._base, self._ids, self._syllables = base, ids, syllables

    @classmethod
    def of_table(cls, table: Mapping[int, str]) -> FirstReadings:
        """From a table of every reading by code point ("zhōng,zhòng")."""
        base, ids, syllables = cls._compacted(table)
        # The syllables are made again once the table is gone, so that none of them keeps the
        # memory the table took from being given back.
        return cls(base, ids, tuple(syllables.decode().split("\n")))

    @staticmethod
    def _compacted(table: Mapping[int, str]) -> tuple[int, array.array[int], bytes]:
        base = min(table, default=0)
        ids = array.array("H", bytes(2 * (max(table, default=0) - base + 1)))
        syllables: dict[str, int] = {"": 0}
        for code, reading in table.items():
            ids[code - base] = syllables.setdefault(reading.split(",", 1)[0], len(syllables))
        return base, ids, "\n".join(syllables).encode()

    def of(self, ch: str) -> str:
        """The character's first reading ('' for one without)."""
        offset = ord(ch) - self._base
        return self._syllables[self._ids[offset]] if 0 <= offset < len(self._ids) else ""


def _pinyin_table() -> Mapping[int, str]:
    """pypinyin's single-character table, loaded from its file without importing the package
    (the package's own import loads its phrase table too: 0.15 s, 40 MiB, never used here)."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("pypinyin is not installed")
    path = f"{next(iter(spec.submodule_search_locations))}/pinyin_dict.py"
    table_spec = importlib.util.spec_from_file_location("yizhan_pinyin_table", path)
    if table_spec is None or table_spec.loader is None:
        raise ImportError(f"cannot read {path}")
    module = importlib.util.module_from_spec(table_spec)
    table_spec.loader.exec_module(module)
    table: Mapping[int, str] = module.pinyin_dict
    module.__dict__.clear()     # no cycle keeps the table alive once the caller lets it go
    return table


@lru_cache(maxsize=1)
def _readings() -> FirstReadings:
    """Each character's first reading (the table itself is let go once read)."""
    return FirstReadings.of_table(_pinyin_table())


@lru_cache(maxsize=65536)
def char_pinyin(ch: str) -> str:
    """Toneless pinyin of a character's first reading ('' for non-Chinese)."""
    first = _readings().of(ch)
    if not first:
        return ""
    return unicodedata.normalize("NFD", first).translate(_TONES).replace("v", "u")


# A character this frequent alone (要, 到, 去) is an everyday word: two of them side by side are
# never a misspelt domain word.
COMMON_CHARACTER = 50_000


def toned_pinyin(ch: str) -> str:
    """Pinyin of a character's first reading with its tone ('' for non-Chinese)."""
    return _readings().of(ch)


def fuzzy_pinyin(syllable: str) -> str:
    """Fold the distinctions southern speakers and pinyin typists blur: zh/z, ch/c, sh/s, -ng/-n."""
    if syllable[:2] in ("zh", "ch", "sh"):
        syllable = syllable[0] + syllable[2:]
    if syllable.endswith("ng") and len(syllable) > 2:
        syllable = syllable[:-1]
    return syllable


@dataclass(frozen=True)
class NormalisedText:
    """A message after normalisation: `clean` keeps every word, `core` drops fillers."""

    original: str
    clean: str
    core: str


class HomophoneCorrector:
    """Replaces pinyin-input homophones of domain words (残急人证 -> 残疾人证, 申岭 -> 申领).

    Only domain jargon is a target (a word the general dictionary hardly knows), only a window
    that is not itself a word is replaced, and never a window that cuts through an everyday word
    of the message (旧衣服 stays, it is not 就医服).
    """

    MAX_LEN = 6

    def __init__(self, vocabulary: Iterable[str], frequency: Callable[[str], int],
                 segment: Callable[[str], list[str]], known_text: Iterable[str] = (),
                 max_target_frequency: int = 3000) -> None:
        exact: dict[tuple[str, ...], str] = {}
        fuzzy: dict[tuple[str, ...], str] = {}
        ambiguous: set[tuple[str, ...]] = set()
        self._vocabulary = frozenset(w for w in vocabulary if 2 <= len(w) <= self.MAX_LEN
                                     and all(_CJK.match(c) for c in w))
        for word in sorted(self._vocabulary):
            if frequency(word) >= max_target_frequency:
                continue
            key = tuple(char_pinyin(c) for c in word)
            if not all(key):
                continue
            if key in exact and exact[key] != word:
                ambiguous.add(key)
            exact[key] = word
            if len(word) >= 3:
                fuzzy.setdefault(tuple(fuzzy_pinyin(s) for s in key), word)
        for key in ambiguous:
            exact.pop(key, None)
        # A two-character window must also sound the same in its tones (申岭 -> 申领): without
        # them too many everyday pairs collide (去签 is not 取钱).
        self._toned_pairs = {tuple(toned_pinyin(c) for c in word): word
                             for word in exact.values() if len(word) == 2}
        # Window lengths worth trying at a position, by its (folded) first syllable.
        lengths: dict[str, set[int]] = {}
        for word in self._vocabulary:
            first = char_pinyin(word[0])
            if first:
                lengths.setdefault(fuzzy_pinyin(first), set()).add(len(word))
        self._lengths = {k: sorted(v, reverse=True) for k, v in lengths.items()}
        self._exact = exact
        self._fuzzy = fuzzy
        self._frequency = frequency
        self._segment = segment
        # Each character's syllable and its folded form, read once (a few thousand characters).
        self._sounds: dict[str, tuple[str, str]] = {}
        # Text that appears in the knowledge base itself is never "corrected" (新版 stays).
        self._known = "|".join(known_text)

    def _word_spans(self, text: str) -> list[tuple[int, int]]:
        spans, start = [], 0
        for word in self._segment(text):
            end = start + len(word)
            if len(word) >= 2:
                spans.append((start, end))
            start = end
        return spans

    def correct(self, text: str) -> str:
        """Text with homophone windows replaced by the domain word they sound like."""
        if len(text) < 2:
            return text
        sounds = self._sounds
        for c in text:
            if c not in sounds:
                syllable = char_pinyin(c)
                sounds[c] = (syllable, fuzzy_pinyin(syllable) if syllable else "")
        syllables = [sounds[c][0] for c in text]
        folded = [sounds[c][1] for c in text]
        spans: list[tuple[int, int]] | None = None
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            # What follows a number is its measure, as typed (90岁了 is an age, not 碎了).
            after_number = i > 0 and text[i - 1].isdigit()
            lengths = self._lengths.get(folded[i]) if syllables[i] and not after_number \
                else None
            if lengths:
                for length in lengths:
                    if length > n - i:
                        continue
                    window = text[i:i + length]
                    if window in self._vocabulary:
                        break
                    key = tuple(syllables[i:i + length])
                    if not all(key):
                        continue
                    word = self._exact.get(key)
                    if word is not None and length == 2 and (self._toned_pairs.get(
                            (toned_pinyin(window[0]), toned_pinyin(window[1]))) != word or min(
                            self._frequency(window[0]), self._frequency(window[1]))
                            >= COMMON_CHARACTER):
                        word = None   # 要到 is two everyday words, not a misspelt 要倒
                    if word is None and length >= 3:
                        word = self._fuzzy.get(tuple(folded[i:i + length]))
                    if (word is None or self._frequency(window) > 0 or window in self._known
                            or _PARTICLES.intersection(window)):
                        continue  # a word, the knowledge's own text, or speech (好吗 ≠ 号码)
                    if spans is None:
                        spans = self._word_spans(text)
                    end = i + length
                    if any(a < i < b or a < end < b for a, b in spans):
                        continue
                    window = word
                    break
                else:
                    length, window = 1, text[i]
            else:
                length, window = 1, text[i]
            out.append(window)
            i += length
        return "".join(out)


RECENT_TEXTS = 8     # readings kept per normaliser (see TextNormaliser._recent)


class TextNormaliser:
    """Turns a raw message into comparable text; built once from the lexicon. Its answers
    depend on the text alone, but it keeps its last few readings, so one normaliser serves
    one thread (the event loop's; a knowledge reload builds its own)."""

    def __init__(self, fillers: Iterable[str], replacements: Mapping[str, str],
                 corrector: HomophoneCorrector | None = None) -> None:
        self._converter = opencc.OpenCC("t2s")
        self._fillers = sorted({self._basic(f) for f in fillers if f}, key=len, reverse=True)
        self._replacements = sorted(((self._basic(k), self._basic(v))
                                     for k, v in replacements.items()),
                                    key=lambda kv: len(kv[0]), reverse=True)
        self._corrector = corrector
        self._filler_re = (re.compile("|".join(re.escape(f) for f in self._fillers))
                           if self._fillers else None)
        # The last few texts read, with their readings: a message is read by the engine and
        # again by the route table (the same text, the same reading, twice the cost).
        self._recent_standard: RecentReadings[str, str] = RecentReadings(RECENT_TEXTS)
        self._recent: RecentReadings[str, NormalisedText] = RecentReadings(RECENT_TEXTS)

    def _basic(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text).lower()
        text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
        text = self._converter.convert(text)
        text = _slash_dates(text)
        text = _KEEP.sub(" ", text)
        text = _WEEKDAY_NUMERAL.sub(lambda m: m.group(1) + m.group(2), text)
        text = _numerals_to_digits(text)
        return _SPACES.sub(" ", text).strip()

    def with_corrector(self, corrector: HomophoneCorrector) -> TextNormaliser:
        """The same normaliser with a homophone corrector (built after the vocabulary is known)."""
        clone = object.__new__(TextNormaliser)
        clone.__dict__.update(self.__dict__)
        clone._corrector = corrector
        clone._recent_standard = RecentReadings(RECENT_TEXTS)
        clone._recent = RecentReadings(RECENT_TEXTS)
        return clone

    def basic(self, text: str) -> str:
        """Width, script, case, punctuation, emoji and numerals only (for dictionary phrases)."""
        return self._basic(text)

    def surface(self, text: str) -> str:
        """The message as typed, in Simplified characters with ASCII digits and letters:
        what the command grammar reads (查詢 Ｒ０００１ -> 查询 R0001). Punctuation stays, so a
        leader's note keeps its own."""
        converted: str = self._converter.convert(text.translate(_WIDTH))
        return converted.strip()

    def standard(self, text: str) -> str:
        """Basic normalisation plus the lexicon's replacements (户口本 -> 户口簿): how the
        knowledge base's own phrases are compared with messages."""
        return self._recent_standard.read(text, self._standard)

    def _standard(self, text: str) -> str:
        read = self._basic(text)
        for wrong, right in self._replacements:
            if wrong in read:
                read = read.replace(wrong, right)
        return read

    def normalise(self, text: str) -> NormalisedText:
        """Full normalisation of a resident's message."""
        return self._recent.read(text, self._normalise)

    def _normalise(self, text: str) -> NormalisedText:
        clean = self.standard(text)
        if self._corrector is not None:
            clean = " ".join(self._corrector.correct(part) for part in clean.split(" "))
        return NormalisedText(text, clean, self.without_fillers(clean))

    def without_fillers(self, clean: str) -> str:
        """A normalised text without its fillers (请问, 那个, 阿姨): each leaves a space."""
        core = self._filler_re.sub(" ", clean) if self._filler_re else clean
        return _SPACES.sub(" ", core).strip()
