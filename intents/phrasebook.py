"""What the engine is built from: entries with their phrases, and the special word lists."""

from __future__ import annotations

from dataclasses import dataclass, field

from intents.dates import NamedDay
from intents.safety import EmergencySigns


@dataclass(frozen=True)
class Entry:
    """Something a message can be about: an affairs item, a FAQ, a report category."""

    key: str                     # "A001", "faq:station.hours", "report:lighting"
    intent: str                  # affairs.ask, faq.ask, report.new
    label: str                   # what a clarification shows
    phrases: tuple[str, ...]     # the official name first, then aliases / keywords
    group: str = ""              # catalogue category, for reports and diagnostics

    @property
    def ref(self) -> str:
        """The id without its kind prefix ("faq:station.hours" -> "station.hours")."""
        return self.key.split(":", 1)[1] if ":" in self.key else self.key


@dataclass(frozen=True)
class Phrasebook:
    """Everything the engine needs, already extracted from the knowledge base."""

    entries: tuple[Entry, ...]
    fillers: tuple[str, ...] = ()
    greetings: tuple[str, ...] = ()
    acknowledgements: tuple[str, ...] = ()     # 谢谢, 好的: answered with a short reply
    addresses: tuple[str, ...] = ()            # 驿站, 小助手: the bot addressed by a name
    handoff: tuple[str, ...] = ()
    wish_cues: tuple[str, ...] = ()
    menu_words: tuple[str, ...] = ()           # words that are about the canteen on their own
    eat_words: tuple[str, ...] = ()            # 吃: about the canteen with a day or a meal
    food_words: tuple[str, ...] = ()           # about the menu with a meal point's name
    menu_topics: tuple[tuple[str, tuple[str, ...]], ...] = ()   # (topic, words), in order
    affairs_cues: tuple[str, ...] = ()
    report_cues: tuple[str, ...] = ()
    report_not_cues: tuple[str, ...] = ()      # 摔倒了 hides the cue 倒了
    actions: tuple[str, ...] = ()              # 申领, 挂失: what is done to a card
    out_of_scope: tuple[str, ...] = ()         # 股票, 天气: nothing the station answers
    not_reports: tuple[str, ...] = ()          # 水费, 态度: a bill or a company, no repair
    own_things: tuple[str, ...] = ()           # 遥控器, 手机: a resident's own, no repair
    not_meals: tuple[str, ...] = ()            # 吃饭都成问题, 有啥好领: eating words, no meal
    action_cues: tuple[tuple[str, tuple[str, ...]], ...] = ()  # 补领 is said 丢了, 掉了
    # A catalogue term and the everyday words for what it covers (辅助器具: 轮椅, 助听器)
    concepts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    done_before: tuple[str, ...] = ()          # 已经挂失: an action done already
    done_after: tuple[str, ...] = ()           # 挂失过了
    station_words: tuple[str, ...] = ()        # 驿站, 你们: the station is the subject
    canteen_words: tuple[str, ...] = ()        # 食堂, 助餐点: the canteen is the subject
    other_places: tuple[str, ...] = ()         # 医院, 银行: another place is the subject
    stopwords: tuple[str, ...] = ()
    homophones: dict[str, str] = field(default_factory=dict)
    meal_points: tuple[tuple[str, tuple[str, ...]], ...] = ()   # (point id, names)
    place_suffixes: tuple[str, ...] = ()       # 助餐点, 小区: a meal point's short name drops them
    holidays: tuple[NamedDay, ...] = ()
    emergencies: tuple[EmergencySigns, ...] = ()   # read before anything else
    dishes: tuple[str, ...] = ()               # the menu's dishes: 狮子头啥辰光有 asks the menu
    capabilities: tuple[str, ...] = ()         # 侬会做点啥: what the bot can do
    emergency_categories: tuple[str, ...] = ()     # a report of these is an emergency too
    urgent_categories: tuple[str, ...] = ()        # urgent or emergency: never taken for a wish
    # Questions residents asked, each with the key of the item that answered it ("A001"): a
    # message reading like them is about that item.
    asked: tuple[tuple[str, str], ...] = ()
