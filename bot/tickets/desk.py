"""The resident's side of tickets: report and wish flows, me-too, status. One unit of work per
message owns the transaction; notifications go to the outbox in that same transaction."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot.db.models import (
    Identity,
    LinkCode,
    Resident,
    Ticket,
    TicketFollower,
    TicketPhoto,
)
from bot.db.repositories import OPEN_STATES
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge, ReportCategory
from bot.messages import IncomingMessage, Reply
from bot.tickets import texts
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
LINK_MINUTES = 10
PHOTO_WINDOW = dt.timedelta(minutes=30)  # a photo right after a report belongs to it
ME_TOO_WINDOW = dt.timedelta(hours=72)
REPLY_SEPARATOR = "\x1e"
FLOW_MINUTES = 30
CATEGORY_CHOICES = ("lighting", "water_leak", "drainage", "elevator", "door_access", "other")


@dataclass(frozen=True)
class DeskReply:
    """The desk's answer to a message, or None when the message is not the desk's."""

    replies: list[Reply]


def _place(ticket_building: str | None, location: str | None) -> str:
    return "".join(x for x in (ticket_building, location) if x) or "位置待确认"


class TicketDesk:
    """Takes reports and wishes from residents and routes them. Platform-neutral."""

    def __init__(self, knowledge: Knowledge, unit_of_work: Callable[[], UnitOfWork],
                 router: TicketRouter) -> None:
        self.knowledge = knowledge
        self._uow = unit_of_work
        self.router = router
        self._categories = {c.id: c for c in knowledge.reports}

    # -- entry points ---------------------------------------------------------------------
    async def pending(self, message: IncomingMessage, now: dt.datetime) -> DeskReply | None:
        """Continue a flow in progress, cancel it, or answer a ticket command; else None."""
        text = message.text.strip()
        async with self._uow() as uow:
            key = message.session_key
            raw = await uow.conversations.get(key)  # flows keep their own expiry time
            flow = raw if raw and raw.get("flow") in ("report", "wish") else None
            if flow is not None and dt.datetime.fromisoformat(flow["expires"]) <= now:
                await uow.conversations.delete(key)
                await uow.commit()
                return DeskReply([Reply(texts.EXPIRED)]) if not CANCEL.match(text) else \
                    DeskReply([Reply(texts.NOTHING_TO_CANCEL)])
            if CANCEL.match(text):
                if flow is None:
                    return DeskReply([Reply(texts.NOTHING_TO_CANCEL)])
                await uow.conversations.delete(key)
                await uow.commit()
                return DeskReply([Reply(texts.CANCELLED)])
            known = await uow.residents.by_identity(message.platform, message.user_id)
            if known is None and flow is None and not BIND.search(text) \
                    and not LINK.match(text) and not LINK_REQUEST.match(text):
                if QUERY.search(text):
                    return DeskReply([Reply(texts.NOT_YOURS.format(
                        code=QUERY.search(text).group(1).upper()))])  # type: ignore[union-attr]
                if MY_TICKETS.search(text):
                    return DeskReply([Reply(texts.NO_TICKETS)])
                return None
            resident = known or await uow.residents.get_or_create(message.platform,
                                                                  message.user_id)
            waiting = await uow.tickets.waiting_on(resident.id)
            if waiting and flow is None and not CANCEL.match(text):
                for ticket in waiting:  # the resident answers the leader: the clock runs again
                    if ticket.due_at is not None and ticket.paused_since is not None:
                        ticket.due_at += now - ticket.paused_since
                    ticket.paused_since = None
                    uow.tickets.record(ticket, f"resident:{resident.id}", "answered", text,
                                       platform=message.platform)
                    if ticket.assignee:
                        uow.outbox.add(f"{ticket.code}:answer:{now.isoformat()}",
                                       f"leader:{ticket.assignee}",
                                       texts.RESIDENT_ANSWERED.format(code=ticket.code,
                                                                      text=text[:200]))
                return DeskReply(await self._done(uow, message, [Reply(texts.RELAYED)]))
            link = LINK.match(text)
            if LINK_REQUEST.match(text) or link:
                replies = await self._link(uow, message, resident, link.group(1) if link
                                           else None, now)
                return DeskReply(await self._done(uow, message, replies))
            confirm = await uow.conversations.get(f"resident:{resident.id}")
            if confirm is not None and confirm.get("flow") == "thanks" and flow is None \
                    and THANKS.search(text):
                wish = await uow.tickets.by_code(confirm["code"])
                if wish is not None:
                    wish.thank_you = text[:200]
                    uow.tickets.record(wish, f"resident:{resident.id}", "thanked", text[:200],
                                       platform=message.platform)
                await uow.conversations.delete(f"resident:{resident.id}")
                return DeskReply(await self._done(uow, message, [Reply(texts.THANKS_SAVED)]))
            if confirm is not None and confirm.get("flow") == "confirm" and flow is None \
                    and CONFIRM_ANSWER.match(text):
                replies = await self._confirm(uow, resident, confirm["code"], text, now)
                return DeskReply(await self._done(uow, message, replies))
            query = QUERY.search(text)
            if query:
                reply = await self._status(uow, resident, query.group(1).upper())
                return DeskReply([reply])
            if MY_TICKETS.search(text):
                return DeskReply([await self._mine(uow, resident)])
            if BIND.search(text) and flow is None:
                address = self.router.address(_digits(text))
                if address is not None:
                    resident.building, resident.unit, resident.room = (
                        address.building, address.unit, address.room)
                    await uow.commit()
                    place = address.building + (f"{address.unit}单元" if address.unit else "") \
                        + (address.room or "")
                    return DeskReply([Reply(texts.BOUND.format(place=place))])
            if flow is None:
                return None
            replies = await self._continue(uow, message, resident, flow, now)
            return DeskReply(await self._done(uow, message, replies))

    async def start_report(self, message: IncomingMessage, category: str | None,
                           normalised: str, now: dt.datetime) -> list[Reply]:
        """A report begins: take what the message says, ask only for what is missing."""
        async with self._uow() as uow:
            resident = await uow.residents.get_or_create(message.platform, message.user_id)
            address = self.router.address(normalised)
            flow: dict[str, Any] = {
                "flow": "report", "category": category,
                "building": address.building if address else resident.building,
                "location": _location(normalised), "description": message.text.strip()[:500],
            }
            replies: list[Reply] = []
            found = self._categories.get(category or "")
            if found is not None and found.urgency == "emergency" and found.safety:
                replies.append(Reply(texts.EMERGENCY_FIRST.format(safety=found.safety)))
                if not flow["building"]:
                    flow["building"] = None  # do not wait: duty staff are paged right away
                    replies += await self._create_report(uow, message, resident, flow, now)
                    return await self._done(uow, message, replies)
            replies += await self._advance(uow, message, resident, flow, now)
            return await self._done(uow, message, replies)

    async def start_wish(self, message: IncomingMessage, now: dt.datetime) -> list[Reply]:
        """A wish begins: the message itself is the wish; ask for the building if unknown."""
        async with self._uow() as uow:
            resident = await uow.residents.get_or_create(message.platform, message.user_id)
            flow: dict[str, Any] = {"flow": "wish", "description": message.text.strip()[:500],
                                    "building": resident.building, "anonymous": None}
            replies = await self._advance(uow, message, resident, flow, now)
            return await self._done(uow, message, replies)

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
        await uow.session.execute(update(TicketFollower).where(
            TicketFollower.resident_id == resident.id).values(resident_id=target))
        await uow.session.delete(resident)
        return [Reply(texts.LINKED)]

    async def attach_photo(self, message: IncomingMessage, now: dt.datetime) -> list[Reply]:
        """An image: into the report being made, else onto the resident's newest open report."""
        ref = message.text.strip()[:500]
        async with self._uow() as uow:
            resident = await uow.residents.by_identity(message.platform, message.user_id)
            flow = await uow.conversations.get(message.session_key)
            if resident is not None and flow and flow.get("flow") == "report":
                flow.setdefault("photos", []).append(ref)
                await uow.conversations.set(message.session_key, flow, None)
                return await self._done(uow, message, [Reply(texts.PHOTO_IN_FLOW)])
            recent = [t for t in (await uow.tickets.of_resident(resident.id) if resident else [])
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
            return await self._done(uow, message, [Reply(texts.PHOTO_ATTACHED.format(
                code=ticket.code))])

    async def seen(self, message: IncomingMessage) -> list[Reply] | None:
        """The replies already given to this platform message, if it was handled before."""
        if not message.message_id:
            return None
        async with self._uow() as uow:
            found = await uow.processed.get(_message_key(message))
        return [Reply(t) for t in found.reply.split(REPLY_SEPARATOR)] if found else None

    async def _done(self, uow: UnitOfWork, message: IncomingMessage, replies: list[Reply]
                    ) -> list[Reply]:
        """Commit the message's changes together with the record that it was handled.

        A redelivery racing the first delivery fails on that record and gets the first answer.
        """
        if message.message_id:
            uow.processed.add(_message_key(message),
                              REPLY_SEPARATOR.join(r.text for r in replies))
        try:
            await uow.commit()
        except IntegrityError:
            await uow.rollback()
            return await self.seen(message) or replies
        return replies

    async def introduce(self, platform: str, user_id: str, name: str, building: str) -> None:
        """Record who a known resident is and where they live (console stories, imports)."""
        async with self._uow() as uow:
            resident = await uow.residents.get_or_create(platform, user_id, name)
            if self.router.building(building) is not None and resident.building != building:
                resident.building, resident.name = building, name
            await uow.commit()

    # -- the flow -------------------------------------------------------------------------
    async def _continue(self, uow: UnitOfWork, message: IncomingMessage, resident: Resident,
                        flow: dict[str, Any], now: dt.datetime) -> list[Reply]:
        text = message.text.strip()
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
            flow["description"] = (flow.get("description") or "") + " " + text
        elif awaiting == "anonymous":
            flow["anonymous"] = text.startswith("1") or ("匿名" in text and "不" not in text)
        return await self._advance(uow, message, resident, flow, now)

    async def _advance(self, uow: UnitOfWork, message: IncomingMessage, resident: Resident,
                       flow: dict[str, Any], now: dt.datetime) -> list[Reply]:
        key = message.session_key
        expires = (now + dt.timedelta(minutes=FLOW_MINUTES)).isoformat()
        if flow["flow"] == "report" and not flow.get("category"):
            flow.update(awaiting="category", expires=expires)
            await uow.conversations.set(key, flow, None)
            choices = "\n".join(f"{n}. {self._categories[c].name}"
                                for n, c in enumerate(CATEGORY_CHOICES, start=1)
                                if c in self._categories)
            return [Reply(texts.ASK_CATEGORY.format(choices=choices))]
        if not flow.get("building"):
            flow.update(awaiting="building", expires=expires)
            await uow.conversations.set(key, flow, None)
            return [Reply(texts.ASK_BUILDING)]
        if flow["flow"] == "wish" and flow.get("anonymous") is None:
            flow.update(awaiting="anonymous", expires=expires)
            await uow.conversations.set(key, flow, None)
            return [Reply(texts.ASK_ANONYMOUS)]
        await uow.conversations.delete(key)
        if flow["flow"] == "wish":
            return await self._create_wish(uow, message, resident, flow, now)
        return await self._create_report(uow, message, resident, flow, now)

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
            created_at=now, updated_at=now), "R")
        uow.tickets.record(ticket, f"resident:{resident.id}", "created",
                           f"routed to {route.assignee or 'duty'} ({route.reason})",
                           platform=message.platform)
        for ref in flow.get("photos", []):
            uow.session.add(TicketPhoto(ticket_id=ticket.id, ref=ref,
                                        added_by=f"resident:{resident.id}"))
        self._notify_new(uow, ticket, category)
        who = (texts.WHO_LEADER.format(name=route.assignee) if route.assignee
               else texts.WHO_DUTY)
        return [Reply(texts.REPORT_CREATED.format(
            code=ticket.code, category=category.name if category else "其他",
            place=_place(building, flow.get("location")), who=who))]

    async def _create_wish(self, uow: UnitOfWork, message: IncomingMessage,
                           resident: Resident, flow: dict[str, Any], now: dt.datetime
                           ) -> list[Reply]:
        route = self.router.route(flow.get("building"), now.date())
        ticket = await uow.tickets.add(Ticket(
            kind="wish", building=flow.get("building"), description=flow["description"],
            anonymous=bool(flow.get("anonymous")), resident_id=resident.id,
            assignee=route.assignee, created_at=now, updated_at=now), "W")
        uow.tickets.record(ticket, f"resident:{resident.id}", "created",
                           f"routed to {route.assignee or 'duty'} ({route.reason})",
                           platform=message.platform)
        self._notify_new(uow, ticket, None)
        return [Reply(texts.WISH_CREATED.format(code=ticket.code))]

    def _notify_new(self, uow: UnitOfWork, ticket: Ticket, category: ReportCategory | None
                    ) -> None:
        values = {"kind": texts.KIND_NAMES[ticket.kind], "code": ticket.code,
                  "building": ticket.building or "楼号未知",
                  "place": ticket.location or "", "category": category.name if category else "",
                  "description": ticket.description[:120]}
        urgent = category is not None and category.urgency == "emergency"
        text = (texts.NOTIFY_EMERGENCY if urgent else texts.NOTIFY_NEW).format(**values)
        recipients = [f"leader:{ticket.assignee}"] if ticket.assignee else []
        if urgent or not ticket.assignee:
            recipients += [f"staff:{name}" for name in self.router.on_duty(ticket.created_at)]
        for recipient in recipients:
            uow.outbox.add(f"{ticket.code}:created:{recipient}", recipient, text)

    async def _confirm(self, uow: UnitOfWork, resident: Resident, code: str, text: str,
                       now: dt.datetime) -> list[Reply]:
        """The resident answers "已修好了吗": 1 closes the ticket, 2 reopens it."""
        await uow.conversations.delete(f"resident:{resident.id}")
        ticket = await uow.tickets.by_code(code)
        if ticket is None or ticket.state != "resolved":
            return [Reply(texts.NOTHING_TO_CANCEL)]
        actor = f"resident:{resident.id}"
        ticket.updated_at = now
        if text.strip().startswith("1") or ("修好了" in text and "没" not in text):
            ticket.state, ticket.closed_at = "closed", now
            uow.tickets.record(ticket, actor, "confirmed")
            return [Reply(texts.CONFIRMED.format(code=code))]
        ticket.state, ticket.resolved_at = "reopened", None
        uow.tickets.record(ticket, actor, "reopened")
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
            created=ticket.created_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
            .strftime("%m月%d日 %H:%M")))

    def _what(self, ticket: Ticket) -> str:
        name = texts.what_it_is(self.knowledge, ticket)
        return name if ticket.kind == "wish" else (
            f"{name}（{_place(ticket.building, ticket.location)}）")


def _message_key(message: IncomingMessage) -> str:
    return f"{message.platform}:{message.message_id}"


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
