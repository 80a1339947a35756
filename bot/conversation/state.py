"""What the bot remembers between two messages, typed, and its JSON form in storage.

Per conversation (platform, chat, person): the numbered choices offered, a report or wish being
taken, an emergency whose place is still wanted, and the person's last few messages (handed to
staff when they ask for a person). Per resident, across platforms: the questions the bot asked
them and still waits for (已修好了吗, a thank-you line for a fulfilled wish).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from intents.details import Place

SAID_KEPT = 5                            # messages kept for a handoff
SAID_FOR = dt.timedelta(days=1)          # and for how long
QUESTIONS_FOR = dt.timedelta(days=7)     # longer than the 3 days after which a repair closes


@dataclass(frozen=True)
class Choice:
    """One numbered option offered: what to do if the person replies its number."""

    action: str      # "item", "faq", "materials", "steps", "eligible", "menu"
    ref: str         # item id, faq id, or an ISO date + meal for menus
    label: str


@dataclass(frozen=True)
class PendingChoices:
    """Numbered choices waiting for a number."""

    choices: tuple[Choice, ...]
    expires_at: dt.datetime


ReportQuestion = Literal["problem", "building", "building_confirm"]
WishQuestion = Literal["wish", "building", "anonymous"]


@dataclass(frozen=True)
class ReportDraft:
    """A report being taken: what is known so far and the question asked."""

    awaiting: ReportQuestion
    expires_at: dt.datetime
    category: str | None = None
    building: str | None = None          # a building of the roster
    place: Place = field(default_factory=Place)   # below the building: unit, floor, room, spot
    description: str = ""
    photos: tuple[str, ...] = ()
    building_checked: bool = True        # False: only remembered, to be confirmed first
    asked_again: int = 0                 # answers in a row that told nothing asked for


@dataclass(frozen=True)
class WishDraft:
    """A 微心愿 being taken."""

    awaiting: WishQuestion
    expires_at: dt.datetime
    description: str = ""
    building: str | None = None
    anonymous: bool | None = None


@dataclass(frozen=True)
class PlaceWanted:
    """An emergency was filed before anyone knew where: the next address belongs to it."""

    code: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Said:
    """One message the person sent."""

    at: dt.datetime
    text: str


OrderQuestion = Literal["day", "point", "what", "confirm"]


@dataclass(frozen=True)
class OrderDraft:
    """A meal order being taken (or an order being changed: `replaces` its codes)."""

    awaiting: OrderQuestion
    expires_at: dt.datetime
    days: tuple[dt.date, ...] = ()
    meal: str | None = None
    choice: str | None = None            # "A", "B", "dishes"
    dishes: tuple[str, ...] = ()
    portions: int = 1
    point: str | None = None             # a meal point id, or "delivery"
    diner: str = ""
    elder: int | None = None             # the elder signed up for delivery it is for
    replaces: tuple[int, ...] = ()


SignupQuestion = Literal["elder", "confirm"]


@dataclass(frozen=True)
class SignupDraft:
    """An elder being signed up for delivery, with the standing order asked for."""

    awaiting: SignupQuestion
    expires_at: dt.datetime
    name: str = ""
    kin: str = ""                        # 妈: how the one signing up calls them
    building: str | None = None
    room: str = ""
    age: int | None = None
    reason: str = ""                     # 独居, 纯老, 失能, 重残
    meal: str = "lunch"                  # lunch, dinner, both
    choice: str = "A"
    portions: int = 1
    weekdays: str = "0123456"


AppointmentQuestion = Literal["item", "slot"]


@dataclass(frozen=True)
class AppointmentDraft:
    """A counter appointment being booked (or moved: `moves` its id)."""

    awaiting: AppointmentQuestion
    expires_at: dt.datetime
    item: str | None = None
    offered: tuple[str, ...] = ()        # "2026-11-25 09:00" (or item ids), numbered from 1
    moves: int | None = None
    day: dt.date | None = None           # the day and time asked for before the item was known
    half: str | None = None
    time: str | None = None              # "09:30"


@dataclass(frozen=True)
class RecentBooking:
    """What was just booked (orders F0012, an appointment Y0007): "取消" or "两份" right after
    is about it."""

    codes: tuple[str, ...]
    expires_at: dt.datetime


Draft = ReportDraft | WishDraft | OrderDraft | SignupDraft | AppointmentDraft
BookingDraft = OrderDraft | SignupDraft | AppointmentDraft


@dataclass(frozen=True)
class ConversationState:
    """One conversation's memory. Empty when nothing is pending."""

    choices: PendingChoices | None = None
    draft: Draft | None = None
    place_wanted: PlaceWanted | None = None
    said: tuple[Said, ...] = ()
    recent: RecentBooking | None = None
    # A draft that expired unfinished, seen on reading (never stored): the next answer to it
    # is told so instead of being taken for something else.
    lapsed: Draft | None = None

    def live(self, now: dt.datetime) -> ConversationState:
        """The state without what has expired by `now`."""
        expired = self.draft is not None and now >= self.draft.expires_at
        return ConversationState(
            self.choices if self.choices and now < self.choices.expires_at else None,
            None if expired else self.draft,
            self.place_wanted if self.place_wanted and now < self.place_wanted.expires_at
            else None,
            tuple(s for s in self.said if now - s.at < SAID_FOR),
            self.recent if self.recent and now < self.recent.expires_at else None,
            self.draft if expired else self.lapsed)

    @property
    def busy(self) -> bool:
        """Whether the bot waits for an answer in this conversation."""
        return bool(self.choices or self.draft or self.place_wanted)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to keep."""
        return not self.busy and not self.said and self.recent is None

    @property
    def expires_at(self) -> dt.datetime | None:
        """When the last part of it expires."""
        ends = [x.expires_at for x in (self.choices, self.draft, self.place_wanted, self.recent)
                if x]
        ends += [s.at + SAID_FOR for s in self.said[-1:]]
        return max(ends) if ends else None

    def with_choices(self, choices: PendingChoices | None) -> ConversationState:
        """The same state offering these choices (None: no choice is pending any more)."""
        return replace(self, choices=choices)

    def with_draft(self, draft: Draft | None) -> ConversationState:
        """The same state with this draft in progress (None: none)."""
        return replace(self, draft=draft)

    def with_place_wanted(self, wanted: PlaceWanted | None) -> ConversationState:
        """The same state waiting (or not) for an emergency's place."""
        return replace(self, place_wanted=wanted)

    def with_recent(self, recent: RecentBooking | None) -> ConversationState:
        """The same state remembering what was just booked (None: nothing)."""
        return replace(self, recent=recent)

    def with_said(self, text: str, at: dt.datetime) -> ConversationState:
        """The same state remembering one more message (the last few are kept)."""
        return replace(self, said=(*self.said, Said(at, text[:200]))[-SAID_KEPT:])

    def idle(self) -> ConversationState:
        """Nothing pending any more; the last messages (and what was just booked) are still
        remembered."""
        return ConversationState(said=self.said, recent=self.recent)

    def settled(self) -> ConversationState:
        """The same state, the lapsed draft dealt with."""
        return replace(self, lapsed=None)


