"""Typed, immutable model of everything the station knows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

HANDLING_KINDS = ("当场办结", "当场受理", "收受分离", "仅咨询")
MEALS = ("breakfast", "lunch", "dinner")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED = "休息"


@dataclass(frozen=True)
class Window:
    """A counter at the station and the catalogue categories it serves."""

    name: str
    floor: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Station:
    """The station's own facts: written once, used by every answer."""

    name: str
    address: str
    phone: str
    hours: str
    duty_window: str
    duty_phone: str
    confirm_hint: str
    windows: tuple[Window, ...]
    # When staff answer chat (转人工): weekday ("mon") -> (opening, closing); absent = closed.
    office_hours: tuple[tuple[str, dt.time, dt.time], ...] = ()

    def window_for(self, category: str) -> Window | None:
        """The window serving a catalogue category, if any."""
        for window in self.windows:
            if category in window.categories:
                return window
        return None

    def placeholders(self) -> dict[str, str]:
        """Values for `{station}`, `{address}`... in FAQ answers."""
        return {
            "station": self.name,
            "address": self.address,
            "phone": self.phone,
            "hours": self.hours,
            "duty_window": self.duty_window,
            "duty_phone": self.duty_phone,
        }


@dataclass(frozen=True)
class AffairsItem:
    """One of the station's community-affairs items (社区事务受理)."""

    id: str
    name: str
    category: str
    department: str
    handling: str
    time_limit: str
    provenance: str
    confirmed: bool
    note: str
    aliases: tuple[str, ...]
    eligible: str
    materials: tuple[str, ...]
    steps: tuple[str, ...]
    fee: str
    hotline: str
    window: str = ""

    @property
    def on_the_spot(self) -> bool:
        """Whether the item is finished at the counter (当场办结)."""
        return self.handling == "当场办结"

    @property
    def needs_confirmation(self) -> bool:
        """Whether an answer must say the details are unconfirmed."""
        return not self.confirmed or self.provenance == "modelled"


@dataclass(frozen=True)
class FaqEntry:
    """A question about the station itself, with its answer template."""

    id: str
    question: str
    aliases: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class MealPoint:
    """The canteen or one of its meal points."""

    id: str
    name: str
    kind: str
    address: str
    aliases: tuple[str, ...]
    meals: tuple[str, ...]
    days: str
    hours: dict[str, str]
    note: str = ""


@dataclass(frozen=True)
class Prices:
    """Canteen prices in yuan, and the subsidy and payment notes."""

    set_a: int
    set_b: int
    breakfast: int
    dinner: int
    subsidy: str
    payment: str
    dish: int = 0                 # one dish chosen from the day's menu (自选)
    elder_subsidy: int = 0        # taken off the elder's own portion of a meal (one a meal), for
    #                               an elder signed up for delivery


@dataclass(frozen=True)
class Delivery:
    """Meal delivery for elders."""

    eligible: str
    signup: str
    fee: str
    hours: str
    order_deadline: str


@dataclass(frozen=True)
class DayMenu:
    """What the canteen serves on one day; empty tuples on a closed day."""

    date: dt.date
    set_a: tuple[str, ...]
    set_b: tuple[str, ...]
    breakfast: tuple[str, ...]
    dinner: tuple[str, ...]

    def dishes(self, meal: str) -> tuple[str, ...]:
        """Dishes of one meal ("lunch" is both sets together)."""
        if meal == "breakfast":
            return self.breakfast
        if meal == "dinner":
            return self.dinner
        return self.set_a + self.set_b


@dataclass(frozen=True)
class Canteen:
    """The canteen, its meal points, prices, delivery and menu calendar."""

    points: tuple[MealPoint, ...]
    prices: Prices
    delivery: Delivery
    menu: dict[dt.date, DayMenu]
    diet: str = ""                      # for residents with a diet (血压高, 糖尿病, 没牙)

    def point(self, point_id: str) -> MealPoint | None:
        """A meal point by id."""
        return next((p for p in self.points if p.id == point_id), None)

    def dishes(self) -> tuple[str, ...]:
        """Every dish of the menu calendar, once."""
        names = {d for day in self.menu.values()
                 for d in (*day.set_a, *day.set_b, *day.breakfast, *day.dinner)}
        return tuple(sorted(names))


