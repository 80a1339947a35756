"""The intent engine: a pure, synchronous classifier over the station's knowledge.

Routing comes first (greetings, thanks, 转人工, canteen questions, wishes, reports); everything
else is ranked. Candidates are the entries (affairs items, FAQs, report categories) most similar
to the message by character n-gram TF-IDF cosine; each is scored by
- cosine: that character n-gram similarity over the entry's pooled name and aliases;
- coverage: how much of the message's own IDF-weighted content the entry explains, word by word
  (near-misses such as "低保真音箱" share a word with an item but are mostly about something
  else; long messages are also judged window by window);
- fuzzy: rapidfuzz's partial ratio of the entry's best-matching phrase against the message;
- recall: how much of that best phrase the message contains (weighted 0 by the current tuning).
The best entries' scores and their margin decide between answering, clarifying and falling back.
The questions residents asked (asked.toml) are a second reader: a message its words leave unsure
of is answered when it reads like one item's questions far more than any other's, and a weak
answer is turned into a choice when it reads far more like another item's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import heapq
import marshal
import math
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

import intents.chargrams as chargrams_module
import intents.normalise as normalise_module
import intents.tokens as tokens_module
from intents.build_memo import BuildMemo, digest_of, remove_earlier
from intents.chargrams import CentroidIndex, CharGramIndex
from intents.dates import NamedDay, parse_meal, read_day
from intents.details import read_place
from intents.normalise import HomophoneCorrector, TextNormaliser
from intents.phrasebook import Entry, Phrasebook
from intents.recent_readings import RecentReadings
from intents.safety import EmergencyDetector, EmergencySigns
from intents.tokens import DomainTokenizer, default_cache_dir, write_whole

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z]")
_DIGITS = re.compile(r"\d+")
# A report cue right after a negation is no report: 我不是报修, 不是要报修, 没有坏.
_NEGATED = re.compile(r"(不是|不要|不用|不想|不需要|无需|并非|没有|没|别)(要|想|来|去|在)?$")
# Without a problem word, a message asking when or where is a question, not a report
# (广场舞几点跳).
_QUESTION = re.compile(r"几点|什么时候|啥时候|哪天|哪里|在哪|几号|怎么报名|怎么参加|多少钱")
# What is left of "有个问题想反映一下" once its report words are gone: nothing about the problem.
# A part of a message set aside by the resident: done already (失业登记已经做好了, 退伍档案查好了),
# not urgent (津贴我不急, 以后再说), or not meant (不是城乡居保的). The question is in the rest.
_SET_ASIDE = re.compile(
    r"已经.{0,12}(好了|过了|了)|(办|做|查|弄|交|领|报|挂|登记|认证|备案|开)(好|过)了|"
    r"(办|做|弄|交|领|报|挂失|登记|认证|备案|开)脱了|不急|以后再说|"
    r"回头再说|先不说|先不管|不用管|^不是|不是问")
# A building, unit, floor or room needs a number, in digits or in words.
_HAS_NUMBER = re.compile(r"[0-9零〇一二两三四五六七八九十百]")
# A small wish by its shape: someone wanted to help, teach or keep company (想有人陪我去公园,
# 能不能来个年轻人帮帮), something to learn (我想学写毛笔字), something hoped for (希望小区里放
# 一次露天电影, 要是有个地方下象棋就好了).
_WISH_SHAPE = re.compile(
    r"(想|希望|能不能|可不可以|有没有|要是|盼)(.{0,6})(有人|找人|找个人|寻个人|请人|请个人|来个|"
    r"来人|年轻人|志愿者|小伙子|谁|会[^，。？?]{1,6}的|懂[^，。？?]{0,4}的)(.{0,12})"
    r"(帮|陪|教|带|代|修|送|搬|买|拿|读|聊|坐坐|讲讲|看看|一起|一道)|"
    r"有没有人(好|能|可以|会|肯|愿意)?(帮|陪|教|来)|"
    r"有人(好|能|可以|会|肯|愿意)?(帮|陪|教)[^，。？?]{0,8}(吗|伐|么)$|"
    # someone who can mend a thing of one's own (有会补鞋的师傅吗; 有懂政策的人吗 asks)
    r"有(没有)?会(修|补|弄|缝|做|理|剪)[^，。？?]{0,6}的(老?师傅|人|志愿者)|"
    r"^(我)?想学|想学(点|做|用|写|跳|唱|画)|"
    r"希望(小区|社区|居委|驿站|能|有).{0,12}(搞|办|放|组织|开|有|装|建|添|加|设|种)|"
    # Something for the compound (小区里能不能装个快递柜) or for oneself (想要一副老花镜).
    r"(小区|社区|楼里|楼下|门口|路口|院子)(里|里面|口)?(能不能|可不可以|好不好|最好)"
    r"(装|放|设|搞|建|添|加|种|开|摆)(个|一个|一些|几个|点)|"
    r"想要(一|两)(床|副|双|件|台|条|把|只|套|辆)|"
    r"(需要|要|得)(有)?人(帮|陪|来帮|来陪)|(想|希望)(给|为).{0,10}(办|搞|组织|开)(个|一个|一次)|"
    r"就好了$")
# The clauses of a long message that ask something: where its question is.
# Where a message turns to a second question (敬老卡怎么办？还有老年综合津贴…, 顺便问下…).
# 还有 before an amount is what is left (公积金还有多少钱), not a turn.
_NEXT_QUESTION = re.compile(
    r"还有(?!多少|几|没有|剩)|另外|顺便|再问|再打|再开|再办|再帮|以及|同时|然后")
# Two names sharing one question (敬老卡和居住证怎么办), and what is asked of both (我想办).
_JOINED = re.compile(r"和|跟|与|以及|及")
_WANTS_DONE = re.compile(r"^(我|阿拉|伲|我们)?(想|要|想要|需要|准备)?"
                         r"(办|申请|申领|补|换|开|查|打印|登记)")
# ... or says its subject first and then "too" (残疾证也要换, 居保也想转过来).
_ALSO = re.compile(r"也要|也想|也得|也需要")
# An action the resident says is not the one (不是要补证, 不是申请补贴, 先不问…).
# 是不是要补办, 要不要挂失, 用不用 ask about the action: they say no 不.
_NOT_THIS = re.compile(r"((?<!是)不是|(?<!要)不要|(?<!用)不用|(?<!想)不想|并非|先不)"
                       r"(要|想|来|去|在|问|办|我)?$")
# A question mark with more said after it: the message goes on to something else.
_ASKED_THEN_MORE = re.compile(r"[？?][^？?]*[\u3400-\u9fff]")
_ASKS = re.compile(r"怎么|咋|怎样|如何|能不能|可不可以|可以吗|能吗|吗|呢|哪里|哪儿|去哪|在哪|"
                   r"要不要|是不是|有没有|多少|什么|啥|想问|请问|咨询|行不行")
# A question that asks for something to be done about a problem (能不能管管, 怎么办, 找谁):
# one about anything else (打麻将怎么算番, 电梯广告里的保健品有用吗) names no problem.
_WANTS_ACTION = re.compile(r"管|处理|解决|投诉|反映|报修|修|来人|派人|找人|找谁|怎么办|哪能办|咋办|"
                           r"办法|停|怎么弄|"
                           r"弄一下|弄弄|清理|清掉|拆|搬走|挪走|看看|查查|检查|能不能让|叫他|叫伊|"
                           r"劝|说说|讲讲|提醒")
# Asking how to apply for something (a service, a benefit), not for a hand from a neighbour.
_APPLIES = re.compile(r"申请|怎么办理|哪里办理|去哪里办|到哪里办|补贴|补助")
# The words that open a question (想问下…), whatever follows.
_ASKING_OPENER = re.compile(r"想问|请问|问一下|问下|问问")
# Money asked for to get over a loss (能申请救助伐, 有补助吗).
_RELIEF_ASKED = re.compile(r"(?:申请|有没有|有|能|可以|好)(?:点|些|一点)?(?:救助|补助|补贴|救济)")
# What may stand beside an action said alone after an answer (那补办呢, 要挂失的).
_AROUND_AN_ACTION = re.compile(r"[那呢要的吗吧啊呀哦怎么样办呢还是我想能可以一下再个张]")
# Places a building shares (a problem there is the building leader's, not a neighbour's wish).
_SHARED_PLACE = re.compile(r"楼道|楼梯|电梯|单元门|走廊|过道|车库|地下室|屋顶|天台|花园|大门|小区|"
                           r"垃圾房|绿化|车棚|路灯|公共|消防|信箱|门禁")
# Asking what the bot can do, in any words (read on the normalised text: no punctuation, 侬
# read as 你): the bot named (你, 这个号, 小助手) with what it can do, what it is for, how to
# use it or talk to it (你会些啥, 我能问你什么, 这个号是干嘛用的, 哪能用侬, 你听得懂上海话吗).
# Only in a short message: a long one names the bot in passing (你们驿站能打吗要带啥).
# Not the 你 of 你好, nor of 你说… (you tell me), unless said to the bot (跟你说话).
_BOT = (r"(?:你(?!们|好)(?:(?<=[跟和同对向]你)|(?!说(?!话)|讲(?!话)))|您(?!好)|"
        r"这个(?:公众|微信)?号|公众号|这个微信|这个小?程序|小助手|助手|机器人|"
        r"人工智能|这个聊天(?:框|的)?|聊天框|这个东西|这个账号|这个系统)")
_WHAT = r"(?:什么|啥|嘛|哪些|哪样)"
_CAN = r"(?:会|能|可以|好|还能|都能|能够|还会|都会)"
_END = r"[吗呢啊呀吧哦]*"     # the particles a question ends with
_CAN_DO_LONGEST = 30
_CAN_DO = re.compile(
    rf"{_BOT}.{{0,8}}{_CAN}.{{0,6}}{_WHAT}(?:事情?|事体|问题|忙|服务|业务|本事)?{_END}$|"
    rf"{_CAN}问{_BOT}.{{0,4}}{_WHAT}|{_CAN}(?:跟|和|同){_BOT}说.{{0,2}}{_WHAT}|"
    rf"(?:怎么|如何)用{_BOT}|(?:怎么|如何)(?:跟|和|同)你(?:说话|讲话|说才|讲才)|"
    rf"(?:问|跟|和){_BOT}.{{0,6}}(?:怎么问|要打字|发语音)|怎么问问题|教教我怎么用|怎么用这个.?.?$|"
    rf"{_BOT}.{{0,6}}(?:是干嘛|干嘛用|干什么用|做什么用|是做什么|是干什么|是什么东西|叫什么|是谁|"
    rf"是人工智能|是真人|怎么用|能用吗|用法|功能|用处|用场|听得懂|懂[些点]?{_WHAT}|"
    rf"发语音|有{_WHAT}用)|"
    rf"(?:做|干){_WHAT}用的|{_WHAT}事.{{0,3}}{_CAN}找{_BOT}|介绍(?:一下)?{_BOT}|"
    rf"^(?:帮助|功能介绍|使用说明|使用帮助|介绍一下功能)$|(?:有|都有){_WHAT}(?:功能|用处|本事)|"
    rf"功能介绍|^(?:都)?有(?:哪些|什么|啥)服务|有(?:什么|啥|哪些)服务可以用")
# ... of which these words can be about nothing but the bot, whatever an item's words score
# (我可以问你哪些问题 is no question about 养老顾问, 你能干嘛 none about 干部档案).
_ABOUT_THE_BOT = re.compile(
    rf"{_BOT}[都还]?{_CAN}(?:帮[我你忙]?)?(?:做|干|回答|答|问|懂)?[些点]?(?:事情?|问题)?{_WHAT}"
    rf"{_END}$|"
    rf"{_CAN}问{_BOT}[些点]?(?:事情?|问题)?{_WHAT}|{_BOT}(?:是谁|是(?:干|做){_WHAT}个?的|"
    rf"有{_WHAT}(?:功能|用处|用)|的(?:功能|用处))|^(?:帮助|功能介绍|使用说明|使用帮助)$|"
    # 你是机器人吗: who the bot is (the welcome says so, and how to reach a person)
    rf"^(?:你好|您好)?(?:你|您)?(?:是不是|是)(?:个)?(?:机器人|真人|人工智能|电脑|自动回复)"
    rf"(?:吗|啊|呀)?"
    rf"(?:还是(?:真人|人工|机器人)(?:啊|呀)?)?$|"
    rf"^有{_WHAT}(?:可以|好|能)帮(?:我|我们|忙)?的?(?:吗|呢)?$|"
    # 你们能做什么 / 能干啥, said alone: what the bot (or the station) is for
    rf"^(?:你们|您们)?(?:都|还)?{_CAN}(?:帮[我你忙]?们?)?(?:做|干)[些点]?{_WHAT}(?:事情?|事体)?{_END}$")
_ABOUT_THE_BOT_LONGEST = 16
# Thanks that say more than thanks (谢谢，你们服务真好): still thanks when nothing is asked.
# Praise is thanks too (你真聪明，比我孙子讲得清楚).
_THANKS = re.compile(r"谢谢|感谢|多谢|谢了|辛苦|真聪明|真棒|真灵|老灵|"
                     r"讲得(?:老|真|很|蛮|太)(?:清楚|清爽|明白)|比.{1,6}讲得清")
# A dish asked about for another day (还会再做吗, 什么时候有).
_AGAIN = re.compile(r"还会|再做|再烧|什么时候|啥时候|几时|哪天|还有没有")
_COOKING = re.compile(r"怎么烧|怎么做|怎么炒|怎么煮|做法|菜谱|好吃的做法")
_GENERIC = re.compile(r"问题|事情|事儿|事|情况|东西|物品|样|想|要|有|个|一|下|点|我|你们|给|帮|请|"
                      r"能不能|可以|件|这里|这边|说|讲|反馈|些|几|啥|什么|了|的|跟|和|向|找")

# The libraries that read the knowledge's phrases at a build (segmenting, script, pinyin).
_TEXT_LIBRARIES = ("jieba", "opencc", "pypinyin")
SHORTLIST = 12          # entries kept per message
CANDIDATES = 12         # entries scored in full (the best by character n-gram cosine)
WINDOW = 10             # content words per part of a long message
REPORT_WITHOUT_CUE = 0.05  # extra score a report needs when it has no problem word
EXACT_ALIAS = 0.95      # recall of a name or alias the message contains (nearly) whole
SET_ASIDE_CHECK = 5     # the rest of a message must find one of the whole message's best five
TWO_QUESTIONS_CHECK = 4  # each question of a two-question message is among its best four
SENTENCE = 6            # a message this long says more than a word and a place
BARE_NAME = 5          # a message shorter than this with no action or question word is a bare name
FUZZY_TOP = 6           # entries re-scored with rapidfuzz
GRAM_SIZES = (1, 2)     # character n-grams of the cosine signal
ASKED_GRAM_SIZES = (1, 2, 3)   # ... and of the residents' questions (asked.toml)
# A word that appears in few of an entry's phrases still counts, but less than a central one.
CENTRAL_FLOOR = 0.5
CENTRAL_SATURATION = 3.0
TOPICLESS = 0.4

AFFAIRS, FAQ, REPORT = "affairs.ask", "faq.ask", "report.new"
MENU, WISH, GREETING, HANDOFF, FALLBACK = ("menu.ask", "wish.new", "greeting", "handoff",
                                           "fallback")
INTENTS = (AFFAIRS, FAQ, REPORT, MENU, WISH, GREETING, HANDOFF, FALLBACK)
# Topics of greetings and fallbacks, for the handlers: a welcome, thanks or "ok", only
# fillers ("请问"), a bare number.
HELLO, THANKS, PROMPT, NUMBER = "hello", "thanks", "prompt", "number"
# FAQ ids of the offices next door (派出所, 出入境, 婚姻登记处, 12345): where to go, as specific
# as an item.
AGENCY = "agency."
# Topic of a report that does not yet say what the problem is (有个问题想反映一下).
UNSAID = "unsaid"


def _said_for(spaced: str) -> str:
    """The parts of a message not set aside by the resident (不是查余额, 已经挂失了): what it
    is about ("" when every part is set aside)."""
    return " ".join(part for part in spaced.split() if not _SET_ASIDE.search(part))


def _asking_clauses(spaced: str) -> list[str]:
    """The last two clauses of a message that ask something (where a long message's question
    is)."""
    return [part for part in spaced.split() if _ASKS.search(part)][-2:]


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """One regex finding any of the words (never matching when there are none)."""
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered) if ordered else r"(?!x)x")


@dataclass(frozen=True)
class EngineSettings:
    """Thresholds deciding answer / clarify / fallback, and how the signals add up.

    The defaults mirror config.toml's [engine] table (chosen by bench/tune_engine.py).
    """

    answer_threshold: float = 0.35
    answer_margin: float = 0.12
    clarify_threshold: float = 0.25
    clarify_choices: int = 3
    # A long message scores lower against any one item: from this many characters on, it is
    # clarified (not fallen back) from long_clarify_threshold up.
    long_message: int = 40
    long_clarify_threshold: float = 0.15
    # Out-of-scope words (股票, 流量) do not overrule an item scoring this high.
    out_of_scope_overruled: float = 0.45
    # A clear lead also answers: any score at or above clarify_threshold, this far ahead of
    # the runner-up.
    lead_margin: float = 0.25
    # ... or a lead in proportion: the best this many times the runner-up's score.
    lead_ratio: float = 1.4
    # When the close runners-up are all the best item's siblings (the same card, another
    # action), the best is answered from this score up, with the siblings offered beside it.
    sibling_threshold: float = 0.30
    # ... and so is a best this many times the runner-up's score, whatever the runners-up are.
    offer_ratio: float = 1.2
    sibling_choices: int = 2
    # How the signals add up to a score (tuned on the dev set: bench/tune_engine.py).
    weight_recall: float = 0.0
    weight_coverage: float = 0.35
    weight_fuzzy: float = 0.05
    weight_cosine: float = 0.6
    # ... and how much an entry's score owes to the message reading like the questions
    # residents asked about it (asked.toml; the other weights are scaled by 1 - this).
    weight_asked: float = 0.45
    # ... counted only for items whose character cosine is at least this share of the best's
    asked_gate: float = 0.4
    # A clarification's item that reads like its residents' questions this much (cosine), and
    # asked_pick_ratio times more than any other offered, is answered instead (0: never).
    asked_pick_floor: float = 0.25
    asked_pick_ratio: float = 1.1
    # A message its own words leave below clarify_threshold, or between items, that reads like
    # one item's residents' questions this much, and asked_answer_ratio times more than like
    # any other item's, is answered with that item (0: never).
    asked_answer_floor: float = 0.18
    asked_answer_ratio: float = 1.3
    # ... compared among the items this many best by character cosine (0: every item).
    asked_pool: int = 30
    # A direct answer below asked_doubt_score whose message reads like another item's
    # questions at least asked_doubt_floor, asked_doubt_ratio times more than like the
    # answer's own, is offered beside it to choose from instead (0: never).
    asked_doubt_floor: float = 0.25
    asked_doubt_ratio: float = 1.2
    asked_doubt_score: float = 0.45
    faq_weight: float = 0.7
    # ... and the agencies' answers (agency.*) by this: they name a subject (护照, 身份证).
    agency_weight: float = 0.85
    # An agency's answer (where to go) is given from this score up, below clarify_threshold,
    # when it leads by offer_ratio: pointing to the right office beats "I don't know".
    agency_floor: float = 0.15
    # ... and up to here (above it the usual rules answer): clarify_threshold or more, an
    # agency leading by offer_ratio is answered rather than asked about.
    agency_ceiling: float = 0.35
    # Longer messages are read up to here only (and answered "please say it in one sentence"
    # when nothing in that part is understood).
    max_message_chars: int = 1000


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
    days: int = 1                  # menu: 2 for a weekend (date is its Saturday)
    # report: the emergency the message shows, by the id of its situation in reports.toml (a
    # report of an emergency category with no situation of its own carries the category id)
    emergency: str | None = None
    date_unreadable: bool = False  # menu: a day is named but cannot be read (2月30号)
    # affairs: the best item's siblings that came close (挂失 beside 申领), offered with the
    # answer ("不是这个？回复4看社会保障卡挂失")
    alternatives: tuple[Candidate, ...] = ()
    # affairs: a second question the same message asks (敬老卡怎么办？还有津贴换卡), offered
    # after the answer to the first ("您还问了…：回复 4 看")
    also: Candidate | None = None
    truncated: bool = False        # longer than max_message_chars: only its start was read

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
    asked: float = 0.0
    score: float = 0.0


@dataclass
class _Index:
    phrases: list[_Phrase] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    idf: dict[str, float] = field(default_factory=dict)
    doc_tf: list[dict[str, float]] = field(default_factory=list)
    unknown_idf: float = 1.0
    min_phrase_weight: float = 1.0
    entry_phrases: dict[int, list[int]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)   # idf x shape of each feature


class IntentEngine:
    """Text in, scored matches out. Build once; `classify` is fast and answers as a pure
    function would (it keeps its last readings, never anything that changes an answer)."""

    def __init__(self, phrasebook: Phrasebook, settings: EngineSettings | None = None,
                 cache_dir: Path | None = None) -> None:
        self.settings = settings or EngineSettings()
        self.phrasebook = phrasebook
        self.entries = phrasebook.entries
        folder = cache_dir or default_cache_dir()
        memo = BuildMemo(folder / "yizhan-build-{}.marshal".format(digest_of(
            [dataclasses.replace(phrasebook, asked=())],
            [normalise_module, tokens_module, sys.modules[__name__]], _TEXT_LIBRARIES)))
        base = TextNormaliser(phrasebook.fillers, phrasebook.homophones)
        standard = memo.through("standard", base.standard)
        basic = memo.through("basic", base.basic)
        phrase_texts = [[self._compact(standard(p)) for p in e.phrases]
                        for e in self.entries]
        terms = {p for texts in phrase_texts for p in texts if 2 <= len(p) <= 5}
        terms |= {self._compact(basic(w)) for w in (
            *phrasebook.menu_words, *phrasebook.wish_cues, *phrasebook.report_cues,
            *(name for _, names in phrasebook.meal_points for name in names))
                  if len(w) >= 2}
        self.tokenizer = DomainTokenizer(terms, (p for texts in phrase_texts for p in texts),
                                         folder)
        blob = "|".join(p for texts in phrase_texts for p in texts)
        vocabulary = {p for texts in phrase_texts for p in texts if 2 <= len(p) <= 5}
        vocabulary |= {t for t in self.tokenizer.terms if t in blob}
        tokens = memo.through("tokens", self.tokenizer.tokens, list)
        for texts in phrase_texts:
            for text in texts:
                vocabulary.update(t for t in tokens(text) if len(t) >= 2)
        known = [p for texts in phrase_texts for p in texts]
        known += [self._compact(basic(name)) for _, names in phrasebook.meal_points
                  for name in names]
        self.normaliser = base.with_corrector(HomophoneCorrector(
            vocabulary, self.tokenizer.general_frequency, self.tokenizer.words, known))
        self._stop = frozenset(self._compact(basic(w)) for w in phrasebook.stopwords)
        self._index = self._build_index(phrase_texts, tokens)
        # A message that is exactly a name or alias (after normalisation) is that entry.
        exact: dict[str, int] = {}
        clashes: set[str] = set()
        core = memo.through("core", lambda phrase: self.normaliser.normalise(phrase).core)
        for entry_no, entry in enumerate(self.entries):
            for phrase in entry.phrases:
                key = self._compact(core(phrase))
                if key in exact and exact[key] != entry_no:
                    clashes.add(key)
                exact.setdefault(key, entry_no)
        self._exact = {k: v for k, v in exact.items() if k not in clashes and k}
        self._grams = CharGramIndex(phrase_texts, GRAM_SIZES)
        # The last messages' readings: each is asked for more than once.
        self._recent_cosines: RecentReadings[str, dict[int, float]] = RecentReadings(4)
        self._recent_similar: RecentReadings[str, dict[int, float]] = RecentReadings(2)
        self._greetings = self._word_list(standard, phrasebook.greetings)
        self._fillers = self._word_list(standard, phrasebook.fillers)
        self._handoff = self._word_list(standard, phrasebook.handoff)
        self._wish = self._word_list(standard, phrasebook.wish_cues)
        self._menu = self._word_list(standard, phrasebook.menu_words)
        self._acknowledgements = self._word_list(standard, phrasebook.acknowledgements)
        self._addresses = self._word_list(standard, phrasebook.addresses)
        self._eat = self._word_list(standard, phrasebook.eat_words)
        self._food = self._word_list(standard, phrasebook.food_words)
        self._menu_topics = tuple((topic, self._word_list(standard, words))
                                  for topic, words in phrasebook.menu_topics)
        # Words that name the canteen itself: then a canteen question is the canteen's.
        self._canteen_words = self._word_list(standard, phrasebook.canteen_words)
        self._station_words = self._word_list(standard, phrasebook.station_words)
        self._other_places = self._word_list(standard, phrasebook.other_places)
        self._holidays = phrasebook.holidays
        self._emergency_categories = frozenset(phrasebook.emergency_categories)
        self._urgent_categories = frozenset(phrasebook.urgent_categories)
        self._emergencies = EmergencyDetector(EmergencySigns(
            e.id, e.category, self._words(standard, e.phrases),
            tuple(self._words(standard, group) for group in e.all_of),
            self._words(standard, e.unless))
            for e in phrasebook.emergencies)
        self._report_cues = self._word_list(standard, phrasebook.report_cues)
        self._affairs_cues = self._word_list(standard, phrasebook.affairs_cues)
        self._actions = frozenset(self._affairs_cues)
        self._handoff_re = _alternation(self._handoff)
        self._capabilities_re = _alternation(self._word_list(standard, phrasebook.capabilities))
        # Dishes by any part of three characters or more (狮子头 finds 红烧狮子头).
        self._dish_re = _alternation({
            d[i:j] for d in self._word_list(standard, phrasebook.dishes)
            for i in range(len(d)) for j in range(i + min(3, len(d)), len(d) + 1)})
        # Foods named on their own (鱼, 饺子): not eating words, not 有啥.
        self._foods = tuple(w for w in self._food
                            if w not in self._eat and not w.startswith("有"))
        self._report_re = _alternation(self._report_cues)
        self._not_report_re = _alternation(self._word_list(standard, phrasebook.not_reports))
        self._own_thing_re = _alternation(self._word_list(standard, phrasebook.own_things))
        self._not_meal_re = _alternation(self._word_list(standard, phrasebook.not_meals))
        # The word lists read on every message, as one regex each (a search in C).
        self._eat_re = _alternation(self._eat)
        self._food_re = _alternation(self._food)
        self._foods_re = _alternation(self._foods)
        self._canteen_re = _alternation(self._canteen_words)
        self._station_re = _alternation(self._station_words)
        self._menu_topic_res = tuple((topic, _alternation(words))
                                     for topic, words in self._menu_topics)
        self._entry_text = ["|".join(texts) for texts in phrase_texts]
        # Out-of-scope words that are part of an item's or a FAQ's own words (医保网站密码忘了)
        # are not out of scope.
        answerable_text = "|".join(t for n, t in enumerate(self._entry_text)
                                   if self.entries[n].intent != REPORT)
        self._out_of_scope_re = _alternation(
            w for w in self._word_list(standard, phrasebook.out_of_scope)
            if w not in answerable_text)
        self._subjects = tuple(self._subject(e, phrasebook.actions) for e in self.entries)
        # Station FAQs are generic ("要带什么"): a named item wins over them. The agencies next
        # door (ids agency.*: 身份证 at the police station) are as specific as an item.
        self._agencies = frozenset(n for n, e in enumerate(self.entries)
                                   if e.intent == FAQ and e.ref.startswith(AGENCY))
        self._entry_weight = tuple(
            1.0 if e.intent != FAQ else self.settings.agency_weight if n in self._agencies
            else self.settings.faq_weight for n, e in enumerate(self.entries))
        self._concepts = tuple((self._compact(basic(term)),
                                _alternation(self._word_list(standard, cues)))
                               for term, cues in phrasebook.concepts if cues)
        # 补领 is said 丢了, 掉了; an item's name holds its actions (敬老卡挂失补领).
        self._action_cues = tuple((action, _alternation(self._word_list(standard, cues)))
                                  for action, cues in phrasebook.action_cues if cues)
        self._action_verbs = tuple(phrasebook.actions)
        self._done_before = self._word_list(standard, phrasebook.done_before)
        self._done_after = self._word_list(standard, phrasebook.done_after)
        self._entry_actions = tuple(
            frozenset(a for a, _ in phrasebook.action_cues
                      if e.intent == AFFAIRS and e.phrases and a in e.phrases[0])
            for e in self.entries)
        # Single characters (开, 查) hide inside other words (开门): only longer cues count here.
        self._affairs_re = _alternation(w for w in self._affairs_cues if len(w) >= 2)
        self._menu_re = _alternation(self._menu)
        self._wish_re = re.compile(_alternation(self._wish).pattern + "|" + _WISH_SHAPE.pattern)
        self._not_cue_re = _alternation(self._word_list(standard, phrasebook.report_not_cues))
        # Text of FAQs, to tell whether a FAQ itself is about a place (送医院).
        # A report category's own words found whole in a message (流浪狗, 住了十几个人), longest
        # first: a neighbourhood problem told without a problem word is still a report.
        self._report_words = tuple(sorted(
            ((text, n) for n, texts in enumerate(phrase_texts)
             if self.entries[n].intent == REPORT for text in texts[1:] if len(text) >= 2),
            key=lambda pair: -len(pair[0])))
        self._report_word_entry: dict[str, int] = {}
        for word, n in self._report_words:
            self._report_word_entry.setdefault(word, n)
        self._report_words_re = _alternation(word for word, _ in self._report_words)
        point_names = {(self._compact(basic(name)), point_id)
                       for point_id, names in phrasebook.meal_points for name in names}
        suffixes = self._word_list(standard, phrasebook.place_suffixes)
        for point_id, names in phrasebook.meal_points:  # 梅园小区助餐点 -> 梅园小区 -> 梅园
            short = self._compact(basic(names[0])) if names else ""
            while True:
                suffix = next((x for x in suffixes if short.endswith(x)
                               and len(short) - len(x) >= 2), None)
                if suffix is None:
                    break
                short = short[:-len(suffix)]
                point_names.add((short, point_id))
        self._points = sorted(point_names, key=lambda pair: len(pair[0]), reverse=True)
        # Questions residents asked about items, read as messages are: each item's centroid.
        numbers = {e.key: n for n, e in enumerate(self.entries)}
        self._item_numbers = {e.ref: n for n, e in enumerate(self.entries) if e.intent == AFFAIRS}
        about_items = [(numbers[key], question) for key, question in phrasebook.asked
                       if key in numbers and self.entries[numbers[key]].intent == AFFAIRS]
        self._asked = self._asked_index(about_items, phrasebook, folder) \
            if about_items else None
        self._asked_entries = frozenset(self._asked.centroids if self._asked else ())
        self._asked_items = tuple(sorted(self._asked_entries))   # all of them items
        memo.save()

    # -- building ---------------------------------------------------------------------------
    def _asked_index(self, about_items: list[tuple[int, str]], phrasebook: Phrasebook,
                     folder: Path) -> CentroidIndex:
        """The centroids of the questions residents asked, each read as `_rank` reads a
        message (normalised, with the catalogue's terms). Cached on disk under a digest of
        everything they depend on (the phrasebook, the questions, the code and the libraries
        that read them): a start then loads them instead of reading a thousand questions."""
        digest = digest_of(
            [dataclasses.replace(phrasebook, asked=()), about_items,
             self.settings.max_message_chars, ASKED_GRAM_SIZES],
            [normalise_module, tokens_module, chargrams_module, sys.modules[__name__]],
            _TEXT_LIBRARIES)
        cached = folder / f"yizhan-asked-{digest}.marshal"
        with contextlib.suppress(Exception):   # missing, damaged, of another shape: rebuilt
            return CentroidIndex.from_parts(ASKED_GRAM_SIZES, *marshal.loads(cached.read_bytes()))
        limit = self.settings.max_message_chars
        index = CentroidIndex(
            ((entry, self._compact(self._with_concepts(self._said_in(question[:limit]))))
             for entry, question in about_items),
            ASKED_GRAM_SIZES)
        with contextlib.suppress(OSError):  # a read-only cache costs the reading, no more
            folder.mkdir(parents=True, exist_ok=True)
            write_whole(cached, marshal.dumps(index.parts()))
            remove_earlier(cached)
        return index

    def _said_in(self, question: str) -> str:
        """A question's parts not set aside, read as a message (all of it when every part
        is set aside)."""
        core = self.normaliser.normalise(question).core
        return _said_for(core) or core

    @staticmethod
    def _compact(text: str) -> str:
        return text.replace(" ", "")

    @staticmethod
    def _words(standard: Callable[[str], str], words: Iterable[str]) -> tuple[str, ...]:
        """Words as messages read after normalisation (卡牢 -> 卡住), in their own order."""
        return tuple(w for w in (standard(x).replace(" ", "") for x in words) if w)

    @staticmethod
    def _word_list(standard: Callable[[str], str], words: Iterable[str]) -> tuple[str, ...]:
        out = {standard(w).replace(" ", "") for w in words}
        return tuple(sorted((w for w in out if w), key=len, reverse=True))

    def _features(self, text: str, tokens: Callable[[str], list[str]]) -> set[str]:
        """Content tokens plus the character bigrams inside them."""
        features: set[str] = set()
        for token in tokens(text):
            if token in self._stop or not token.strip():
                continue
            features.add(token)
            if len(token) >= 3:
                features.update(token[i:i + 2] for i in range(len(token) - 1))
        return features

    def _build_index(self, phrase_texts: list[list[str]], tokens: Callable[[str], list[str]]
                     ) -> _Index:
        index = _Index()
        docs: list[set[str]] = []
        for entry_no, texts in enumerate(phrase_texts):
            doc: set[str] = set()
            for text in texts:
                features = frozenset(self._features(text, tokens))
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
    def names_dish(self, text: str) -> bool:
        """Whether a message names a dish of the menu calendar (狮子头 finds 红烧狮子头)."""
        return bool(self._dish_re.search(text))

    def sibling_doing(self, item: str, text: str) -> str | None:
        """The item a short message that says only an action is about, right after `item` was
        answered: the one about the same thing (the same card, another action) that does it
        (补办 after 社会保障卡挂失: 社会保障卡补领); `item` itself when it does it already (挂失
        after 社会保障卡挂失) or when no item of that card does (挂失 after 残疾人证补领: never
        another card's 挂失); None when the message says no action, or several items do it."""
        number = self._item_numbers.get(item)
        if number is None:
            return None
        core = self._compact(self.normaliser.normalise(text).core)
        rest = core
        for _, cues in self._action_cues:
            rest = cues.sub("", rest)
        if _AROUND_AN_ACTION.sub("", rest):
            return None             # 社保卡补办 names its own card
        said = self._actions_said(core)
        if not said:
            return None
        if self._entry_actions[number] & said:
            return item
        found = [e for e in self._item_numbers.values() if e != number
                 and self._siblings(number, e) and self._entry_actions[e] & said]
        if not found:
            return item
        return self.entries[found[0]].ref if len(found) == 1 else None

    @property
    def holidays(self) -> tuple[NamedDay, ...]:
        """The holidays and festivals residents name (圣诞节, 元旦), with their dates."""
        return tuple(self._holidays)

    def classify(self, text: str, today: dt.date) -> Classification:
        """Classify one message; pure, no I/O. `today` is the station's date (its time zone)."""
        limit = self.settings.max_message_chars
        truncated = len(text) > limit
        norm = self.normaliser.normalise(text[:limit])
        core = self._compact(norm.core)
        clean = self._compact(norm.clean)
        if not core and not clean:
            return Classification(text, FALLBACK, normalised="", truncated=truncated)
        emergency = self._emergencies.detect(clean)
        if emergency is not None:  # safety first, whatever else the message says
            return Classification(text, REPORT, category=emergency.category, score=1.0,
                                  normalised=core, emergency=emergency.id)
        if self._only(clean, self._greetings, self._addresses):   # 你好 驿站
            return Classification(text, GREETING, topic=HELLO, score=1.0, normalised=core)
        if self._only(clean, self._acknowledgements, self._addresses):
            return Classification(text, GREETING, topic=THANKS, score=1.0, normalised=core)
        if self._handoff_re.search(clean):
            return Classification(text, HANDOFF, score=1.0, normalised=core)
        if self._capabilities_re.search(clean) or (     # 侬会做点啥: what the bot can do
                len(clean) <= _ABOUT_THE_BOT_LONGEST and _ABOUT_THE_BOT.search(clean)):
            return Classification(text, GREETING, topic=HELLO, score=1.0, normalised=core)
        if not core and not truncated and _HAS_CJK.search(clean):  # only fillers: "请问"
            return Classification(text, GREETING, topic=PROMPT, score=1.0, normalised=core)
        if _DIGITS.fullmatch(core):  # a bare "2" with no choice pending
            return Classification(text, FALLBACK, topic=NUMBER, normalised=core)
        if not _HAS_CJK.search(core):
            return Classification(text, FALLBACK, normalised=core, truncated=truncated)

        exact = self._exact.get(core)
        if exact is not None:
            return self._exactly(text, core, exact)
        if self._names_no_problem(core):  # 有个问题想反映一下: a report, the problem still unsaid
            return Classification(text, REPORT, topic=UNSAID, score=0.5, normalised=core)
        ranked = self._rank(norm.core)
        kept = _said_for(norm.core)
        if kept and kept != norm.core.strip():     # 失业登记已经做好了，失业金怎么领
            ranked_kept = self._rank(kept)
            # ... as long as the rest still names something the whole message is about
            # (社保卡已经挂失了，现在要补一张: the rest alone does not say which card).
            if ranked_kept and ranked_kept[0].score >= self.settings.clarify_threshold and \
                    ranked_kept[0].entry in {s.entry for s in ranked[:SET_ASIDE_CHECK]}:
                ranked = ranked_kept
        elsewhere = self._names_another_place(core)
        # A station FAQ is not about another place (医院几点开门); an agency is another place.
        answerable = [s for s in ranked if self.entries[s.entry].intent != REPORT
                      and not (elsewhere and self.entries[s.entry].intent == FAQ
                               and s.entry not in self._agencies
                               and not any(p in self._entry_text[s.entry] for p in elsewhere))]
        top_answer = answerable[0].score if answerable else 0.0
        report_best = next((s for s in ranked if self.entries[s.entry].intent == REPORT), None)
        report_score = report_best.score if report_best else 0.0
        # A bill, a reading or a company's manners (水费算错了, 煤气公司态度差) is no repair for
        # a building leader, whatever category its words fall in: the ranking decides (12345).
        about_a_bill = self._not_report_re.search(core) is not None
        # A resident's own things (遥控器失灵了, 手机内存满了) are no repair either, nor anyone
        # else's business: the out-of-scope words decide.
        own_thing = self._own_thing_re.search(core) is not None and \
            report_score < self.settings.answer_threshold   # 楼上漏水把电视机淋坏了: a leak
        # Damage told to ask for money to get over it (家里进水，家具全泡坏了，能申请救助伐) is a
        # question about relief, when an item reads like it: nothing for a leader to mend.
        relief = _RELIEF_ASKED.search(core) is not None and bool(answerable) and \
            self.entries[answerable[0].entry].intent == AFFAIRS and \
            top_answer >= self.settings.long_clarify_threshold
        if about_a_bill or own_thing or relief:
            report_best, report_score = None, 0.0
        has_report_cue = self._has_report_cue(core) and not about_a_bill and not own_thing \
            and not relief
        has_affairs_cue = bool(self._affairs_re.search(core))
        settings = self.settings
        strong_answer = top_answer >= settings.answer_threshold

        told = None if _QUESTION.search(core) or about_a_bill or (
            not has_report_cue and _ASKS.search(core) and not _WANTS_ACTION.search(core)) \
            else self._report_told(core)
        # ... read on the message as written too (the normaliser drops 帮我看看), when no item
        # reads like it and it opens no question (想问下谁管送牛奶的)
        wished = bool(self._wish_re.search(core) or (
            _WISH_SHAPE.search(clean) and top_answer < self.settings.clarify_threshold
            and not _ASKING_OPENER.search(clean)))
        if not strong_answer and not has_report_cue and told is None:
            if len(clean) <= _CAN_DO_LONGEST and _CAN_DO.search(clean):   # 你会些啥
                return Classification(text, GREETING, topic=HELLO, score=1.0, normalised=core)
            if _THANKS.search(clean) and not wished and not _QUESTION.search(core) and not (
                    self._affairs_re.search(core)):   # 谢谢，你们服务真好
                return Classification(text, GREETING, topic=THANKS, score=1.0, normalised=core)
        # An out-of-scope word (利息) does not overrule an item the message asks to apply for
        # (担保贷款，利息便宜，哪能申请).
        asked_for = has_affairs_cue and top_answer >= settings.answer_threshold
        if not has_report_cue and told is None and not wished and not asked_for and \
                top_answer < settings.out_of_scope_overruled and self._out_of_scope(
                    self._asking_part(norm.core, core), answerable):
            return Classification(text, FALLBACK, score=top_answer, normalised=core,
                                  candidates=self._candidates(answerable[:3]))
        # 吃饭都成问题 (hardship) and 有啥好领 (a benefit) say no meal.
        menu = self._menu_question(text, self._not_meal_re.sub("|", core), today)
        named = bool(answerable) and answerable[0].recall >= EXACT_ALIAS and strong_answer
        canteen_named = menu is not None and (menu.meal_point is not None or bool(
            self._canteen_re.search(core)))
        best_is_item = bool(answerable) and self.entries[answerable[0].entry].intent == AFFAIRS
        # A long story with a meal in it (孩子上学吃饭样样要钱) is about the canteen only when
        # it names the canteen or a meal point.
        told_at_length = len(core) >= settings.long_message and not canteen_named
        # Someone wanted to buy groceries or make dumplings together (有没有人帮我买点菜) is a
        # wish, unless the canteen is named.
        if menu is not None and not told_at_length and not (wished and not canteen_named) and (
                (canteen_named and not (named and best_is_item)) or (
                    not (strong_answer and has_affairs_cue) and not named)):
            return menu   # 礼拜天食堂开门吗 is the canteen's, not the station's opening hours
        # A problem an urgent category's own words tell (滴水, 水管爆了) is a report whatever
        # the wish around it (老头子爬不上去看): the leak is handled first.
        urgent_told = told is not None and self.entries[told].ref in self._urgent_categories
        # ... and so is a problem in a shared place its category's own words tell (楼道灯坏了好几天
        # 了，能不能派个人来看一下): the building leader's, not a volunteer's (屋里灯泡坏了 is).
        shared_told = told is not None and has_report_cue and _SHARED_PLACE.search(core)
        # ... nor is a wish one that asks how to apply (想请人上门照顾 哪能申请): a service to
        # apply for, its items compared below.
        applies = _APPLIES.search(core) is not None
        if wished and not strong_answer and report_score < settings.answer_threshold and \
                not urgent_told and not shared_told and not applies:
            # ... unless a long story with a wish in it (想请个人上门帮忙做饭) reads like the
            # questions residents asked about one item (养老服务补贴): its question is that item.
            read = self._answered_as_asked(text, core, answerable) \
                if len(core) >= settings.long_message else None
            return read or Classification(text, WISH, score=1.0, normalised=core)
        # Without a problem word ("坏了", "漏") a report needs a strong match of its own words
        # (a bare "3楼" is not a report), and a question (广场舞几点跳) is not one.
        report_bar = settings.clarify_threshold + (0.0 if has_report_cue else REPORT_WITHOUT_CUE)
        if not has_report_cue and (_QUESTION.search(core) or (
                _HAS_NUMBER.search(clean) is not None and read_place(clean).only_place)):
            report_bar = math.inf   # a question, or only a place (2单元): no new report
        best_category = self.entries[report_best.entry].ref if report_best else ""
        if best_category in self._emergency_categories and self._emergencies.ruled_out(
                best_category, clean):
            report_best = None  # an emergency category, but about something else (a gas bill)
        if report_best is not None and report_score >= report_bar and (
                report_score >= top_answer or (has_report_cue and not strong_answer)):
            # ... a more urgent category's own word, as the resident typed it (not one the
            # homophone reading made: 伸到我家 read as 渗到我家), files it there instead
            more_urgent = told is not None and self._urgency(told) > self._urgency(
                report_best.entry) and any(
                    self._report_word_entry[m.group()] == told and m.group() in text
                    for m in self._report_words_re.finditer(core))
            category = self.entries[told if more_urgent and told is not None
                                    else report_best.entry].ref
            return Classification(text, REPORT, category=category, score=report_score,
                                  normalised=core,
                                  emergency=category if category in self._emergency_categories
                                  else None)
        # A long story asks from a lower score (long_clarify_threshold): a worn-out 残疾证 told
        # at length is a question about the card, not a repair.
        floor = (settings.long_clarify_threshold if len(core) >= settings.long_message
                 and _ASKS.search(core) else settings.clarify_threshold)
        if has_report_cue and top_answer < floor and told is None:
            return Classification(text, REPORT, score=0.5, normalised=core)
        if told is not None and not strong_answer:
            category = self.entries[told].ref
            return Classification(text, REPORT, category=category, score=report_score,
                                  normalised=core,
                                  emergency=category if category in self._emergency_categories
                                  else None)
        agency = next((s for s in answerable[:3] if s.entry in self._agencies), None)
        if about_a_bill and not strong_answer and agency is not None and \
                agency.score >= settings.agency_floor:
            # 物业费收得太贵了找谁: a bill or a company's manners is the hotline's (12345).
            return Classification(text, FAQ, item=self.entries[agency.entry].ref,
                                  score=agency.score, normalised=core,
                                  candidates=self._candidates(answerable[:3]))
        decided = self._decide(text, core, answerable,
                               agreed=lambda: self._question_agrees(norm.core, core, answerable))
        decided = self._doubted(decided, core)
        if decided.intent == AFFAIRS and (decided.item or decided.clarify):
            pair = self._two_questions(norm.clean, answerable,
                                       asked_before=bool(_ASKED_THEN_MORE.search(text)))
            if pair is not None:     # 家庭医生怎么签，还有门诊大病登记在哪里办: both answered
                first, second = pair
                return Classification(text, first.intent, item=first.item, score=first.score,
                                      candidates=(first, second, *(
                                          c for c in decided.candidates
                                          if c.item not in (first.item, second.item)))[
                                          :max(3, settings.clarify_choices)],
                                      normalised=core, also=second)
        return decided

    def _two_questions(self, clean: str, answerable: list[_Scored], asked_before: bool = False
                       ) -> tuple[Candidate, Candidate] | None:
        """The two catalogue items a message asks about, in the order it names them, when two
        of its clauses read alone are each answered with another item (开户籍证明，还有无犯罪
        记录证明也要开); else None. Parts set aside (已经办好了) and context (医疗救助我们够不
        上) ask nothing."""
        # A long message's context names things too (交了三十年公积金): there a clause asks
        # only with a question word or a whole action word, and each question must be among
        # the whole message's best entries.
        # Clauses are what the resident's punctuation separates (`clean`), read without their
        # fillers: a filler inside a sentence (住院以后工会那个互助) does not split it.
        parts = [core for core in map(self.normaliser.without_fillers, clean.split()) if core]
        long = len(self._compact(" ".join(parts))) >= self.settings.long_message
        clauses: list[str] = []
        turned = asked_before        # 聋人手机套餐怎么办理？残疾证丢了也要补
        follows_turn = False         # the part after a bare 顺便问下 is the next question
        for at_part, part in enumerate(parts):
            if _SET_ASIDE.search(part):
                continue
            at = [m.start() for m in _NEXT_QUESTION.finditer(part) if m.start() > 0]
            turned = turned or bool(at) or _NEXT_QUESTION.match(part) is not None or bool(
                _ALSO.search(part))
            pieces = [part[i:j] for i, j in zip([0, *at], [*at, len(part)], strict=True)]
            if not long and len(pieces) == 1:
                # 敬老卡和居住证怎么办: two names, one question (or the question comes next:
                # 老年津贴和退休金都想换张卡，分别怎么改)
                after = parts[at_part + 1] if at_part + 1 < len(parts) else ""
                joined = self._joined(part, after)
                if joined is not None:
                    clauses.extend(joined)
                    turned = True
                    continue
            # In a short message every clause asks once a question mark came before (居住证在哪
            # 签注？公积金明细也要打一份), and so does one that says what it needs done (医保卡
            # 丢了: 补领).
            # A part the next one turns away from (想签个家庭医生 另外…) was a question too.
            turns_next = at_part + 1 < len(parts) and _NEXT_QUESTION.match(
                parts[at_part + 1]) is not None
            clauses.extend(p for p in pieces if len(p) >= 3 and (
                _ASKS.search(p.replace("什么的", "")) or self._affairs_re.search(p) or (
                    not long and (asked_before or follows_turn or _NEXT_QUESTION.match(p)
                                  or turns_next or _ALSO.search(p)
                                  or any(w in p for w in self._affairs_cues)
                                  or self._actions_said(p)))))
            follows_turn = _NEXT_QUESTION.fullmatch(part) is not None
        if len(clauses) < 2 or not (turned or sum(1 for c in clauses if _ASKS.search(c)) >= 2):
            return None
        best = {s.entry: s for s in answerable[:TWO_QUESTIONS_CHECK]}
        found: list[_Scored] = []
        for clause in clauses:
            ranked = [s for s in self._rank(clause)
                      if self.entries[s.entry].intent in (AFFAIRS, FAQ)]
            if not ranked or self.entries[ranked[0].entry].intent != AFFAIRS:
                continue            # 要带什么 is the station's FAQ, asked about the item
            # What the clause alone is answered with (in a long message, only one of the
            # whole message's best), else its best among the whole message's best (the rest of
            # the message tells which card).
            top = None
            if ranked[0].score >= self.settings.answer_threshold:
                alone = self._decide(clause, self._compact(clause), ranked).item
                top = next((s for s in ranked if self.entries[s.entry].ref == alone and (
                    not long or s.entry in best)), None)
            if top is None and not long and ranked[0].score >= self.settings.answer_threshold \
                    and len(ranked) > 1 and self._siblings(ranked[0].entry, ranked[1].entry):
                top = ranked[0]     # 结婚登记档案 beside 涉外婚姻登记档案: its best, siblings aside
            if top is None and (_ASKS.search(clause) or self._actions_said(clause)):
                # ... else its best among the whole message's best; a clause that only tells
                # (厂里把我辞退了) asks nothing of its own.
                top = next((s for s in ranked[:TWO_QUESTIONS_CHECK - 1] if s.entry in best
                            and s.score >= self.settings.clarify_threshold), None)
            if top is None or any(s.entry == top.entry for s in found):
                continue            # the clause alone is unclear, or asks the same
            found.append(best.get(top.entry, top))
        if len(found) < 2:
            return None
        first, second = self._candidates(found[:2])
        return first, second

    def _joined(self, clause: str, after: str) -> tuple[str, str] | None:
        """Two names joined by 和 (跟, 与, 以及) sharing one question, each read with it:
        敬老卡和居住证怎么办 -> 敬老卡怎么办, 居住证怎么办; 我想办残疾证和敬老卡 -> 我想办残疾证,
        我想办敬老卡. Whether each names an item is for the ranking to say."""
        found = _JOINED.search(clause)
        if found is None or found.start() < 2 or len(clause) - found.end() < 2:
            return None
        left, right = clause[:found.start()], clause[found.end():]
        asked = _ASKS.search(right)
        question = right[asked.start():] if asked is not None and asked.start() >= 2 else ""
        verb = _WANTS_DONE.match(left)
        doing = verb.group() if verb is not None and len(verb.group()) < len(left) - 1 else ""
        if asked is None:
            return left + after, doing + right + after
        return left + question, doing + right

    def _asking_part(self, spaced: str, core: str) -> str:
        """What a long message asks: its last clauses with a question word (冰箱洗衣机都泡坏了
        …受灾的人家政府有没有救助 asks about relief, not about fridges); a short one whole."""
        if len(core) < self.settings.long_message:
            return core
        asking = _asking_clauses(spaced)
        return self._compact(" ".join(asking)) if asking else core

    def _out_of_scope(self, core: str, answerable: list[_Scored]) -> bool:
        """Whether the message is about something no station answers (股票, 天气), unless one
        of the best entries is named whole somewhere else in it (社保卡密码忘记了)."""
        found = self._out_of_scope_re.search(core)
        if found is None:
            return False
        for scored in answerable[:3]:
            if scored.recall < EXACT_ALIAS:
                continue
            name = self._compact(self._index.phrases[scored.phrase].text)
            at = core.find(name)
            if at >= 0 and (at + len(name) <= found.start() or at >= found.end()):
                return False
        return True

    def _with_concepts(self, spaced: str) -> str:
        """The message with the catalogue's term added for each everyday word it uses for it
        (想申请个轮椅 -> … 辅助器具): situations told in the resident's words find the item."""
        compact = self._compact(spaced)
        terms = [term for term, cues in self._concepts if cues.search(compact)
                 and term not in compact]
        return spaced + (" " + " ".join(terms) if terms else "")

    def _report_told(self, core: str) -> int | None:
        """The report category one of whose own words the message holds whole; a two-character
        word (野狗, 噪音) only in a sentence, not alone with a place (2单元)."""
        found = [m.group() for m in self._report_words_re.finditer(core)
                 if len(m.group()) >= 3 or len(core) >= SENTENCE]
        return self._report_word_entry[max(found, key=len)] if found else None

    def _urgency(self, entry: int) -> int:
        """0 normal, 1 urgent, 2 emergency: a message telling of two problems (纸板箱堵了
        消防通道) is filed under the more urgent."""
        ref = self.entries[entry].ref
        return 2 if ref in self._emergency_categories else 1 if ref in self._urgent_categories \
            else 0

    def _names_another_place(self, core: str) -> tuple[str, ...]:
        """Other places the message is about (医院, 银行), unless it also names the station."""
        if self._station_re.search(core):
            return ()
        return tuple(p for p in self._other_places if p in core)

    def _names_no_problem(self, core: str) -> bool:
        """A message that only says there is something to report (阿姨想反映个问题)."""
        if not self._has_report_cue(core):
            return False
        rest = self._report_re.sub("", core)
        return not _GENERIC.sub("", rest).strip()

    def _has_report_cue(self, core: str) -> bool:
        """A problem word (坏了, 报修) that is not negated (我不是报修) and not part of a word
        that is no report (摔倒了)."""
        text = self._not_cue_re.sub("|", core)
        return any(not _NEGATED.search(text[:m.start()]) for m in self._report_re.finditer(text))

    def _menu_question(self, text: str, core: str, today: dt.date) -> Classification | None:
        """A canteen question (menu, hours, prices, delivery, meal points), or None.

        It needs a canteen word (食堂, 午饭), or a meal point's name with a day, a meal, food or
        a canteen topic (梅园在哪里), or a day or a meal with eating (明天吃什么): "血压高吃什么好"
        is not about the canteen.
        """
        said = next(((name, pid) for name, pid in self._points if name in core), None)
        point = said[1] if said else None
        day = read_day(core, today, self._holidays)
        date = day.date if day else None
        meal = parse_meal(core)
        topic = next((name for name, words in self._menu_topic_res if words.search(core)),
                     None)
        has_food = self._food_re.search(core) is not None
        has_eat = self._eat_re.search(core) is not None
        about_point = point is not None and (
            date is not None or meal is not None or has_food or (
                topic is not None and not self._has_report_cue(core)
                and not self._station_re.search(core)))
        found_dish = self._dish_re.search(core)
        dish = found_dish.group() if found_dish else None
        has_dish_word = self._foods_re.search(core) is not None   # 鱼, 饺子 (not 吃, 有啥)
        # Food itself, not a question word (有啥补贴 is no canteen price).
        eats_here = (has_eat or has_dish_word) if topic != "diet" else any(
            w in core for w in ("菜", "饭"))
        if not (self._menu_re.search(core) or about_point
                or (date is not None and meal is not None and has_food)
                or ((date is not None or meal is not None) and has_eat)
                or (date is not None and has_dish_word and not self._has_report_cue(core))
                or (topic is not None and (has_eat or eats_here) and topic not in (
                    "points", "diet")) or (topic == "diet" and eats_here)
                or (dish is not None and not self._has_report_cue(core))):
            return None
        if dish is not None and _COOKING.search(core) and not self._menu_re.search(core):
            return None           # 红烧肉怎么烧才好吃 is cooking, not the canteen
        if self._names_another_place(core) and not self._canteen_re.search(core):
            return None           # 菜场猪肉多少钱一斤: another place's prices
        if dish is not None and (date is None or _AGAIN.search(core)):
            topic = "dish"        # 狮子头啥辰光有, 那个咖喱鸡还会再做吗: when it is on
        if topic is None:
            topic = "dishes"
        elif date is not None and topic in ("hours", "points") and "几点" not in core:
            topic = "dishes"  # 明天食堂有什么 (a day named): the menu, not the opening hours
        if said is not None and said[0] in self._canteen_words and topic in ("hours", "points"):
            point = None      # 食堂几点开饭: every meal point's hours, not the main canteen's
        return Classification(text, MENU, date=date, meal=meal, meal_point=point, topic=topic,
                              score=1.0, normalised=core, days=day.days if day else 1,
                              date_unreadable=bool(day and day.unreadable))

    def _exactly(self, text: str, core: str, entry_no: int) -> Classification:
        """A message that is exactly one entry's name or alias."""
        entry = self.entries[entry_no]
        if entry.intent == REPORT:
            return Classification(text, REPORT, category=entry.ref, score=1.0, normalised=core,
                                  emergency=entry.ref if entry.ref in self._emergency_categories
                                  else None)
        others = [s for s in self._rank(core) if s.entry != entry_no
                  and self.entries[s.entry].intent == entry.intent]
        candidates = (Candidate(entry.ref, 1.0, entry.intent, entry.label), *(
            Candidate(self.entries[s.entry].ref, s.score, self.entries[s.entry].intent,
                      self.entries[s.entry].label) for s in others))
        return Classification(text, entry.intent, item=entry.ref, score=1.0,
                              candidates=candidates[:max(3, self.settings.clarify_choices)],
                              normalised=core)

    def _only(self, clean: str, words: tuple[str, ...], beside: tuple[str, ...] = ()) -> bool:
        """Whether the message is only these words (at least one), give or take fillers and
        the words `beside` (the bot addressed by a name: 早上好啊小助手)."""
        found = False
        rest = clean
        for word in words:
            if word in rest:
                found = True
                rest = rest.replace(word, "")
        if not found:
            return False
        for word in (*self._fillers, *beside):
            rest = rest.replace(word, "")
        return not rest.strip()

    def _rank(self, spaced: str) -> list[_Scored]:
        """Entries scored against the message, with the catalogue's terms for its everyday
        words: best alias recall, coverage, fuzzy similarity."""
        core = self._compact(self._with_concepts(spaced))
        index = self._index
        query_tokens = [t for t in self.tokenizer.tokens(core) if t not in self._stop]
        features = set(query_tokens)
        for run in _CJK_RUN.findall(core):
            features.update(run[i:i + 2] for i in range(len(run) - 1))
        # Candidates: the entries most similar by character n-grams.
        cosines = self._cosines(core)
        ranked = sorted(cosines.items(), key=itemgetter(1), reverse=True)[:CANDIDATES]
        shortlist = [_Scored(entry, 0.0, index.entry_phrases[entry][0], cosine=cosine)
                     for entry, cosine in ranked if entry in index.entry_phrases]
        if self._asked is not None and shortlist:
            # How much it reads like the questions asked about each candidate: only about the
            # candidates its own words name nearly as well as the best (a question about 社保卡
            # that reads like one about 居住证, 已经挂失了现在要补, is not about 居住证).
            gate = self.settings.asked_gate * shortlist[0].cosine
            close = [scored for scored in shortlist if scored.cosine >= gate]
            asked = self._asked.similarity(core, (scored.entry for scored in close))
            for scored in close:
                scored.asked = asked.get(scored.entry, 0.0)
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
        spans = self._spans(content)
        for scored in shortlist:
            scored.coverage = self._coverage(scored.entry, content, positions, composites,
                                             spans)
            scored.score = self.combine(scored)
        shortlist.sort(key=lambda s: (-s.score, s.entry))
        shortlist = shortlist[:SHORTLIST]
        for scored in shortlist[:FUZZY_TOP]:
            if not need_recall:
                self._recall(scored, features)  # finds the alias to compare with rapidfuzz
            scored.fuzzy = fuzz.partial_ratio(index.phrases[scored.phrase].text, core) / 100.0
            scored.score = self.combine(scored)
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

    @staticmethod
    def _spans(content: list[_Token]) -> list[tuple[int, int, float]]:
        """The parts of a message its coverage is judged on: the whole, and for a long one,
        overlapping windows of WINDOW content words; each with its total weight."""
        weights = [t.weight for t in content]
        bounds = [(0, len(content))]
        if len(content) > WINDOW:
            step = WINDOW // 2
            bounds += [(i, min(i + WINDOW, len(content)))
                       for i in range(0, len(content) - step, step)]
        return [(start, end, sum(weights[start:end]) or 1.0) for start, end in bounds]

    def _coverage(self, entry: int, content: list[_Token], positions: dict[str, list[int]],
                  composites: list[int], spans: list[tuple[int, int, float]]) -> float:
        """How much of the message's content (IDF-weighted) the entry's phrases explain.

        A long, rambling message is also judged part by part (`spans`: windows of content
        words with their total weight, from `_spans`), since the question may be buried in the
        middle of it; the best part counts.
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
        best = 0.0
        for start, end, total in spans:
            value = sum(gains[start:end]) / total
            if not any(topical[start:end]):
                # Only action words matched ("手机丢了怎么挂失"): not this entry's topic.
                value *= TOPICLESS
            best = max(best, value)
        return best

    def combine(self, s: _Scored) -> float:
        """The score of an entry from its signals."""
        w = self.settings
        score = (w.weight_recall * s.recall + w.weight_coverage * s.coverage
                 + w.weight_fuzzy * s.fuzzy + w.weight_cosine * s.cosine)
        if s.entry in self._asked_entries:   # an entry with no questions keeps its score
            score = (1 - w.weight_asked) * score + w.weight_asked * s.asked
        return score * self._entry_weight[s.entry]

    def rank(self, text: str) -> tuple[Candidate, ...]:
        """Every shortlisted entry scored, best first, without the exact-alias shortcut."""
        ranked = self._rank(self._normalised_core(text))
        return tuple(Candidate(self.entries[s.entry].ref, s.score, self.entries[s.entry].intent,
                               self.entries[s.entry].label) for s in ranked)

    def _normalised_core(self, text: str) -> str:
        return self.normaliser.normalise(text[:self.settings.max_message_chars]).core

    def signals(self, text: str) -> list[tuple[str, str, float, float, float, float]]:
        """(entry key, intent, recall, coverage, fuzzy, cosine) of the shortlist, for tuning."""
        ranked = self._rank(self._normalised_core(text))
        return [(self.entries[s.entry].key, self.entries[s.entry].intent, s.recall, s.coverage,
                 s.fuzzy, s.cosine) for s in ranked]

    def _candidates(self, ranked: list[_Scored]) -> tuple[Candidate, ...]:
        return tuple(Candidate(self.entries[s.entry].ref, s.score, self.entries[s.entry].intent,
                               self.entries[s.entry].label) for s in ranked)

    def _question_agrees(self, spaced: str, core: str, ranked: list[_Scored]) -> bool:
        """Whether a long message's question clauses, read alone, point to the same best
        entry as the whole message (我退休十几年了……想问问养老金能不能换张卡打): two readings
        that agree are answered."""
        if len(core) < self.settings.long_message or not ranked:
            return False
        asking = _asking_clauses(spaced)
        if not asking or " ".join(asking) == spaced.strip():
            return False
        pointed = self._rank(" ".join(asking))
        return bool(pointed) and pointed[0].entry == ranked[0].entry and \
            pointed[0].score >= self.settings.clarify_threshold

    def _decide(self, text: str, core: str, ranked: list[_Scored],
                agreed: Callable[[], bool] = lambda: False) -> Classification:
        settings = self.settings
        candidates = self._candidates(ranked)
        floor = (settings.long_clarify_threshold if len(core) >= settings.long_message
                 else settings.clarify_threshold)
        top = ranked[0] if ranked else None
        if top is not None and top.entry in self._agencies and (
                settings.agency_floor <= top.score < settings.agency_ceiling) and \
                top.score >= (settings.offer_ratio * (
                    ranked[1].score if len(ranked) > 1 else 0.0)):
            # 今年最低工资标准调到多少了: where to ask (12345) beats "I don't know"; 护照从来没办过
            # 去哪办 ahead of the other offices: where to go beats "which one did you mean".
            return Classification(text, FAQ, item=self.entries[top.entry].ref, score=top.score,
                                  candidates=candidates[:max(3, settings.clarify_choices)],
                                  normalised=core)
        if top is None or top.score < floor:
            told = self._answered_as_asked(text, core, ranked)
            if told is not None:     # 老年人那张坐车的卡寻不着了: worded as residents word it
                return told
            return Classification(text, FALLBACK, score=top.score if top else 0.0,
                                  candidates=candidates[:3], normalised=core)
        # What the message asks to be done, its parts set aside left out (社保卡挂失我打过电话
        # 已经挂好了，补卡要不要本人去: 补领, not 挂失).
        kept = self._compact(_said_for(self.normaliser.normalise(
            text[:self.settings.max_message_chars]).core))
        said = self._actions_said(kept or core)
        preferred = self._by_action(said, ranked)
        if preferred is not None:      # 敬老卡掉了: 挂失补领, not 申领
            chosen = ranked[preferred]
            others = self._close_siblings(ranked, candidates, preferred)
            order = (candidates[preferred], *candidates[:preferred],
                     *candidates[preferred + 1:])
            return Classification(text, AFFAIRS, item=self.entries[chosen.entry].ref,
                                  score=chosen.score,
                                  candidates=order[:max(3, settings.clarify_choices)],
                                  normalised=core,
                                  alternatives=others[:settings.sibling_choices])
        entry = self.entries[top.entry]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        lead = top.score - runner_up
        if (top.score >= settings.answer_threshold and lead >= settings.answer_margin) or \
                lead >= settings.lead_margin or top.score >= settings.lead_ratio * runner_up \
                or agreed():
            # A sibling not far behind (残疾人证补办 beside 申领) is still one tap away.
            return Classification(text, entry.intent, item=entry.ref, score=top.score,
                                  candidates=candidates[:max(3, settings.clarify_choices)],
                                  normalised=core, alternatives=self._close_siblings(
                                      ranked, candidates, 0)[:settings.sibling_choices])
        close = [n for n, s in enumerate(ranked[1:], start=1)
                 if top.score - s.score < settings.answer_margin]
        # A bare name (居住证) asks nothing yet: which of its items is for the resident to say.
        asks = bool(len(core) >= BARE_NAME or self._affairs_re.search(core)
                    or _QUESTION.search(core) or said)
        # The best ahead in proportion, or its close runners-up all its siblings: answered,
        # with those runners-up offered beside it (不是这个？回复 4 看…): one tap from the right
        # answer even when the lead is small.
        if asks and top.score >= settings.sibling_threshold and close and not \
                self._done_by_another(said, top.entry, [ranked[n].entry for n in close]) and (
                top.score >= settings.offer_ratio * runner_up or top.entry in self._agencies
                or self._only_action_match(said, top.entry, [ranked[n].entry for n in close])
                or all(self._siblings(top.entry, ranked[n].entry) for n in close)):
            return Classification(text, entry.intent, item=entry.ref, score=top.score,
                                  candidates=candidates[:max(3, settings.clarify_choices)],
                                  normalised=core, alternatives=tuple(
                                      candidates[n] for n in close[:settings.sibling_choices]))
        # One card's items with no action said (社保卡有问题哪能办): which is for the resident
        # to say, however the message reads.
        unsaid = not said and all(self._siblings(top.entry, other.entry)
                                  for other in ranked[1:max(3, settings.clarify_choices)])
        picked = self._picked_by_asked(core, ranked) if asks and not unsaid else None
        if picked is not None:
            # Close items, one of which reads like the questions residents asked about it far
            # more than the others: answered, the others offered (不是这个？回复 4 看…).
            answer = self.entries[ranked[picked].entry]
            others = tuple(c for n, c in enumerate(candidates[:max(3, settings.clarify_choices)])
                           if n != picked)
            return Classification(text, answer.intent, item=answer.ref,
                                  score=ranked[picked].score,
                                  candidates=(candidates[picked], *others), normalised=core,
                                  alternatives=others[:settings.sibling_choices])
        told = self._answered_as_asked(text, core, ranked) if asks and not unsaid else None
        if told is not None:
            return told
        return Classification(text, entry.intent, item=None, clarify=True, score=top.score,
                              candidates=self._at_least_three(candidates, top.entry)[
                                  :max(3, settings.clarify_choices)],
                              normalised=core)

    def _close_siblings(self, ranked: list[_Scored], candidates: tuple[Candidate, ...],
                        chosen: int) -> tuple[Candidate, ...]:
        """The chosen entry's siblings (the same card, another action) scoring within
        lead_margin of the best: offered beside the answer."""
        best = ranked[0].score
        return tuple(candidates[n] for n, s in enumerate(ranked)
                     if n != chosen and best - s.score < self.settings.lead_margin
                     and self._siblings(ranked[chosen].entry, s.entry))

    def _answered_as_asked(self, text: str, core: str, ranked: list[_Scored]
                           ) -> Classification | None:
        """A message its own words leave unsure of, that reads like the questions residents
        asked about one item (asked.toml) at least `asked_answer_floor`, and
        `asked_answer_ratio` times more than like any other item's: that item, answered, with
        the next such item offered beside it when it comes within half (不是这个？回复…).
        More items are compared than the few `_rank` scores: a situation told in a resident's
        words (老年人那张坐车的卡寻不着了) may name none of them well."""
        settings = self.settings
        if self._asked is None or settings.asked_answer_floor <= 0:
            return None
        similar = self._similar_to_asked(core)
        if not similar:
            return None
        order = sorted(similar, key=lambda e: (-similar[e], e))
        best = similar[order[0]]
        runner_up = similar[order[1]] if len(order) > 1 else 0.0
        if best < settings.asked_answer_floor or best < settings.asked_answer_ratio * runner_up:
            return None
        scored = {s.entry: s.score for s in ranked}
        picked = tuple(self._candidate(e, scored.get(e, 0.0))
                       for e in order[:2 if runner_up >= best / 2 else 1])
        chosen = {c.item for c in picked}
        answer = self.entries[order[0]]
        return Classification(text, answer.intent, item=answer.ref,
                              score=scored.get(order[0], 0.0),
                              candidates=(*picked, *(c for c in self._candidates(ranked)
                                                     if c.item not in chosen))[
                                  :max(3, settings.clarify_choices)],
                              normalised=core, alternatives=picked[1:])

    def _doubted(self, decided: Classification, core: str) -> Classification:
        """A direct answer below `asked_doubt_score` whose message reads like the residents'
        questions about another item at least `asked_doubt_floor`, and `asked_doubt_ratio`
        times more than like the answer's own: the two are offered to choose from."""
        settings = self.settings
        if self._asked is None or settings.asked_doubt_floor <= 0 or decided.clarify or \
                decided.intent != AFFAIRS or decided.item is None or \
                decided.score >= settings.asked_doubt_score:
            return decided
        similar = self._similar_to_asked(core)
        if not similar:
            return decided
        other = max(similar, key=lambda e: (similar[e], -e))
        answer = self._item_numbers.get(decided.item, -1)
        if other == answer or similar[other] < settings.asked_doubt_floor or \
                similar[other] < settings.asked_doubt_ratio * similar.get(answer, 0.0):
            return decided
        ranked_score = next((c.score for c in decided.candidates
                             if c.item == self.entries[other].ref), 0.0)
        offered = (decided.candidates[0], self._candidate(other, ranked_score), *(
            c for c in decided.candidates[1:] if c.item != self.entries[other].ref))
        return dataclasses.replace(decided, item=None, clarify=True, alternatives=(),
                                   candidates=self._at_least_three(offered, answer)[
                                       :max(3, settings.clarify_choices)])

    def _similar_to_asked(self, core: str) -> dict[int, float]:
        """How much the message reads like each item's residents' questions: the items its
        words come anywhere near (the `asked_pool` best by character cosine), not only the
        few `_rank` scores in full."""
        return self._recent_similar.read(core, self._read_against_asked)

    def _read_against_asked(self, core: str) -> dict[int, float]:
        if self._asked is None:
            return {}
        read = self._compact(self._with_concepts(core))
        pool: Iterable[int] = self._asked_items
        if self.settings.asked_pool:
            cosines = self._cosines(read)
            pool = heapq.nlargest(self.settings.asked_pool,
                                  (e for e in cosines if e in self._asked_entries),
                                  key=cosines.__getitem__)
        return self._asked.similarity(read, pool)

    def _cosines(self, read: str) -> dict[int, float]:
        """The character n-gram cosine of a read message with every entry (`_rank` and the
        residents' questions both ask for it)."""
        return self._recent_cosines.read(read, self._grams.cosine)

    def _candidate(self, entry: int, score: float) -> Candidate:
        found = self.entries[entry]
        return Candidate(found.ref, score, found.intent, found.label)

    def _picked_by_asked(self, core: str, ranked: list[_Scored]) -> int | None:
        """Among the items a clarification would offer, the place of the one the message reads
        like the residents' questions about (asked.toml) at least `asked_pick_floor`, and
        `asked_pick_ratio` times more than any other offered; else None."""
        settings = self.settings
        if self._asked is None or settings.asked_pick_floor <= 0:
            return None
        offered = [n for n, s in enumerate(ranked[:max(3, settings.clarify_choices)])
                   if self.entries[s.entry].intent == AFFAIRS]
        if not offered:
            return None
        similar = self._asked.similarity(self._compact(self._with_concepts(core)),
                                         (ranked[n].entry for n in offered))
        ordered = sorted(offered, key=lambda n: -similar.get(ranked[n].entry, 0.0))
        best = similar.get(ranked[ordered[0]].entry, 0.0)
        runner_up = similar.get(ranked[ordered[1]].entry, 0.0) if len(ordered) > 1 else 0.0
        if best >= settings.asked_pick_floor and best >= settings.asked_pick_ratio * runner_up:
            return ordered[0]
        return None

    @staticmethod
    def _subject(entry: Entry, actions: tuple[str, ...]) -> frozenset[str]:
        """What an item is done to, as three-character pieces of its name without its action
        words: 社会保障卡挂失 and 社会保障卡申领 share 社会保; FAQs have none."""
        if entry.intent != AFFAIRS or not entry.phrases:
            return frozenset()
        parts = [re.sub(r"[（）()《》]", "|", entry.phrases[0])]
        for action in sorted(actions, key=len, reverse=True):
            parts = [piece for part in parts for piece in part.split(action)]
        pieces = [piece for part in parts for piece in part.split("|")]
        return frozenset(piece[i:i + 3] for piece in pieces for i in range(len(piece) - 2))

    def _actions_said(self, core: str) -> frozenset[str]:
        """The actions a message asks for (丢了 -> 补领), leaving out those done already
        (已经挂失了, 挂失过了)."""
        said = set()
        for action, cues in self._action_cues:
            for match in cues.finditer(core):
                verb = any(v in match.group() for v in self._action_verbs)
                before = core[max(0, match.start() - 10):match.start()]
                after = core[match.end():match.end() + 6]     # 挂失电话也打过了
                if verb and (any(w in before for w in self._done_before) or any(
                        (w in after) if len(w) > 1 else after.startswith(w)
                        for w in self._done_after)):
                    continue
                if _NOT_THIS.search(before):    # 不是要补证 (是要查档案): not asked for
                    continue
                said.add(action)
                break
        return frozenset(said)

    def _by_action(self, said: frozenset[str], ranked: list[_Scored]) -> int | None:
        """The place in the ranking of the best item's sibling that does what the message asks
        (敬老卡掉了: 挂失补领 before 申领), when the best item does not; else None."""
        top = ranked[0]
        if self.entries[top.entry].intent != AFFAIRS or len(ranked) < 2:
            return None
        if not said or self._entry_actions[top.entry] & said:
            return None
        for n, scored in enumerate(ranked[1:], start=1):
            if top.score - scored.score >= self.settings.lead_margin:
                break
            if scored.score >= self.settings.clarify_threshold and \
                    self._siblings(top.entry, scored.entry) and \
                    self._entry_actions[scored.entry] & said:
                return n
        return None

    def _done_by_another(self, said: frozenset[str], best: int, close: list[int]) -> bool:
        """Whether the message asks for an action the best item does not do and one of its
        close runners-up does (医保卡余额怎么查: 查询, not 支取): not the best's to answer."""
        if not said or self._entry_actions[best] & said:
            return False
        return any(self._entry_actions[other] & said for other in close)

    def _only_action_match(self, said: frozenset[str], best: int, close: list[int]) -> bool:
        """Whether the best item alone, among its close runners-up, does what the message asks
        (给他办张社保卡: 申领 beside 补领, 挂失, 开通): the action decides."""
        if not said or not self._entry_actions[best] & said:
            return False
        return not any(self._entry_actions[other] & said for other in close)

    def _siblings(self, first: int, second: int) -> bool:
        """Two items about the same thing (card, certificate, scheme), another action each."""
        return bool(self._subjects[first] & self._subjects[second])

    def _at_least_three(self, candidates: tuple[Candidate, ...], best: int
                        ) -> tuple[Candidate, ...]:
        """A clarification offers at least three choices: when few entries matched, the best
        one's siblings (same catalogue category) complete the list."""
        if len(candidates) >= 3:
            return candidates
        seen = {c.item for c in candidates}
        group = self.entries[best].group
        siblings = tuple(Candidate(e.ref, 0.0, e.intent, e.label) for e in self.entries
                         if e.group == group and e.ref not in seen
                         and e.intent == self.entries[best].intent)
        return (candidates + siblings)[:3]