@dataclass(frozen=True)
class OpenQuestions:
    """What the bot asked a resident and still waits for, across their platforms."""

    confirm: tuple[str, ...] = ()        # tickets asked "已修好了吗", oldest first
    thanks: str | None = None            # a fulfilled wish whose thank-you line is welcome
    rate: str | None = None              # a ticket whose 1-5 rating (满意度) is welcome

    @property
    def empty(self) -> bool:
        """Whether nothing is asked."""
        return not self.confirm and self.thanks is None and self.rate is None

    def asking(self, confirm: str | None = None, thanks: str | None = None,
               rate: str | None = None) -> OpenQuestions:
        """One more question asked."""
        codes = self.confirm + ((confirm,) if confirm and confirm not in self.confirm else ())
        return OpenQuestions(codes, thanks or self.thanks, rate or self.rate)

    def settled(self, confirm: str | None = None, thanks: bool = False,
                rate: bool = False) -> OpenQuestions:
        """A question answered (or moot)."""
        return OpenQuestions(tuple(c for c in self.confirm if c != confirm),
                             None if thanks else self.thanks, None if rate else self.rate)


# -- the JSON form ---------------------------------------------------------------------------
VERSION = 2


def _time(value: dt.datetime) -> str:
    return value.isoformat()


def _parse_time(value: Any) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _place(data: dict[str, Any]) -> Place:
    return Place(data.get("building"), data.get("unit"), tuple(data.get("floors", ())),
                 data.get("room"), data.get("spot"))