@dataclass(frozen=True)
class Cutoff:
    """When orders for a meal close: `days_before` the day (0: the same day) at `time`."""

    days_before: int
    time: dt.time

    def moment(self, day: dt.date, zone: dt.tzinfo) -> dt.datetime:
        """The moment orders for `day` close, in the station's time zone."""
        return dt.datetime.combine(day - dt.timedelta(days=self.days_before), self.time,
                                   tzinfo=zone)

    @property
    def words(self) -> str:
        """"当天9:30" / "前一天17:00", as staff wrote it."""
        day = "当天" if self.days_before == 0 else (
            "前一天" if self.days_before == 1 else f"提前{self.days_before}天")
        return f"{day}{self.time.hour}:{self.time.minute:02d}"


@dataclass(frozen=True)
class PointOrders:
    """A meal point that takes orders in chat: each meal's cut-off, and whether dishes may be
    chosen instead of a set."""

    point: str
    cutoffs: dict[str, Cutoff]
    choose_dishes: bool = False


@dataclass(frozen=True)
class Bookings:
    """bookings.toml: meal orders, delivery for elders and counter appointments."""

    days_ahead: int = 7
    max_portions: int = 10
    points: tuple[PointOrders, ...] = ()
    delivery_cutoff: Cutoff | None = None
    delivery_meals: tuple[str, ...] = ()
    delivery_fee: int = 0
    delivery_min_age: int = 80
    slot_minutes: int = 30
    capacity: int = 0                         # 0: no appointments are taken
    appointment_days: int = 14
    remind_at: dt.time = dt.time(17, 0)
    saturday_on_the_spot_only: bool = True

    def orders_at(self, point_id: str) -> PointOrders | None:
        """The ordering rules of a meal point (None: it takes no orders in chat)."""
        return next((p for p in self.points if p.point == point_id), None)


@dataclass(frozen=True)
class ReportCategory:
    """An issue-report category (ids from the catalogue) and residents' words for it."""

    id: str
    name: str
    urgency: str
    response_hours: int
    keywords: tuple[str, ...]
    safety: str = ""
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmergencySituation:
    """A danger answered with safety instructions first, whatever its report category."""

    id: str
    name: str
    category: str                            # report category its ticket is filed under
    phrases: tuple[str, ...] = ()
    all_of: tuple[tuple[str, ...], ...] = ()
    unless: tuple[str, ...] = ()
    safety: str = ""                         # empty: the category's safety text


@dataclass(frozen=True)
class Lexicon:
    """Words the intent engine treats specially; staff-editable."""

    fillers: tuple[str, ...]
    greetings: tuple[str, ...]
    handoff: tuple[str, ...]
    wish_cues: tuple[str, ...]
    menu_words: tuple[str, ...]
    affairs_cues: tuple[str, ...]
    report_cues: tuple[str, ...]
    homophones: dict[str, str]
    stopwords: tuple[str, ...]
    acknowledgements: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()                              # 驿站, 小助手: said to the bot
    station_words: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()                           # 股票, 天气
    not_reports: tuple[str, ...] = ()                            # 水费, 态度, 打不着火
    own_things: tuple[str, ...] = ()                             # 遥控器, 手机: not the building's
    not_meals: tuple[str, ...] = ()                              # 吃饭都成问题: no canteen question
    action_cues: tuple[tuple[str, tuple[str, ...]], ...] = ()   # 补领: 丢了, 掉了
    concepts: tuple[tuple[str, tuple[str, ...]], ...] = ()      # 辅助器具: 轮椅, 助听器
    done_before: tuple[str, ...] = ()                            # 已经 (挂失): done already
    done_after: tuple[str, ...] = ()                             # (挂失)过了
    canteen_words: tuple[str, ...] = ()
    other_places: tuple[str, ...] = ()
    eat_words: tuple[str, ...] = ()
    food_words: tuple[str, ...] = ()
    place_suffixes: tuple[str, ...] = ()
    # canteen topic (delivery, price, hours, points, open) -> the words that ask about it
    menu_topics: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # words that contain a report cue but are no report (摔倒了 contains 倒了)
    report_not_cues: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()       # 你会做什么: answered with what the bot can do


