"""The resident's side of tickets: report and wish flows, me-too, status.

Every method works inside the unit of work the dialogue opened for the message and never
commits; notifications go to the outbox in that same transaction."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update

from bot.db.models import (
    Identity,
    LinkCode,
    OutboxMessage,
    Resident,
    Ticket,
    TicketFollower,
    TicketPhoto,
)
from bot.db.repositories import OPEN_STATES, MessageContext
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge, ReportCategory
from bot.messages import IncomingMessage, Reply
from bot.tickets import questions, texts
from bot.tickets.routing import TicketRouter

CANCEL = re.compile(r"^\s*(取消|不报了|算了|不要了|cancel)\s*[。.!！]?\s*$", re.IGNORECASE)
MY_TICKETS = re.compile(r"(我的报修|我的工单|我的心愿|我报的)")
QUERY = re.compile(r"(?:查询|查一下|查)\s*([RW]\d{3,})", re.IGNORECASE)
BIND = re.compile(r"(?:我住|我是|我家|住在).{0,6}?\d{1,3}\s*(?:号楼|栋|幢|号)")
FLOOR = re.compile(r"(?<![\d号])(\d{1,2})\s*(?:楼|层)(?!道)")
PLACES = ("楼道", "楼梯", "电梯", "车库", "地下室", "门口", "单元门", "屋顶", "天台", "花园",
          "大门", "走廊", "垃圾房", "绿化带", "自行车棚")
CONFIRM_ANSWER = re.compile(r"^\s*(1|2|修好了|已修好|没修好|还没修好|没有修好)\s*[。.!！]?\s*$")
THANKS = re.compile(r"(谢|感激|辛苦|开心|满意|好人)")
LINK_REQUEST = re.compile(r"^\s*(?:绑定账号|关联账号|绑定|/link)\s*$")
LINK = re.compile(r"^\s*(?:绑定|关联|/link)\s*(\d{6})\s*$")
WISH_TRIGGER = re.compile(
    r"(?:我(?:要|想|有)?(?:一个|个)?)?(?:微心愿|心愿|许愿|许个愿)(?:是|：|:)?|/wish")
PHONE = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
LINK_MINUTES = 10
PHOTO_WINDOW = dt.timedelta(minutes=30)  # a photo right after a report belongs to it
ME_TOO_WINDOW = dt.timedelta(hours=72)
FLOW_MINUTES = 30
CATEGORY_CHOICES = ("lighting", "water_leak", "drainage", "elevator", "door_access", "other")


class TicketDesk:
    """Takes reports and wishes from residents and routes them. Platform-neutral."""

    def __init__(self, knowledge: Knowledge, router: TicketRouter, zone: ZoneInfo) -> None:
        self.knowledge = knowledge
        self.router = router
        self.zone = zone
        self._categories = {c.id: c for c in knowledge.reports}

    # -- entry points ---------------------------------------------------------------------
    async def pending(self, uow: UnitOfWork, ctx: MessageContext, message: IncomingMessage,
                      now: dt.datetime, relay: bool = True) -> list[Reply] | None:
        """Continue a flow in progress, cancel it, or answer a ticket command; else None.

        `relay`: whether a message may be an answer to a leader who waits for one (not when it
        is plainly a new report or wish)."""
        text = message.text.strip()
        key = message.session_key
        state = ctx.state
        flow = state if state and state.get("flow") in ("report", "wish") else None
        if flow is not None and dt.datetime.fromisoformat(flow["expires"]) <= now:
            await uow.conversations.delete(key)
            return [Reply(texts.NOTHING_TO_CANCEL if CANCEL.match(text) else texts.EXPIRED)]
        if CANCEL.match(text):
            if flow is None:
                return [Reply(texts.NOTHING_TO_CANCEL)]
            await uow.conversations.delete(key)
            return [Reply(texts.CANCELLED)]
        query = QUERY.search(text)
        if ctx.resident is None and flow is None and not BIND.search(text) \
                and not LINK.match(text) and not LINK_REQUEST.match(text):
            if query:
                return [Reply(texts.NOT_YOURS.format(code=query.group(1).upper()))]
            if MY_TICKETS.search(text):
                return [Reply(texts.NO_TICKETS)]
            return None
        resident = ctx.resident or await uow.residents.get_or_create(message.platform,
                                                                     message.user_id)
        choosing = state is not None and state.get("flow") == "choices"
        if ctx.waiting and flow is None and relay and not choosing:
            for ticket in await uow.tickets.waiting_on(resident.id):
                # the resident answers the leader: the deadline clock runs again
                if ticket.due_at is not None and ticket.paused_since is not None:
                    ticket.due_at += now - ticket.paused_since
                ticket.paused_since = None
                uow.tickets.record(ticket, f"resident:{resident.id}", "answered", text,
                                   platform=message.platform)
                if ticket.assignee:
                    uow.outbox.add(f"{ticket.code}:answer:{now.isoformat()}",
                                   f"leader:{ticket.assignee}",
                                   texts.RESIDENT_ANSWERED.format(code=ticket.code,
                                                                  text=_masked(text)[:200]))
            return [Reply(texts.RELAYED)]
        link = LINK.match(text)
        if LINK_REQUEST.match(text) or link:
            return in_private(message, await self._link(
                uow, message, resident, link.group(1) if link else None, now))
        asked = questions.read(ctx.personal if flow is None else None)
        if asked["thanks"] and THANKS.search(text):
            wish = await uow.tickets.by_code(asked["thanks"])
            if wish is not None:
                wish.thank_you = text[:200]
                uow.tickets.record(wish, f"resident:{resident.id}", "thanked", text[:200],
                                   platform=message.platform)
            await questions.settle(uow, resident.id, asked, now, thanks=True)
            return [Reply(texts.THANKS_SAVED)]
        if asked["confirm"] and CONFIRM_ANSWER.match(text) and not (choosing and text.isdigit()):
            code = asked["confirm"][-1]  # the newest "已修好了吗" is the one answered
            await questions.settle(uow, resident.id, asked, now, confirm=code)
            return await self._confirm(uow, resident, code, text, now, message.platform)
        if query:
            return in_private(message, [await self._status(uow, resident,
                                                         query.group(1).upper())])
        if MY_TICKETS.search(text):
            return in_private(message, [await self._mine(uow, resident)])
        if BIND.search(text) and flow is None:
            address = self.router.address(_digits(text))
            if address is not None:
                resident.building, resident.unit, resident.room = (
                    address.building, address.unit, address.room)
                place = address.building + (f"{address.unit}单元" if address.unit else "") \
                    + (address.room or "")
                return in_private(message, [Reply(texts.BOUND.format(place=place))])
        if flow is None:
            return None
        return await self._continue(uow, message, resident, flow, now)

    async def start_report(self, uow: UnitOfWork, ctx: MessageContext,
                           message: IncomingMessage, category: str | None, normalised: str,
                           now: dt.datetime) -> list[Reply]:
        """A report begins: take what the message says, ask only for what is missing."""
        resident = ctx.resident or await uow.residents.get_or_create(message.platform,
                                                                     message.user_id)
        _remember_phone(resident, message.text)
        address = self.router.address(normalised)
        flow: dict[str, Any] = {
            "flow": "report", "category": category,
            "building": address.building if address else resident.building,
            "location": _location(normalised),
            "description": _masked(message.text.strip())[:500],
        }
        replies: list[Reply] = []
        found = self._categories.get(category or "")
        if found is not None and found.urgency == "emergency" and found.safety:
            replies.append(Reply(texts.EMERGENCY_FIRST.format(safety=found.safety)))
            if not flow["building"]:
                flow["building"] = None  # do not wait: duty staff are paged right away
                if ctx.state is not None:
                    await uow.conversations.delete(message.session_key)
                return replies + in_private(message, await self._create_report(
                    uow, message, resident, flow, now))
        return replies + await self._advance(uow, message, resident, flow, now,
                                             stored=ctx.state is not None)

    async def start_wish(self, uow: UnitOfWork, ctx: MessageContext, message: IncomingMessage,
                         wish: str, now: dt.datetime) -> list[Reply]:
        """A wish begins: `wish` is what the resident wishes for ("" when not said yet)."""
        resident = ctx.resident or await uow.residents.get_or_create(message.platform,
                                                                     message.user_id)
        flow: dict[str, Any] = {"flow": "wish", "description": _masked(wish.strip())[:500],
                                "building": resident.building, "anonymous": None}
        return await self._advance(uow, message, resident, flow, now,
                                   stored=ctx.state is not None)

    async def forget(self, uow: UnitOfWork, message: IncomingMessage, now: dt.datetime
                     ) -> None:
        """The sender left the platform (unsubscribed): delete what identifies them there.

        Their tickets stay, without the person, once no other linked identity remains."""
        platform, user_id = message.platform, message.user_id
        resident = await uow.residents.by_identity(platform, user_id)
        await uow.session.execute(delete(Identity).where(Identity.platform == platform,
                                                         Identity.user_id == user_id))
        await uow.conversations.delete(message.session_key)
        uow.mark_changed()
        if resident is None or await uow.residents.identities(resident.id):
            return
        await uow.conversations.delete(questions.key(resident.id))
        await uow.session.execute(update(Ticket).where(Ticket.resident_id == resident.id)
                                  .values(resident_id=None))
        await uow.session.execute(delete(TicketFollower).where(
            TicketFollower.resident_id == resident.id))
        await uow.session.execute(delete(OutboxMessage).where(
            OutboxMessage.recipient == f"resident:{resident.id}",
            OutboxMessage.state == "pending"))
        # The row stays, emptied, so its id is never given to somebody else.
        resident.name, resident.building, resident.unit, resident.room, resident.phone = (
            "", None, None, None, None)
        resident.anonymised_at = now

    async def _link(self, uow: UnitOfWork, message: IncomingMessage, resident: Resident,
                    code: str | None, now: dt.datetime) -> list[Reply]:
        """Link this platform identity to the resident who asked for a one-time code."""
        if code is None:
            number = f"{secrets.randbelow(900000) + 100000}"
            uow.session.add(LinkCode(code=number, resident_id=resident.id,
                                     expires_at=now + dt.timedelta(minutes=LINK_MINUTES)))
            return [Reply(texts.LINK_CODE.format(code=number))]
        found = await uow.session.get(LinkCode, code)
        if found is None or found.expires_at <= now:
            return [Reply(texts.LINK_UNKNOWN)]
        await uow.session.delete(found)
        if found.resident_id == resident.id:
            return [Reply(texts.LINK_SAME)]
        target = found.resident_id
        await uow.session.execute(update(Ticket).where(Ticket.resident_id == resident.id)
                                  .values(resident_id=target))
        await uow.session.execute(update(Identity).where(Identity.resident_id == resident.id)
                                  .values(resident_id=target))
        await uow.session.execute(delete(TicketFollower).where(  # already theirs: drop
            TicketFollower.resident_id == resident.id,
            TicketFollower.ticket_id.in_(
                select(TicketFollower.ticket_id).where(TicketFollower.resident_id == target)
                .union(select(Ticket.id).where(Ticket.resident_id == target)))))
        await uow.session.execute(update(TicketFollower).where(
            TicketFollower.resident_id == resident.id).values(resident_id=target))
        await uow.session.delete(resident)
        uow.mark_changed()
        return [Reply(texts.LINKED)]

    async def attach_photo(self, uow: UnitOfWork, ctx: MessageContext,
                           message: IncomingMessage, now: dt.datetime) -> list[Reply]:
        """An image: into the report being made, else onto the resident's newest open report."""
        ref = message.text.strip()[:500]
        flow = ctx.state
        if ctx.resident is not None and flow and flow.get("flow") == "report":
            flow.setdefault("photos", []).append(ref)
            await uow.conversations.set(message.session_key, flow, None)
            return [Reply(texts.PHOTO_IN_FLOW)]
        recent = [t for t in (await uow.tickets.of_resident(ctx.resident.id)
                              if ctx.resident else [])
                  if t.kind == "report" and t.state in OPEN_STATES
                  and now - t.created_at <= PHOTO_WINDOW]
        if not recent:
            return [Reply(texts.PHOTO_ALONE)]
        ticket = recent[0]
        uow.session.add(TicketPhoto(ticket_id=ticket.id, ref=ref,
                                    added_by=f"resident:{ticket.resident_id}"))
        uow.tickets.record(ticket, f"resident:{ticket.resident_id}", "photo", ref,
                           platform=message.platform)
        if ticket.assignee:
            uow.outbox.add(f"{ticket.code}:photo:{ref[:60]}", f"leader:{ticket.assignee}",
                           texts.TO_LEADER_PHOTO.format(code=ticket.code))
        return [Reply(texts.PHOTO_ATTACHED.format(code=ticket.code))]

    async def introduce(self, uow: UnitOfWork, platform: str, user_id: str, name: str,
                        building: str) -> None:
        """Record who a known resident is and where they live (console stories, imports)."""
        resident = await uow.residents.get_or_create(platform, user_id, name)
        if self.router.building(building) is not None and resident.building != building:
            resident.building, resident.name = building, name

    # -- the flow -------------------------------------------------------------------------
    async def _continue(self, uow: UnitOfWork, message: IncomingMessage, resident: Resident,
                        flow: dict[str, Any], now: dt.datetime) -> list[Reply]:
        text = message.text.strip()
        _remember_phone(resident, text)
        awaiting = flow.get("awaiting")
        if awaiting == "building":
            address = self.router.address(_digits(text) if "楼" in text or "栋" in text
                                          else _digits(text) + "号楼")
            if address is None:
                return [Reply(texts.UNKNOWN_BUILDING.format(text=text[:20]))]
            flow["building"] = address.building
            if resident.building is None:
                resident.building = address.building
        elif awaiting == "category":
            flow["category"] = self._category_answer(text) or "other"
            flow["description"] = (flow.get("description") or "") + " " + _masked(text)
        elif awaiting == "wish":
            flow["description"] = _masked(text)[:500]
        elif awaiting == "anonymous":
            flow["anonymous"] = text.startswith("1") or ("匿名" in text and "不" not in text)
        return await self._advance(uow, message, resident, flow, now)

    async def _advance(self, uow: UnitOfWork, message: IncomingMessage, resident: Resident,
                       flow: dict[str, Any], now: dt.datetime, stored: bool = True
                       ) -> list[Reply]:
        """Ask for the next missing detail, or file the ticket when nothing is missing.

        `stored`: a conversation row may exist for this message's key and must be cleared."""
        key = message.session_key
        flow["expires"] = (now + dt.timedelta(minutes=FLOW_MINUTES)).isoformat()
        question: str | None = None
        if flow["flow"] == "report" and not flow.get("category"):
            flow["awaiting"] = "category"
            choices = "\n".join(f"{n}. {self._categories[c].name}"
                                for n, c in enumerate(CATEGORY_CHOICES, start=1)
                                if c in self._categories)
            question = texts.ASK_CATEGORY.format(choices=choices)
        elif flow["flow"] == "wish" and not flow.get("description"):
            flow["awaiting"], question = "wish", texts.ASK_WISH
        elif not flow.get("building"):
            flow["awaiting"], question = "building", texts.ASK_BUILDING
        elif flow["flow"] == "wish" and flow.get("anonymous") is None:
            flow["awaiting"], question = "anonymous", texts.ASK_ANONYMOUS
        if question is not None:
            await uow.conversations.set(key, flow, None)
            return [Reply(question)]
        if stored:
            await uow.conversations.delete(key)
        if flow["flow"] == "wish":
            return in_private(message, await self._create_wish(uow, message, resident, flow, now))
        return in_private(message, await self._create_report(uow, message, resident, flow, now))

    def _category_answer(self, text: str) -> str | None:
        digits = re.match(r"^\s*(\d)\s*$", text)
        if digits and 1 <= int(digits.group(1)) <= len(CATEGORY_CHOICES):
            return CATEGORY_CHOICES[int(digits.group(1)) - 1]
        for category in self.knowledge.reports:
            if category.name in text or any(k in text for k in category.keywords):
                return category.id
        return None

    async def _create_report(self, uow: UnitOfWork, message: IncomingMessage,
                             resident: Resident, flow: dict[str, Any], now: dt.datetime
                             ) -> list[Reply]:
        category = self._categories.get(flow.get("category") or "") or self._categories.get(
            "other")
        building = flow.get("building")
        if building and category is not None and category.urgency != "emergency":
            same = await uow.tickets.open_duplicate(building, category.id, now - ME_TOO_WINDOW)
            if same is not None and same.resident_id != resident.id:
                if await uow.tickets.follow(same, resident.id):
                    uow.tickets.record(same, f"resident:{resident.id}", "follow",
                                       platform=message.platform)
                return [Reply(texts.ME_TOO.format(code=same.code))]
        route = self.router.route(building, now.date())
        ticket = await uow.tickets.add(Ticket(
            kind="report", category=category.id if category else None,
            urgency=category.urgency if category else "normal", building=building,
            location=flow.get("location"), description=flow.get("description") or "",
            resident_id=resident.id, assignee=route.assignee,
            due_at=now + dt.timedelta(hours=category.response_hours if category else 72),
            created_at=now, updated_at=now))
        uow.tickets.record(ticket, f"resident:{resident.id}", "created",
                           f"routed to {route.assignee or 'duty'} ({route.reason})",
                           platform=message.platform)
        for ref in flow.get("photos", []):
            uow.session.add(TicketPhoto(ticket_id=ticket.id, ref=ref,
                                        added_by=f"resident:{resident.id}"))
        self._notify_new(uow, ticket, category, resident)
        who = (texts.WHO_LEADER.format(name=route.assignee) if route.assignee
               else texts.WHO_DUTY)
        return [Reply(texts.REPORT_CREATED.format(
            code=ticket.code, category=category.name if category else "其他",
            place=texts.place_of(building, flow.get("location")), who=who))]

    async def _create_wish(self, uow: UnitOfWork, message: IncomingMessage,
                           resident: Resident, flow: dict[str, Any], now: dt.datetime
                           ) -> list[Reply]:
        route = self.router.route(flow.get("building"), now.date())
        ticket = await uow.tickets.add(Ticket(
            kind="wish", building=flow.get("building"), description=flow["description"],
            anonymous=bool(flow.get("anonymous")), resident_id=resident.id,
            assignee=route.assignee, created_at=now, updated_at=now))
        uow.tickets.record(ticket, f"resident:{resident.id}", "created",
                           f"routed to {route.assignee or 'duty'} ({route.reason})",
                           platform=message.platform)
        self._notify_new(uow, ticket, None, resident)
        return [Reply(texts.WISH_CREATED.format(code=ticket.code))]

    def _notify_new(self, uow: UnitOfWork, ticket: Ticket, category: ReportCategory | None,
                    resident: Resident) -> None:
        phone = ""
        if resident.phone and not ticket.anonymous:
            masked = masked_phone(resident.phone)
            phone = (texts.PHONE_HINT if masked in ticket.description[:120]
                     else texts.PHONE_LINE).format(phone=masked, code=ticket.code)
        values = {"kind": texts.KIND_NAMES[ticket.kind], "code": ticket.code,
                  "building": ticket.building or texts.NO_BUILDING,
                  "place": ticket.location or "", "category": category.name if category else "",
                  "description": ticket.description[:120] + phone}
        urgent = category is not None and category.urgency == "emergency"
        text = (texts.NOTIFY_EMERGENCY if urgent else texts.NOTIFY_NEW).format(**values)
        recipients = [f"leader:{ticket.assignee}"] if ticket.assignee else []
        if urgent or not ticket.assignee:
            recipients += [f"staff:{name}" for name in self.router.on_duty(ticket.created_at)]
        for recipient in recipients:
            uow.outbox.add(f"{ticket.code}:created:{recipient}", recipient, text)

    async def _confirm(self, uow: UnitOfWork, resident: Resident, code: str, text: str,
                       now: dt.datetime, platform: str) -> list[Reply]:
        """The resident answers "已修好了吗": 1 closes the ticket, 2 reopens it."""
        ticket = await uow.tickets.by_code(code)
        if ticket is None or ticket.state != "resolved":
            return [Reply(texts.NOTHING_TO_CANCEL)]
        actor = f"resident:{resident.id}"
        ticket.updated_at = now
        if text.strip().startswith("1") or ("修好了" in text and "没" not in text):
            ticket.state, ticket.closed_at = "closed", now
            uow.tickets.record(ticket, actor, "confirmed", platform=platform)
            return [Reply(texts.CONFIRMED.format(code=code))]
        ticket.state, ticket.resolved_at = "reopened", None
        uow.tickets.record(ticket, actor, "reopened", platform=platform)
        if ticket.assignee:
            uow.outbox.add(f"{code}:reopened:{now.isoformat()}", f"leader:{ticket.assignee}",
                           texts.TO_LEADER_REOPENED.format(code=code))
        return [Reply(texts.REOPENED.format(code=code))]

    # -- status -----------------------------------------------------------------------------
    async def _mine(self, uow: UnitOfWork, resident: Resident) -> Reply:
        tickets = await uow.tickets.of_resident(resident.id)
        if not tickets:
            return Reply(texts.NO_TICKETS)
        lines = "\n".join(texts.TICKET_LINE.format(
            code=t.code, what=self._what(t), state=texts.STATES.get(t.state, t.state))
            for t in tickets[:8])
        return Reply(texts.MY_TICKETS.format(lines=lines))

    async def _status(self, uow: UnitOfWork, resident: Resident, code: str) -> Reply:
        ticket = await uow.tickets.by_code(code)
        followers = await uow.tickets.followers(ticket) if ticket else []
        if ticket is None or (ticket.resident_id != resident.id
                              and resident.id not in followers):
            return Reply(texts.NOT_YOURS.format(code=code))
        return Reply(texts.STATUS.format(
            code=ticket.code, what=self._what(ticket),
            state=texts.STATES.get(ticket.state, ticket.state),
            created=ticket.created_at.astimezone(self.zone).strftime("%m月%d日 %H:%M")))

    def _what(self, ticket: Ticket) -> str:
        name = texts.what_it_is(self.knowledge, ticket)
        return name if ticket.kind == "wish" else (
            f"{name}（{texts.place_of(ticket.building, ticket.location)}）")