def _place_json(place: Place) -> dict[str, Any]:
    return {k: v for k, v in (("building", place.building), ("unit", place.unit),
                              ("floors", list(place.floors)), ("room", place.room),
                              ("spot", place.spot)) if v not in (None, [])}


def _booking_json(draft: BookingDraft) -> dict[str, Any]:
    if isinstance(draft, OrderDraft):
        return {"kind": "order", "awaiting": draft.awaiting,
                "expires_at": _time(draft.expires_at),
                "days": [d.isoformat() for d in draft.days], "meal": draft.meal,
                "choice": draft.choice, "dishes": list(draft.dishes),
                "portions": draft.portions, "point": draft.point, "diner": draft.diner,
                "elder": draft.elder, "replaces": list(draft.replaces)}
    if isinstance(draft, SignupDraft):
        return {"kind": "signup", "awaiting": draft.awaiting,
                "expires_at": _time(draft.expires_at), "name": draft.name,
                "building": draft.building, "room": draft.room, "age": draft.age,
                "reason": draft.reason, "meal": draft.meal, "choice": draft.choice,
                "kin": draft.kin,
                "portions": draft.portions, "weekdays": draft.weekdays}
    return {"kind": "appointment", "awaiting": draft.awaiting,
            "expires_at": _time(draft.expires_at), "item": draft.item,
            "offered": list(draft.offered), "moves": draft.moves,
            "day": draft.day.isoformat() if draft.day else None, "half": draft.half,
            "time": draft.time}


def _booking(data: dict[str, Any], expires: dt.datetime) -> Draft | None:
    kind, awaiting = data.get("kind"), data.get("awaiting")
    if kind == "order" and awaiting in ("day", "point", "what", "confirm"):
        return OrderDraft(awaiting, expires,
                          tuple(dt.date.fromisoformat(d) for d in data.get("days", ())),
                          data.get("meal"), data.get("choice"), tuple(data.get("dishes", ())),
                          int(data.get("portions", 1)), data.get("point"),
                          str(data.get("diner", "")), data.get("elder"),
                          tuple(int(i) for i in data.get("replaces", ())))
    if kind == "signup" and awaiting in ("elder", "confirm"):
        return SignupDraft(awaiting, expires, str(data.get("name", "")),
                           str(data.get("kin", "")), data.get("building"),
                           str(data.get("room", "")), data.get("age"),
                           str(data.get("reason", "")), str(data.get("meal", "lunch")),
                           str(data.get("choice", "A")), int(data.get("portions", 1)),
                           str(data.get("weekdays", "0123456")))
    if kind == "appointment" and awaiting in ("item", "slot"):
        day = data.get("day")
        return AppointmentDraft(awaiting, expires, data.get("item"),
                                tuple(str(s) for s in data.get("offered", ())),
                                data.get("moves"), dt.date.fromisoformat(day) if day else None,
                                data.get("half"), data.get("time"))
    return None


def _draft_json(draft: Draft) -> dict[str, Any]:
    if isinstance(draft, OrderDraft | SignupDraft | AppointmentDraft):
        return _booking_json(draft)
    if isinstance(draft, ReportDraft):
        return {"kind": "report", "awaiting": draft.awaiting,
                "expires_at": _time(draft.expires_at), "category": draft.category,
                "building": draft.building, "place": _place_json(draft.place),
                "description": draft.description, "photos": list(draft.photos),
                "building_checked": draft.building_checked, "asked_again": draft.asked_again}
    return {"kind": "wish", "awaiting": draft.awaiting, "expires_at": _time(draft.expires_at),
            "description": draft.description, "building": draft.building,
            "anonymous": draft.anonymous}