@dataclass(frozen=True)
class Holiday:
    """A holiday or festival residents name (圣诞节, 元旦) and the dates it falls on.

    `public` holidays (法定节假日) close the station and the meal points that say so.
    """

    name: str
    aliases: tuple[str, ...]
    dates: tuple[dt.date, ...]
    public: bool = False


@dataclass(frozen=True)
class Person:
    """A building leader or volunteer."""

    name: str
    phone: str
    role: str
    away_until: dt.date | None = None
    wecom_userid: str = ""      # WeCom account: notifications and ticket commands
    telegram_id: str = ""       # Telegram user id, for a leader who works from Telegram


@dataclass(frozen=True)
class StaffMember:
    """Station staff on the duty rota."""

    name: str
    aliases: tuple[str, ...]
    phone: str
    title: str
    duty_days: tuple[str, ...]
    wecom_userid: str = ""
    telegram_id: str = ""


@dataclass(frozen=True)
class Compound:
    """A residential compound (小区)."""

    name: str
    aliases: tuple[str, ...]
    address: str


@dataclass(frozen=True)
class Building:
    """A building, its compound and its leader and backup."""

    name: str
    compound: str
    units: int
    floors: int
    leader: str
    backup: str


@dataclass(frozen=True)
class Roster:
    """Compounds, buildings, leaders and duty staff."""

    compounds: tuple[Compound, ...]
    buildings: tuple[Building, ...]
    people: tuple[Person, ...]
    staff: tuple[StaffMember, ...]


@dataclass(frozen=True)
class Knowledge:
    """Everything loaded from `knowledge/`."""

    station: Station
    items: tuple[AffairsItem, ...]
    faq: tuple[FaqEntry, ...]
    canteen: Canteen
    reports: tuple[ReportCategory, ...]
    lexicon: Lexicon
    roster: Roster
    holidays: tuple[Holiday, ...] = ()
    workdays: tuple[dt.date, ...] = ()      # make-up working days (调休) of calendar.toml
    emergencies: tuple[EmergencySituation, ...] = ()
    report_places: tuple[str, ...] = ()     # 楼道, 车库, 厨房: where residents say a problem is
    outside_places: tuple[str, ...] = ()    # 菜场, 马路上: places outside every building
    # asked.toml: questions residents asked, each with the item that answered it ("A001"); the
    # engine ranks an item higher the more a message reads like its questions
    asked: tuple[tuple[str, str], ...] = ()
    bookings: Bookings = field(default_factory=Bookings)
    items_by_id: dict[str, AffairsItem] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.items_by_id:
            self.items_by_id.update({item.id: item for item in self.items})

    def item(self, item_id: str) -> AffairsItem | None:
        """An affairs item by catalogue id."""
        return self.items_by_id.get(item_id)

    def faq_entry(self, faq_id: str) -> FaqEntry | None:
        """A FAQ entry by id."""
        return next((f for f in self.faq if f.id == faq_id), None)

    def report_category(self, category_id: str) -> ReportCategory | None:
        """A report category by id."""
        return next((c for c in self.reports if c.id == category_id), None)

    def emergency(self, situation_id: str) -> EmergencySituation | None:
        """An emergency situation by id."""
        return next((e for e in self.emergencies if e.id == situation_id), None)

    def safety_text(self, category_id: str | None, situation_id: str | None = None) -> str:
        """The safety instruction sent first: the situation's own, else its category's."""
        situation = self.emergency(situation_id or "")
        if situation is not None and situation.safety:
            return situation.safety
        category = self.report_category(
            situation.category if situation is not None else (category_id or ""))
        return category.safety if category is not None else ""

    def public_holiday(self, date: dt.date) -> bool:
        """Whether a day is a public holiday (法定节假日) listed in calendar.toml."""
        return any(h.public and date in h.dates for h in self.holidays)
