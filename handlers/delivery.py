"""Meals delivered to elders: signing an elder up (the eligibility rules of the knowledge base,
a standing order that staff approve), seeing and changing it, pausing it for some days,
resuming it, and ending it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from bot.bookings import texts
from bot.bookings.desk import BookingDesk, age_of, day_words, reason_of, weekday_words
from bot.conversation.state import SignupDraft
from bot.db.models import DeliveryElder, Resident
from bot.db.unit_of_work import UnitOfWork
from bot.messages import Reply
from bot.tickets.desk import TicketDesk
from bot.tickets.routing import TicketRouter
from bot.turn import Outcome, Turn
from handlers.booking_turns import ask, done, expires, resident_of
from handlers.context import DialogueSettings
from intents.bookings import (
    DeliveryPause,
    DeliverySignup,
    MyDelivery,
    called_name,
    kin_of,
    portions_of,
)

_YES = re.compile(r"^(?:1|确认|对|是|是的|好|好的|可以|行|没错|对的|嗯|登记|要|对额|是额|好额|"
                  r"好呃|对呃|没问题|就这样)\W*$")
_NO = re.compile(r"^(?:2|不|不要|不登记|不用|算了|不对|不是|勿要)\W*$")
_DAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAY_SPAN = re.compile(r"(?:礼拜|星期|周)([一二三四五六日天])(?:到|至|-)(?:礼拜|星期|周)?"
                           r"([一二三四五六日天])")
_WEEKDAY_LIST = re.compile(r"(?:礼拜|星期|周)([一二三四五六日天](?:[、，,和]?[一二三四五六日天])*)")
_SELF = re.compile(r"^(?:我自己|我本人|自己|本人|我)$")
_GIVE_UP = re.compile(r"算了|不登记了|不报名了|不报了|过两天再说|以后再说|先不登记|先不报|不要了")
_NUMERAL = re.compile(r"[零一二两三四五六七八九十百]+(?:岁)?")
_MAX_AGE = 120


# -- signing up ---------------------------------------------------------------------------------
async def sign_up_delivery(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                           desk: TicketDesk, settings: DialogueSettings) -> Outcome:
    """报名送餐 / 帮阿拉姆妈申请送饭上门 / 每天中午一份A套餐送到9号楼302."""
    request = turn.booking
    assert isinstance(request, DeliverySignup)
    resident = await resident_of(desk, turn, uow)
    draft = SignupDraft("elder", expires(turn, settings),
                        "" if request.diner else resident.name, request.diner,
                        meal=request.meal or "lunch", choice=request.choice or "A",
                        portions=request.portions or 1)
    draft = _read_elder(turn, draft, resident, bookings)
    if draft.building is None and draft.age is None and not draft.reason:
        return ask(turn, draft, texts.SIGNUP_START.format(
            eligible=bookings.canteen.delivery.eligible))
    return await _advance(turn, uow, bookings, resident, draft)


async def continue_signup(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                          desk: TicketDesk, router: TicketRouter,
                          settings: DialogueSettings) -> Outcome:
    """An answer while an elder is signed up: who, where, age and situation; then yes, or a
    change to the standing order (只要礼拜一到礼拜五, 礼拜一三五, B套餐, 中饭夜饭都要)."""
    draft = turn.state.draft
    assert isinstance(draft, SignupDraft)
    resident = await resident_of(desk, turn, uow)
    draft = replace(draft, expires_at=expires(turn, settings))
    text = turn.standard
    if _GIVE_UP.search(text) or (draft.awaiting == "confirm" and (
            _NO.match(text) or turn.yes_no is False)):
        return done(turn, texts.NOT_SIGNED_UP)
    if draft.awaiting == "confirm":
        if _YES.match(text) or turn.yes_no is True:
            return await _file(turn, uow, bookings, router, resident, draft)
        draft = _read_standing(text, draft)
    elif turn.booking is not None:
        draft = _read_standing(text, draft)      # B套餐，每天中午: said with the details
    draft = _read_elder(turn, draft, resident, bookings)
    return await _advance(turn, uow, bookings, resident, draft)


def _read_standing(text: str, draft: SignupDraft) -> SignupDraft:
    """Changes to the standing order said before confirming it."""
    span = _WEEKDAY_SPAN.search(text)
    listed = _WEEKDAY_LIST.search(text)
    dropped = re.search(r"((?:(?:礼拜|星期|周)[一二三四五六日天][、，,和]?)+)(?:都)?(?:不要|不用|"
                        r"勿要|不送)",
                        text)
    if dropped:                                  # 礼拜六礼拜天不要
        gone = {_DAY_INDEX[c] for c in dropped.group(1) if c in _DAY_INDEX}
        draft = replace(draft, weekdays="".join(c for c in draft.weekdays
                                                if int(c) not in gone))
    elif span:
        first, last = _DAY_INDEX[span.group(1)], _DAY_INDEX[span.group(2)]
        draft = replace(draft, weekdays="".join(str(d) for d in range(first, last + 1)))
    elif listed:
        days = sorted({_DAY_INDEX[c] for c in listed.group(1) if c in _DAY_INDEX})
        draft = replace(draft, weekdays="".join(str(d) for d in days))
    elif re.search(r"每天|天天", text):
        draft = replace(draft, weekdays="0123456")
    elif re.search(r"工作日", text):
        draft = replace(draft, weekdays="01234")
    choice = re.search(r"(?<![a-z])([ab])(?![a-z])", text)
    if choice:
        draft = replace(draft, choice=choice.group(1).upper())
    lunch = re.search(r"中饭|午饭|午餐|中午|中浪", text)
    dinner = re.search(r"晚饭|夜饭|晚餐|晚上|夜快", text)
    if (lunch and dinner) or re.search(r"两顿|二顿|两餐|都要", text):
        draft = replace(draft, meal="both")
    elif dinner:
        draft = replace(draft, meal="dinner")
    elif lunch:
        draft = replace(draft, meal="lunch")
    portions = portions_of(text)
    if portions:
        draft = replace(draft, portions=portions)
    return draft


def _read_elder(turn: Turn, draft: SignupDraft, resident: Resident,
                bookings: BookingDesk) -> SignupDraft:
    """Who the elder is, where they live, their age and situation, from a message."""
    text = turn.standard
    building = turn.place.building_name
    found = next((b for b in bookings.knowledge.roster.buildings if b.name == building), None)
    room = turn.place.room or ""
    if found is not None:
        draft = replace(draft, building=found.name, room=room or draft.room)
    elif room and draft.building:
        draft = replace(draft, room=room)
    age = age_of(text)
    if age is not None:
        draft = replace(draft, age=age)
    reason = reason_of(text)
    if reason:
        draft = replace(draft, reason=reason)
    called = called_name(turn.standard)
    if called and draft.awaiting == "elder":
        return replace(draft, name=called)          # 刘阿婆 / 叫老钱: the name said wins
    first = re.match(r"^\s*([\u4e00-\u9fff]{1,5}?)(?:[，,\s]|$)", turn.surface)
    if draft.awaiting == "elder" and first and not re.search(
            r"\d|楼|岁|住|独|失能|残|老两口|报名|送餐|送饭|登记|申请|帮", first.group(1)) \
            and not _NUMERAL.fullmatch(first.group(1)) and not reason_of(first.group(1)):
        said = first.group(1)
        if _SELF.match(said):
            draft = replace(draft, name=resident.name or texts.SELF_NAME, kin="")
        elif kin_of(said):
            draft = replace(draft, kin=kin_of(said))
        else:
            draft = replace(draft, name=said.removeprefix("我").removeprefix("阿拉") or said)
    return draft


async def _advance(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, resident: Resident,
                   draft: SignupDraft) -> Outcome:
    if draft.age is not None and not 40 <= draft.age <= _MAX_AGE:
        draft = replace(draft, age=None)
        return ask(turn, replace(draft, awaiting="elder"), texts.SIGNUP_AGE_ODD)
    missing = [word for word, lacking in (
        (texts.SIGNUP_MISSING_PLACE, draft.building is None or not draft.room),
        (texts.SIGNUP_MISSING_AGE, draft.age is None),
        (texts.SIGNUP_MISSING_REASON, not draft.reason)) if lacking]
    name = draft.name or texts.ELDER
    if missing == [texts.SIGNUP_MISSING_REASON] and not reason_of(turn.standard) \
            and draft.age is not None and re.search(
                r"一起住|同住|住在一起|一道住|(?:跟|和|同)[^，。,]{1,6}(?:一起|一道|一块)?住",
                turn.standard):
        draft = replace(draft, reason="同住")      # lives with family: not eligible
        missing = []
    if missing:
        return ask(turn, replace(draft, awaiting="elder"),
                   texts.SIGNUP_MISSING.format(missing="、".join(missing)))
    if bookings.eligibility(draft.age, draft.reason) == "no":
        return done(turn, texts.SIGNUP_NOT_ELIGIBLE.format(
            eligible=bookings.canteen.delivery.eligible, name=name,
            phone=bookings.knowledge.station.phone))
    twin = next((e for e in await uow.deliveries.of_resident(resident.id)
                 if e.building == draft.building and e.room == draft.room
                 and (e.name == draft.name or not draft.name)), None)
    if twin is not None:
        return done(turn, texts.SIGNUP_TWICE.format(name=twin.name, code=twin.code,
                                                    state=texts.ELDER_STATES[twin.state]))
    meal = draft.meal if draft.meal == "both" or draft.meal in bookings.rules.delivery_meals \
        else "lunch"
    price = bookings.unit_price("lunch" if meal == "both" else meal, draft.choice, ())
    assessment = ""
    if draft.reason == "失能" and (item := bookings.assessment_item()) is not None:
        assessment = texts.SIGNUP_ASSESSMENT.format(item=item.name)
    return ask(turn, replace(draft, awaiting="confirm", meal=meal), texts.SIGNUP_CONFIRM.format(
        name=name, place=f"{draft.building}{draft.room}", age=draft.age,
        reason=draft.reason, weekdays=weekday_words(draft.weekdays),
        meal=texts.MEAL_NAMES[meal], choice=draft.choice, portions=draft.portions,
        price=price, fee=bookings.rules.delivery_fee) + assessment)


async def _file(turn: Turn, uow: UnitOfWork, bookings: BookingDesk, router: TicketRouter,
                resident: Resident, draft: SignupDraft) -> Outcome:
    elder = await uow.deliveries.add(DeliveryElder(
        resident_id=resident.id, name=draft.name or (f"{resident.name}的{draft.kin}"
                                                      if draft.kin else texts.ELDER),
        kin=draft.kin,
        building=draft.building or "", room=draft.room, age=draft.age, reason=draft.reason,
        state="pending", meal=draft.meal, choice=draft.choice, portions=draft.portions,
        weekdays=draft.weekdays, created_at=turn.now))
    text = texts.SIGNUP_TO_STAFF.format(code=elder.code, name=elder.name,
                                        place=f"{elder.building}{elder.room}", age=elder.age,
                                        reason=elder.reason, standing=standing_words(elder),
                                        who=turn.actor.name if turn.actor is not None
                                        else resident.name or "居民")
    for name in router.on_duty(turn.now) or [s.name for s in
                                             bookings.knowledge.roster.staff[:1]]:
        uow.outbox.add(f"{elder.code}:signup:{name}", f"staff:{name}", text,
                       (f"批准送餐 {elder.code}",))
    return done(turn, texts.SIGNUP_DONE.format(code=elder.code))


def standing_words(elder: DeliveryElder) -> str:
    """"周一至周五午餐套餐A×1"."""
    return (f"{weekday_words(elder.weekdays)}{texts.MEAL_NAMES[elder.meal]}"
            f"套餐{elder.choice}×{elder.portions}")


# -- seeing and changing ------------------------------------------------------------------------
async def my_delivery(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                      desk: TicketDesk) -> Outcome:
    """我的送餐 / 送餐审核好了吗 / 查询 S0001; 我妈的送餐改成B套餐."""
    request = turn.booking
    assert isinstance(request, MyDelivery)
    resident = await resident_of(desk, turn, uow)
    changing = request.choice is not None or bool(request.portions) or bool(request.meal)
    elders = await uow.deliveries.of_resident(resident.id, every_state=not changing)
    if request.code is not None:
        elders = [e for e in elders if e.code == request.code]
    elif request.whose:
        elders = [e for e in elders if e.kin == request.whose or request.whose in e.name] \
            or elders
    if not elders:
        return turn.reply(texts.DELIVERY_NONE_SIGNED)
    if request.choice is not None or request.portions or request.meal:
        if len(elders) > 1:
            return turn.reply(texts.WHICH_ELDER.format(names="、".join(e.name for e in elders)))
        elder = elders[0]
        if request.portions is not None and not 1 <= request.portions <= \
                bookings.rules.max_portions:
            return turn.reply(texts.PORTIONS_BAD.format(most=bookings.rules.max_portions))
        elder.choice = request.choice or elder.choice
        elder.portions = request.portions or elder.portions
        elder.meal = request.meal or elder.meal
        return turn.reply(texts.STANDING_CHANGED.format(
            name=elder.name, standing=standing_words(elder),
            start=day_words(bookings.first_delivery(turn.now, elder.meal))))
    lines = []
    for elder in elders:
        pauses = await uow.deliveries.pauses(elder, turn.today)
        paused = "；".join(f"{day_words(p.first)}到{day_words(p.last)}停送" for p in pauses)
        lines.append(texts.DELIVERY_LINE_RESIDENT.format(
            code=elder.code, name=elder.name, place=f"{elder.building}{elder.room}",
            state=texts.ELDER_STATES[elder.state], standing=standing_words(elder),
            paused=f"，{paused}" if paused else ""))
    return Outcome(turn.privately([Reply(texts.MY_DELIVERY.format(lines="\n".join(lines)))]),
                   turn.state)


# -- pauses, resuming, ending ----------------------------------------------------------------------
async def pause_delivery(turn: Turn, uow: UnitOfWork, bookings: BookingDesk,
                         desk: TicketDesk) -> Outcome:
    """下礼拜我去女儿家，停一个礼拜 / 我爸明天不要送了 / 恢复送餐 / 以后不要送了."""
    request = turn.booking
    assert isinstance(request, DeliveryPause)
    resident = await resident_of(desk, turn, uow)
    elders = [e for e in await uow.deliveries.of_resident(resident.id) if e.state == "approved"]
    if not elders:
        return turn.reply(texts.PAUSE_NONE)
    named = [e for e in elders if request.whose and (e.kin == request.whose
                                                     or request.whose in e.name)]
    if len(elders) > 1 and not named:
        return turn.reply(texts.WHICH_ELDER.format(names="、".join(e.name for e in elders)))
    elder = (named or elders)[0]
    if request.stop:
        elder.state = "ended"
        elder.decided_at = turn.now
        return turn.reply(texts.DELIVERY_ENDED.format(name=elder.name, code=elder.code))
    if request.resume:
        pauses = await uow.deliveries.pauses(elder, turn.today)
        if not pauses:
            return turn.reply(texts.RESUME_NONE.format(name=elder.name))
        start = bookings.first_delivery(turn.now, elder.meal)
        for pause in pauses:
            pause.last = max(pause.first, start) - dt.timedelta(days=1) \
                if pause.first < start else pause.first - dt.timedelta(days=1)
        return turn.reply(texts.RESUMED.format(name=elder.name, day=day_words(start)))
    if not request.days.dates:
        return turn.reply(texts.PAUSE_WHEN)
    return await pause_days(bookings, turn, uow, elder, request.days.dates)


async def pause_days(bookings: BookingDesk, turn: Turn, uow: UnitOfWork,
                     elder: DeliveryElder, days: tuple[dt.date, ...]) -> Outcome:
    """Stop an elder's standing delivery on these days (from the first still open)."""
    paused = [p for p in await uow.deliveries.pauses(elder, days[0])
              if p.first <= days[0] and days[-1] <= p.last]
    if paused:
        return turn.reply(texts.ALREADY_PAUSED.format(name=elder.name, first=day_words(
            paused[0].first), last=day_words(paused[0].last)))
    first = days[0]
    earliest = bookings.first_delivery(turn.now, elder.meal)
    note = ""
    if first < earliest:
        note = texts.PAUSE_TOO_LATE.format(day=day_words(first))
        first = earliest
    last = days[-1]
    if last < first:
        return turn.reply(texts.PAUSE_TOO_LATE.format(day=day_words(days[0])))
    uow.deliveries.pause(elder, first, last)
    uow.mark_changed()
    resume = day_words(last + dt.timedelta(days=1))
    if first == last:
        return turn.reply(texts.PAUSED_ONE_DAY.format(name=elder.name, day=day_words(first),
                                                      resume=resume) + note)
    return turn.reply(texts.PAUSED.format(name=elder.name, first=day_words(first),
                                          last=day_words(last), resume=resume) + note)
