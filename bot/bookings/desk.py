"""The rules of bookings, applied: when orders close, what a meal costs, who may have meals
delivered, which counter slots are free, and what the kitchen cooks. The knowledge base gives
the rules (bookings.toml, canteen.toml, station.toml, calendar.toml); the unit of work the
orders and appointments."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.bookings import texts
from bot.db.models import Appointment, DeliveryElder, MealOrder, MealStop, Resident
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import AffairsItem, DayMenu, Knowledge, MealPoint
from bot.kb.opening_days import opening_days
from bot.working_time import WorkingCalendar

DELIVERY = "delivery"
_POINT_SAID = re.compile(r"([\u4e00-\u9fff]{1,8}?)(助餐点|吃饭点|饭堂|食堂)")
_POINT_LEAD = re.compile(r"^(?:.*?(?:在|到|去|从|的|里|订|拿|取))?"
                         r"(?:今天|明天|后天|中午|晚上|夜里|早上|早饭|中饭|午饭|晚饭|夜饭|早餐|午"
                         r"餐|晚餐)*")
_DAY_OR_MEAL = re.compile(r"(?:下下|下个?|这个?|本)?(?:礼拜|星期|周)[一二三四五六日天]|今天|明天|"
                          r"后天|今朝|"
                          r"明朝|后日|\d{1,2}月\d{1,2}[日号]?|\d{1,2}[日号]|中午|晚上|夜里|早上|中"
                          r"浪|夜快|"
                          r"早饭|中饭|午饭|晚饭|夜饭|早餐|午餐|晚餐|阿拉|我们|我")
_GENERIC_PLACES = ("驿站", "长者", "老年", "社区", "小区", "这个", "那个", "我们", "阿拉", "附近",
                   "楼下", "哪个", "哪里", "老人", "街道")
CONSULT_ONLY = "仅咨询"                 # items answered by phone or chat: no counter needed
_ELIGIBLE_REASONS = {"失能": "失能", "半失能": "失能", "瘫": "失能", "卧床": "失能",
                     "重残": "重残", "重度残疾": "重残", "一级残疾": "重残", "二级残疾": "重残",
                     "独居": "独居", "一个人住": "独居", "一家头": "独居", "一个人过": "独居",
                     "孤老": "独居", "纯老": "纯老", "老两口": "纯老", "两个老人": "纯老",
                     "就我们两个": "纯老", "老夫妻": "纯老", "两个人住": "纯老",
                     "两个老的": "纯老", "老两个": "纯老",
                     "和老伴住": "纯老", "跟老伴住": "纯老", "瘫痪": "失能", "半身不遂": "失能",
                     "不能走路": "失能", "残疾证一级": "重残", "残疾证二级": "重残"}


def day_words(day: dt.date) -> str:
    """"12月7日（周一）"."""
    return f"{day.month}月{day.day}日（{texts.WEEKDAY_NAMES[day.weekday()]}）"


def weekday_words(weekdays: str) -> str:
    """"0123456" -> "每天"; "01234" -> "周一至周五"; "024" -> "周一、周三、周五"."""
    days = sorted({int(c) for c in weekdays if c.isdigit() and int(c) < 7})
    if len(days) == 7:
        return "每天"
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"{texts.WEEKDAY_NAMES[days[0]]}至{texts.WEEKDAY_NAMES[days[-1]]}"
    return "、".join(texts.WEEKDAY_NAMES[d] for d in days)


def reason_of(text: str) -> str:
    """The situation that makes an elder eligible (独居, 纯老, 失能, 重残), "" if none said."""
    return next((reason for word, reason in _ELIGIBLE_REASONS.items() if word in text), "")


def age_of(text: str) -> int | None:
    """"85岁" / "八十五岁" -> 85."""
    match = re.search(r"(\d{2,3})\s*(?:岁|周岁)", text)
    if match:
        return int(match.group(1))
    match = re.search(r"([六七八九])十([一二三四五六七八九]?)\s*(?:岁|周岁)?", text)
    if match:
        tens = "六七八九".index(match.group(1)) + 6
        ones = "一二三四五六七八九".index(match.group(2)) + 1 if match.group(2) else 0
        return tens * 10 + ones
    return None


@dataclass(frozen=True)
class OrderSpec:
    """A meal order as the resident put it, complete."""

    days: tuple[dt.date, ...]
    meal: str
    choice: str                     # A, B, dishes
    dishes: tuple[str, ...]
    portions: int
    point: str                      # a meal point id, or DELIVERY
    diner: str = ""
    elder: DeliveryElder | None = None


@dataclass(frozen=True)
class Slot:
    """A counter slot with seats left."""

    day: dt.date
    start: str
    free: int

    @property
    def key(self) -> str:
        """"2026-11-25 09:00"."""
        return f"{self.day.isoformat()} {self.start}"


class BookingDesk:
    """Orders, delivery and appointments by the station's rules."""

    def __init__(self, knowledge: Knowledge, calendar: WorkingCalendar,
                 zone: dt.tzinfo) -> None:
        self.knowledge = knowledge
        self.rules = knowledge.bookings
        self.canteen = knowledge.canteen
        self.calendar = calendar
        self.zone = zone

    # -- meal points and cut-offs ----------------------------------------------------------
    def point_name(self, point_id: str) -> str:
        """The meal point's name ("送餐上门" for delivery)."""
        point = self.canteen.point(point_id)
        return point.name if point is not None else "送餐上门"

    def kitchen(self) -> MealPoint | None:
        """The canteen whose kitchen cooks every meal (deliveries leave from it)."""
        return next((p for p in self.canteen.points if p.kind == "canteen"), None)

    def opens(self, point: MealPoint, day: dt.date) -> bool:
        """Whether a point opens that day (public holidays close some)."""
        days = opening_days(point.days)
        return day.weekday() in days.weekdays and not (
            days.closed_on_holidays and self.knowledge.public_holiday(day))

    def orderable_points(self, day: dt.date, meal: str, stops: Sequence[MealStop] = ()
                         ) -> list[MealPoint]:
        """The points taking orders for that meal that day (none the station closed)."""
        return [p for p in self.canteen.points if meal in p.meals and self.opens(p, day)
                and (rules := self.rules.orders_at(p.id)) is not None and meal in rules.cutoffs
                and closure(stops, p.id, day, meal) is None]

    def cutoff(self, point: str, meal: str, day: dt.date) -> dt.datetime | None:
        """When orders for that meal at that point close (None: not taken in chat)."""
        if point == DELIVERY:
            rule = self.rules.delivery_cutoff
        else:
            rules = self.rules.orders_at(point)
            rule = rules.cutoffs.get(meal) if rules is not None else None
        return rule.moment(day, self.zone) if rule is not None else None

    def cutoff_words(self, point: str, meal: str, day: dt.date) -> str:
        """"12月7日 9:30"."""
        moment = self.cutoff(point, meal, day)
        if moment is None:
            return ""
        return f"{moment.month}月{moment.day}日{moment.hour}:{moment.minute:02d}"

    def open_for_change(self, order: MealOrder, now: dt.datetime) -> bool:
        """Whether an order may still be changed or cancelled."""
        moment = self.cutoff(order.point, order.meal, order.day)
        return moment is not None and now < moment

    def home_point(self, building: str | None, meal: str, day: dt.date) -> MealPoint | None:
        """The meal point of the resident's own compound, when it serves that meal that day."""
        if not building:
            return None
        found = next((b for b in self.knowledge.roster.buildings if b.name == building), None)
        if found is None:
            return None
        compound = found.compound.removesuffix("小区").removesuffix("新村").removesuffix("公寓")
        return next((p for p in self.orderable_points(day, meal)
                     if p.kind == "meal_point" and compound and compound in p.name), None)

    def point_named(self, text: str) -> MealPoint | None:
        """The meal point a message names (梅园助餐点, 食堂)."""
        best: tuple[int, MealPoint] | None = None
        for point in self.canteen.points:
            for word in (point.name, *point.aliases):
                if word and word in text and (best is None or len(word) > best[0]):
                    best = (len(word), point)
        if best is None:
            for point in self.canteen.points:
                short = point.name[:2]
                if point.kind == "meal_point" and short in text:
                    return point
        return best[1] if best else None

    def unknown_point(self, text: str) -> str:
        """A meal point the message names that the station does not have (火星食堂, 幸福里助餐点),
        or "" (梅园食堂 and 驿站食堂 are ours; 在食堂 is the canteen)."""
        for match in _POINT_SAID.finditer(text):
            said = _DAY_OR_MEAL.split(_POINT_LEAD.sub("", match.group(1)))[-1]
            if not said or said.endswith(_GENERIC_PLACES):
                continue
            whole = said + match.group(2)
            if not any(whole in word or word.endswith(whole) or said in word
                       for point in self.canteen.points for word in (point.name, *point.aliases)):
                return whole
        return ""

    # -- what a meal costs -------------------------------------------------------------------
    def unit_price(self, meal: str, choice: str, dishes: Sequence[str]) -> int:
        """One portion's price before any subsidy."""
        prices = self.canteen.prices
        if choice == "dishes":
            return prices.dish * len(dishes)
        if meal == "breakfast":
            return prices.breakfast
        if meal == "dinner":
            return prices.dinner
        return prices.set_b if choice == "B" else prices.set_a

    def owed(self, spec: OrderSpec) -> tuple[int, int]:
        """What one day's order costs, and the elder subsidy taken off it."""
        unit = self.unit_price(spec.meal, spec.choice, spec.dishes)
        fee = self.rules.delivery_fee if spec.point == DELIVERY else 0
        discount = 0
        if spec.elder is not None and (spec.elder.age or 0) >= 60:
            discount = min(self.canteen.prices.elder_subsidy, unit)   # one portion: the elder's
        return unit * spec.portions + fee * spec.portions - discount, discount

    def what(self, choice: str, dishes: Sequence[str], meal: str = "lunch") -> str:
        """"套餐A" / "红烧肉、清炒时蔬" / "晚餐" (breakfast and dinner have one menu)."""
        if choice == "dishes":
            return "、".join(dishes)
        if meal != "lunch":
            return texts.MEAL_PLAIN.format(meal=texts.MEAL_NAMES.get(meal, meal))
        return texts.SET_NAME.format(letter=choice)

    def summary(self, order: MealOrder | OrderSpec, day: dt.date | None = None,
                place: str = "") -> str:
        """One line: day, meal, what, portions, where, for whom."""
        point = order.point
        dishes = tuple(d for d in order.dishes.split("、") if d) \
            if isinstance(order.dishes, str) else order.dishes
        where = (texts.WHERE_DELIVERY.format(place=place or "家里") if point == DELIVERY
                 else texts.WHERE_POINT.format(point=self.point_name(point)))
        when = day or (order.day if isinstance(order, MealOrder) else order.days[0])
        return texts.ORDER_LINE.format(
            day=day_words(when), meal=texts.MEAL_NAMES.get(order.meal, ""),
            what=_spaced(self.what(order.choice, dishes, order.meal), order.meal),
            portions=order.portions, where=where,
            diner=texts.FOR_DINER.format(diner=order.diner) if order.diner else "")

    def days_summary(self, spec: OrderSpec, place: str = "") -> str:
        """The order over all its days (礼拜一到礼拜五 is five lines)."""
        return "\n".join(self.summary(spec, day, place) for day in spec.days)

    # -- placing orders ------------------------------------------------------------------------
    def day_refusal(self, day: dt.date, today: dt.date) -> str:
        """Why no order is taken for that day at all: it is past, or beyond `days_ahead`
        ("" when it is within reach)."""
        last = today + dt.timedelta(days=self.rules.days_ahead)
        if day < today:
            return texts.PAST_DAY.format(day=day_words(day), ahead=self.rules.days_ahead)
        if day > last:
            return texts.TOO_FAR.format(ahead=self.rules.days_ahead, last=day_words(last))
        return ""

    def refusal(self, spec: OrderSpec, now: dt.datetime, stops: Sequence[MealStop] = ()
                ) -> str | None:
        """Why this order cannot be taken, or None: the portions, the day, the point, its
        cut-off, the menu, what the station closed or ran out of."""
        today = now.date()
        phone = self.knowledge.station.phone
        if not 1 <= spec.portions <= self.rules.max_portions:
            return (texts.PORTIONS_TOO_MANY.format(most=self.rules.max_portions, phone=phone)
                    if spec.portions > self.rules.max_portions
                    else texts.PORTIONS_BAD.format(most=self.rules.max_portions))
        for day in spec.days:
            out_of_reach = self.day_refusal(day, today)
            if out_of_reach:
                return out_of_reach
            menu = self.canteen.menu.get(day)
            if menu is None:
                return texts.NO_MENU.format(day=day_words(day))
            if spec.point != DELIVERY:
                point = self.canteen.point(spec.point)
                if point is None:
                    return texts.NO_ORDERS_HERE.format(phone=phone)
                if spec.meal not in point.meals:
                    return texts.NO_MEAL_AT_POINT.format(
                        point=point.name, meal=texts.MEAL_NAMES[spec.meal])
                if not self.opens(point, day) or not menu.dishes(spec.meal):
                    others = [p.name for p in self.orderable_points(day, spec.meal)
                              if p.id != point.id and menu.dishes(spec.meal)]
                    return texts.CLOSED_DAY.format(
                        day=day_words(day), point=point.name,
                        alternatives=texts.ALTERNATIVES.format(points="、".join(others))
                        if others else "")
            elif spec.meal not in self.rules.delivery_meals:
                return texts.DELIVERY_NO_MEAL.format(meals="、".join(
                    texts.MEAL_NAMES[m] for m in self.rules.delivery_meals))
            closed = closure(stops, spec.point, day, spec.meal)
            if closed is not None:
                others = [p.name for p in self.orderable_points(day, spec.meal, stops)
                          if p.id != spec.point]
                return texts.CLOSED_BY_STATION.format(
                    day=day_words(day), meal=texts.MEAL_NAMES[spec.meal],
                    point=self.point_name(spec.point),
                    why=f"因{closed.why}" if closed.why else "",
                    alternatives=texts.ALTERNATIVES.format(points="、".join(others))
                    if others else "")
            gone = self.sold_out(stops, spec, day, menu)
            if gone:
                return texts.SOLD_OUT_REFUSED.format(day=day_words(day),
                                                     meal=texts.MEAL_NAMES[spec.meal], dish=gone)
            moment = self.cutoff(spec.point, spec.meal, day)
            if moment is None:
                return texts.NOT_ORDERABLE.format(point=self.point_name(spec.point),
                                                  meal=texts.MEAL_NAMES[spec.meal])
            if now >= moment:
                return texts.PAST_CUTOFF.format(
                    day=day_words(day), meal=texts.MEAL_NAMES[spec.meal],
                    point=self.point_name(spec.point),
                    cutoff=self.cutoff_words(spec.point, spec.meal, day),
                    hint=texts.PAST_CUTOFF_HINT if spec.point != DELIVERY else "")
            if spec.choice == "dishes":
                missing = [d for d in spec.dishes if d not in menu.dishes(spec.meal)]
                if missing or not spec.dishes:
                    return texts.DISHES_UNKNOWN.format(day=day_words(day), dishes="、".join(
                        menu.dishes(spec.meal)))
        return None

    def sold_out(self, stops: Sequence[MealStop], spec: OrderSpec, day: dt.date,
                 menu: DayMenu) -> str:
        """The sold-out dish or set the order holds that day ("" when none)."""
        held = set(spec.dishes) if spec.choice == "dishes" else (
            {*menu.dishes(spec.meal), f"套餐{spec.choice}"} if spec.meal != "lunch" else
            {*(menu.set_b if spec.choice == "B" else menu.set_a), f"套餐{spec.choice}"})
        return next((s.dish for s in stops if s.dish and s.day == day
                     and s.meal in ("", spec.meal) and s.dish in held), "")

    async def place(self, uow: UnitOfWork, resident: Resident, spec: OrderSpec,
                    now: dt.datetime, replaces: Sequence[MealOrder] = ()) -> list[MealOrder]:
        """Write one order per day. A change of as many days keeps its orders and their codes
        (F0012 stays F0012), changed in place; otherwise the replaced orders are cancelled."""
        owed, _ = self.owed(spec)
        if replaces and len(replaces) == len(spec.days):
            for old, day in zip(sorted(replaces, key=lambda o: o.day), spec.days, strict=True):
                old.day, old.meal, old.point, old.choice = day, spec.meal, spec.point, spec.choice
                old.dishes, old.portions, old.owed = "、".join(spec.dishes), spec.portions, owed
                old.updated_at, old.note = now, "changed"
            return sorted(replaces, key=lambda o: o.day)
        for old in replaces:
            old.state, old.updated_at, old.note = "cancelled", now, "changed"
        placed = []
        for day in spec.days:
            placed.append(await uow.orders.add(MealOrder(
                resident_id=resident.id, elder_id=spec.elder.id if spec.elder else None,
                diner=spec.diner, point=spec.point, day=day, meal=spec.meal,
                choice=spec.choice, dishes="、".join(spec.dishes), portions=spec.portions,
                owed=owed, state="active", note="", created_at=now, updated_at=now)))
        return placed

    # -- delivery for elders -------------------------------------------------------------------
    def eligibility(self, age: int | None, reason: str) -> str | None:
        """None when eligible; "assessment" when an assessment must come first; "no"."""
        if reason == "重残":
            return None
        if reason == "失能":
            return None
        if reason in ("独居", "纯老") and age is not None and age >= self.rules.delivery_min_age:
            return None
        return "no"

    def assessment_item(self) -> AffairsItem | None:
        """The affairs item of the care assessment (长护险 / 照护评估), for elders who need one."""
        return next((i for i in self.knowledge.items
                     if "评估" in i.name and ("照护" in i.name or "长护" in i.name
                                              or "护理" in i.name)), None)

    def first_delivery(self, now: dt.datetime, meal: str) -> dt.date:
        """The first day whose delivery can still be ordered."""
        day = now.date()
        while True:
            moment = self.cutoff(DELIVERY, meal, day)
            if moment is None or now < moment:
                return day
            day += dt.timedelta(days=1)

    async def deliveries(self, uow: UnitOfWork, day: dt.date, meal: str
                         ) -> list[tuple[str, str, str, str, int, str]]:
        """The day's delivery list: (building, room, name, what (套餐A, 晚餐, or the dishes),
        portions, note), the standing orders (not paused) and the one-off delivery orders, by
        building and floor."""
        paused = await uow.deliveries.paused_on(day)
        rows: list[tuple[str, str, str, str, int, str]] = []
        standing_for: set[int] = set()
        approved = await uow.deliveries.approved()
        for elder in approved:
            if meal in standing_meals(elder) and str(day.weekday()) in elder.weekdays \
                    and elder.id not in paused and elder.decided_at is not None \
                    and day >= self.first_delivery(elder.decided_at.astimezone(self.zone), meal):
                rows.append((elder.building, elder.room, elder.name,
                             self.what(elder.choice, (), meal), elder.portions, ""))
                standing_for.add(elder.id)
        elders = {e.id: e for e in approved}
        for order in await uow.orders.on(day, meal, DELIVERY):
            signed = elders.get(order.elder_id or 0)
            if signed is None:
                continue
            what = self.what(order.choice, [d for d in order.dishes.split("、") if d], meal)
            note = "（加订）" if signed.id in standing_for else ""
            rows.append((signed.building, signed.room, signed.name, what, order.portions, note))
        return sorted(rows, key=lambda r: (_number(r[0]), _number(r[1]), r[2]))

    async def counts(self, uow: UnitOfWork, day: dt.date, meal: str
                     ) -> dict[str, Counter[str]]:
        """Portions per meal point (delivery included) per set or dish."""
        result: dict[str, Counter[str]] = {}
        for order in await uow.orders.on(day, meal):
            if order.point == DELIVERY:
                continue
            tally = result.setdefault(order.point, Counter())
            if order.choice == "dishes":
                for dish in order.dishes.split("、"):
                    tally[dish] += order.portions
            else:
                tally[self.what(order.choice, (), meal)] += order.portions
        for _, _, _, what, portions, _ in await self.deliveries(uow, day, meal):
            tally = result.setdefault(DELIVERY, Counter())
            for part in what.split("、"):
                tally[part] += portions
        return result

    # -- counter appointments -------------------------------------------------------------------
    def needs_counter(self, item: AffairsItem) -> bool:
        """Whether an item is done at the counter (a consultation is not)."""
        return item.handling != CONSULT_ONLY

    def window_of(self, item: AffairsItem) -> str:
        """"4号窗口（1楼综合受理大厅）"."""
        station = self.knowledge.station
        window = next((w for w in station.windows if item.window == w.name
                       or item.category in w.categories), None)
        if window is None:
            return station.duty_window
        return texts.WINDOW_AT.format(window=window.name, floor=window.floor)

    def slot_starts(self, day: dt.date, item: AffairsItem) -> list[str]:
        """The slot starts of a day for an item (none on a day off; on Saturdays only items
        finished on the spot, where the station says so)."""
        hours = self.calendar.opening(day)
        if hours is None or self.rules.capacity <= 0:
            return []
        if day.weekday() == 5 and self.rules.saturday_on_the_spot_only and not item.on_the_spot \
                and day not in self.calendar.workdays:
            return []
        start = dt.datetime.combine(day, hours[0])
        end = dt.datetime.combine(day, hours[1])
        step = dt.timedelta(minutes=self.rules.slot_minutes)
        starts = []
        while start + step <= end:
            starts.append(start.strftime("%H:%M"))
            start += step
        return starts

    async def free_slots(self, uow: UnitOfWork, item: AffairsItem, now: dt.datetime,
                         day: dt.date | None = None, half: str | None = None,
                         at: dt.time | None = None, limit: int = 5) -> list[Slot]:
        """Free slots from a day (or from today) on, in the half-day or near the time asked."""
        first = day or now.date()
        last = now.date() + dt.timedelta(days=self.rules.appointment_days)
        taken = await uow.appointments.taken(first, last)
        found: list[Slot] = []
        current = first
        soonest = now + dt.timedelta(minutes=30)
        while current <= last and len(found) < limit:
            for start in self.slot_starts(current, item):
                moment = dt.datetime.combine(current, dt.time.fromisoformat(start),
                                             tzinfo=self.zone)
                if moment < soonest:
                    continue
                if day is not None and current == day and half is not None and (
                        moment.hour >= 12 if half == "am" else moment.hour < 13):
                    continue   # 12:00-13:00 is neither morning nor afternoon
                if day is not None and current == day and at is not None and \
                        moment.time() < at:
                    continue
                free = self.rules.capacity - taken.get((current, start), 0)
                if free > 0:
                    found.append(Slot(current, start, free))
                    if len(found) >= limit:
                        break
            current += dt.timedelta(days=1)
        return found

    def materials(self, item: AffairsItem) -> str:
        """The item's whole list of what to bring, one per line."""
        return "\n".join(f"{n}. {m}" for n, m in enumerate(item.materials, start=1))

    def appointment_words(self, booking: Appointment) -> tuple[str, str, str]:
        """(day, start, item name) for messages."""
        item = self.knowledge.item(booking.item_id)
        return day_words(booking.day), booking.start, item.name if item else booking.item_id


def _spaced(what: str, meal: str) -> str:
    """" 套餐A" after the meal's name; nothing when the meal's name says it (晚餐)."""
    return "" if what == texts.MEAL_NAMES.get(meal) else f" {what}"


def standing_meals(elder: DeliveryElder) -> tuple[str, ...]:
    """The meals an elder's standing order delivers."""
    return ("lunch", "dinner") if elder.meal == "both" else (elder.meal,)


def closure(stops: Sequence[MealStop], point: str, day: dt.date, meal: str
            ) -> MealStop | None:
    """The station's closure of a point (or of every point) for that day and meal."""
    return next((s for s in stops if not s.dish and s.day == day and s.point in ("", point)
                 and s.meal in ("", meal)), None)


def _number(text: str) -> int:
    match = re.search(r"\d+", text or "")
    return int(match.group()) if match else 0