def _draft(data: dict[str, Any]) -> Draft | None:
    expires = _parse_time(data["expires_at"])
    if data.get("kind") == "report" and data.get("awaiting") in (
            "problem", "building", "building_confirm"):
        return ReportDraft(data["awaiting"], expires, data.get("category"),
                           data.get("building"), _place(data.get("place") or {}),
                           data.get("description", ""), tuple(data.get("photos", ())),
                           bool(data.get("building_checked", True)),
                           int(data.get("asked_again", 0)))
    if data.get("kind") == "wish" and data.get("awaiting") in ("wish", "building", "anonymous"):
        return WishDraft(data["awaiting"], expires, data.get("description", ""),
                         data.get("building"), data.get("anonymous"))
    return _booking(data, expires)


def _choices(items: list[dict[str, Any]]) -> tuple[Choice, ...]:
    return tuple(Choice(str(c["action"]), str(c["ref"]), str(c["label"])) for c in items)


def encode_state(state: ConversationState) -> str:
    """The JSON stored for a conversation."""
    data: dict[str, Any] = {"v": VERSION}
    if state.choices:
        data["choices"] = {"expires_at": _time(state.choices.expires_at), "items": [
            {"action": c.action, "ref": c.ref, "label": c.label} for c in state.choices.choices]}
    if state.draft:
        data["draft"] = _draft_json(state.draft)
    if state.place_wanted:
        data["place_wanted"] = {"code": state.place_wanted.code,
                                "expires_at": _time(state.place_wanted.expires_at)}
    if state.said:
        data["said"] = [{"at": _time(s.at), "text": s.text} for s in state.said]
    if state.recent:
        data["recent"] = {"codes": list(state.recent.codes),
                          "expires_at": _time(state.recent.expires_at)}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode_state(text: str | None) -> ConversationState:
    """A stored conversation (earlier records: pending choices are understood, a report or wish
    half-taken is dropped); anything unreadable is an empty state."""
    if not text:
        return ConversationState()
    try:
        data = json.loads(text)
        if data.get("v") != VERSION:
            if data.get("flow") == "choices":
                return ConversationState(PendingChoices(_choices(data.get("choices", [])),
                                                        _parse_time(data["expires"])))
            return ConversationState()
        choices = data.get("choices")
        wanted = data.get("place_wanted")
        return ConversationState(
            PendingChoices(_choices(choices["items"]), _parse_time(choices["expires_at"]))
            if choices else None,
            _draft(data["draft"]) if data.get("draft") else None,
            PlaceWanted(str(wanted["code"]), _parse_time(wanted["expires_at"]))
            if wanted else None,
            tuple(Said(_parse_time(s["at"]), str(s["text"])) for s in data.get("said", [])),
            RecentBooking(tuple(str(c) for c in data["recent"]["codes"]),
                          _parse_time(data["recent"]["expires_at"]))
            if data.get("recent") else None)
    except (ValueError, KeyError, TypeError, AttributeError):
        return ConversationState()


def encode_questions(questions: OpenQuestions) -> str:
    """The JSON stored for a resident's open questions."""
    return json.dumps({"v": VERSION, "confirm": list(questions.confirm),
                       "thanks": questions.thanks, "rate": questions.rate},
                      ensure_ascii=False, separators=(",", ":"))


def decode_questions(text: str | None) -> OpenQuestions:
    """A resident's stored open questions (earlier records understood)."""
    if not text:
        return OpenQuestions()
    try:
        data = json.loads(text)
        confirm = [str(c) for c in data.get("confirm", [])]
        thanks = data.get("thanks")
        if data.get("flow") == "confirm":
            confirm.append(str(data["code"]))
        if data.get("flow") == "thanks":
            thanks = data["code"]
        rate = data.get("rate")
        return OpenQuestions(tuple(confirm), str(thanks) if thanks else None,
                             str(rate) if rate else None)
    except (ValueError, KeyError, TypeError, AttributeError):
        return OpenQuestions()