def wish_text(text: str) -> str:
    """What a wish message wishes for; "" when it only says "微心愿" / "我要许愿"."""
    rest = WISH_TRIGGER.sub("", text).strip(" ，,。.!！?？~")
    return text.strip() if len(rest) >= 3 else ""


def masked_phone(phone: str) -> str:
    """All but the last four digits hidden: 13800001234 -> *******1234."""
    digits = re.sub(r"\D", "", phone)
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def _masked(text: str) -> str:
    """Phone numbers in free text masked, as leaders see them until they open the ticket."""
    return PHONE.sub(lambda m: masked_phone("".join(m.groups())), text)


def _remember_phone(resident: Resident, text: str) -> None:
    found = PHONE.search(text)
    if found:
        resident.phone = "".join(found.groups())


def in_private(message: IncomingMessage, replies: list[Reply]) -> list[Reply]:
    """In a group, personal answers go to the sender privately; the group sees a short note."""
    if message.chat_id is None:
        return replies
    codes = sorted(set(re.findall(r"[RW]\d{4,}", " ".join(r.text for r in replies))))
    note = (texts.IN_GROUP_CODE.format(code="、".join(codes)) if codes
            else texts.IN_GROUP_PRIVATE)
    return [Reply(note), *(Reply(r.text, r.choices, r.actions, private=True)
                           for r in replies)]


def _location(text: str) -> str | None:
    floor = FLOOR.search(text)
    place = next((p for p in PLACES if p in text), None)
    parts = [f"{floor.group(1)}楼" if floor else "", place or ""]
    return "".join(parts) or None


def _digits(text: str) -> str:
    """Chinese numerals in a short answer ("九号楼", "十二") as digits."""
    from intents.normalise import chinese_numeral_to_int

    def replace(match: re.Match[str]) -> str:
        value = chinese_numeral_to_int(match.group(0))
        return str(value) if value is not None else match.group(0)

    return re.sub(r"[零〇一二两三四五六七八九十百]+", replace, text)
