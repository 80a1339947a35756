"""Building leaders and staff working their tickets from chat, in words or slash commands."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.db.models import OutboxMessage, Ticket, TicketPhoto
from bot.db.repositories import OPEN_STATES
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import IncomingMessage, Reply
from bot.tickets import questions, texts
from bot.tickets.routing import TicketRouter

log = logging.getLogger(__name__)

_CODE = r"\s*([RWrw]\d{3,})"
COMMANDS = (
    ("queue", re.compile(r"^\s*(?:我的工单|待办|工单|/queue|/mine)\s*$")),
    ("thanks", re.compile(r"^\s*(?:感谢留言|/thanks)\s*$")),
    ("failed", re.compile(r"^\s*(?:发送失败|未送达|/failed)\s*$")),
    ("broadcast", re.compile(r"^\s*(?:广播|群通知|/broadcast)\s*[:：]?\s*(.+)$", re.S)),
    ("open", re.compile(r"^\s*(?:查看|详情|打开|/open)" + _CODE + r"\s*$")),
    ("claim", re.compile(r"^\s*(?:接单|认领|/claim)" + _CODE + r"\s*$")),
    ("progress", re.compile(r"^\s*(?:进度|进展|/progress)" + _CODE + r"\s*(.*)$", re.S)),
    ("done", re.compile(r"^\s*(?:完成|实现|已修好|/done)" + _CODE + r"\s*(.*)$", re.S)),
    ("cannot", re.compile(r"^\s*(?:无法实现|/cannot)" + _CODE + r"\s*(.*)$", re.S)),
    ("transfer", re.compile(r"^\s*(?:转交|转给|/transfer)" + _CODE + r"\s*(.+)$", re.S)),
    ("reply", re.compile(r"^\s*(?:回复|/reply)" + _CODE + r"\s*(.+)$", re.S)),
    ("return", re.compile(r"^\s*(?:退回|/return)" + _CODE + r"\s*(.*)$", re.S)),
    ("merge", re.compile(r"^\s*(?:合并|/merge)" + _CODE + r"\s*(?:到|并入|->)?" + _CODE
                         + r"\s*$")),
)
URGENCY_ORDER = {"emergency": 0, "urgent": 1, "normal": 2}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a building leader or station staff, by roster name."""

    role: str      # "leader", "volunteer" or "staff"
    name: str

    @property
    def label(self) -> str:
        """"leader:李琳" — also the outbox recipient."""
        return f"{self.role}:{self.name}"


class LeaderDesk:
    """Ticket commands of leaders and staff, inside the message's unit of work."""

    def __init__(self, knowledge: Knowledge, router: TicketRouter, zone: ZoneInfo,
                 notice_groups: tuple[str, ...] = ()) -> None:
        self.knowledge = knowledge
        self.router = router
        self.zone = zone
        self.notice_groups = notice_groups  # buildings/compounds whose group hears of results
        roster = knowledge.roster
        self._leaders = {p.name for p in roster.people}
        self._volunteers = {p.name for p in roster.people if p.role == "volunteer"}
        self._staff = {s.name: s.name for s in roster.staff}
        self._staff.update({alias: s.name for s in roster.staff for alias in s.aliases})
        # platform identities of the roster: WeCom accounts, and Telegram ids where given
        self._accounts: dict[tuple[str, str], Actor] = {}
        for p in roster.people:
            actor = Actor("volunteer" if p.role == "volunteer" else "leader", p.name)
            self._accounts.update({(k, v): actor for k, v in (
                ("wecom", p.wecom_userid), ("telegram", p.telegram_id)) if v})
        for s in roster.staff:
            self._accounts.update({(k, v): Actor("staff", s.name) for k, v in (
                ("wecom", s.wecom_userid), ("telegram", s.telegram_id)) if v})

    def actor(self, message: IncomingMessage) -> Actor | None:
        """The leader or staff member behind a message, if it is one."""
        if message.platform == "console" and ":" in message.user_id:
            role, name = message.user_id.split(":", 1)
            if role == "leader" and name in self._leaders:
                return Actor("leader", name)
            if role == "volunteer" and name in self._volunteers:
                return Actor("volunteer", name)
            if role == "staff" and name in self._staff:
                return Actor("staff", self._staff[name])
        return self._accounts.get((message.platform, message.user_id))

    async def handle(self, uow: UnitOfWork, actor: Actor, message: IncomingMessage,
                     now: dt.datetime) -> list[Reply] | None:
        """Run a ticket command; None if the message is not one."""
        for name, pattern in COMMANDS:
            match = pattern.match(message.text)
            if not match:
                continue
            if name == "queue":
                return [await self._queue(uow, actor, now)]
            if name == "thanks":
                return [await self._thanks(uow)]
            if name == "failed":
                return [await self._failed(uow, actor)]
            if name == "broadcast":
                return [self._broadcast(uow, actor, match.group(1).strip(), now)]
            code = match.group(1).upper()
            if name == "open":
                return [await self._open(uow, actor, code, message.platform)]
            note = (match.group(2) if match.lastindex and match.lastindex >= 2 else "").strip()
            return [await self._act(uow, actor, name, code, note, message.platform, now)]
        return None

    async def _failed(self, uow: UnitOfWork, actor: Actor) -> Reply:
        """Staff see the notifications that could not be delivered after every retry."""
        if actor.role != "staff":
            return Reply(texts.STAFF_ONLY)
        rows = (await uow.session.execute(
            select(OutboxMessage).where(OutboxMessage.state == "failed")
            .order_by(OutboxMessage.id.desc()).limit(10))).scalars().all()
        if not rows:
            return Reply(texts.NO_FAILED)
        return Reply(texts.FAILED_LIST.format(lines="\n".join(texts.FAILED_LINE.format(
            recipient=m.recipient, text=m.text.replace("\n", " ")[:40],
            error=(m.last_error or "")[:60]) for m in rows)))

    def _broadcast(self, uow: UnitOfWork, actor: Actor, text: str, now: dt.datetime) -> Reply:
        """Staff post a notice to every building group the station configured."""
        if actor.role != "staff":
            log.warning("refused: %s tried to broadcast", actor.label)
            return Reply(texts.STAFF_ONLY)
        if not self.notice_groups:
            return Reply(texts.BROADCAST_NO_GROUPS)
        for group in self.notice_groups:
            uow.outbox.add(f"broadcast:{now.isoformat()}:{group}", f"group:{group}",
                           texts.BROADCAST.format(text=text[:500]))
        return Reply(texts.BROADCAST_SENT.format(count=len(self.notice_groups)))

    def _notice_group(self, ticket: Ticket) -> str | None:
        """The group that hears about this ticket's building, if the station set one up."""
        building = self.router.building(ticket.building or "")
        for name in (ticket.building, building.compound if building else None):
            if name and name in self.notice_groups:
                return name
        return None

    async def _open(self, uow: UnitOfWork, actor: Actor, code: str, platform: str) -> Reply:
        """The whole ticket, the resident's full phone number included (audited)."""
        ticket = await uow.tickets.by_code(code)
        if ticket is None:
            return Reply(texts.NO_SUCH_TICKET.format(code=code))
        if not self._allowed(actor, ticket):
            log.warning("refused: %s tried to open %s", actor.label, code)
            return Reply(texts.NOT_YOUR_TICKET.format(code=code))
        resident = (await uow.residents.get(ticket.resident_id)
                    if ticket.resident_id is not None else None)
        photos = (await uow.session.execute(select(func.count(TicketPhoto.id)).where(
            TicketPhoto.ticket_id == ticket.id))).scalar_one()
        if resident is None:
            who, phone = texts.NOBODY, texts.NO_PHONE
        elif ticket.anonymous:
            who, phone = texts.ANONYMOUS, texts.NO_PHONE
        else:
            who = resident.name + "".join(
                x for x in (resident.building, resident.unit and f"{resident.unit}单元",
                            resident.room) if x)
            phone = resident.phone or texts.NO_PHONE
        uow.tickets.record(ticket, actor.label, "opened", platform=platform)
        return Reply(texts.OPENED.format(
            code=ticket.code, what=texts.what_it_is(self.knowledge, ticket),
            state=texts.STATES.get(ticket.state, ticket.state),
            place=(ticket.building or "") + (ticket.location or ""),
            description=ticket.description, resident=who or texts.NOBODY, phone=phone,
            photos=photos,
            created=ticket.created_at.astimezone(self.zone).strftime("%m月%d日 %H:%M")))

    async def _queue(self, uow: UnitOfWork, actor: Actor, now: dt.datetime) -> Reply:
        if actor.role == "staff":
            tickets = await uow.tickets.queue(None)
        elif actor.role == "volunteer":  # open wishes nobody has claimed, and their own
            tickets = [t for t in await uow.tickets.open_wishes()
                       if t.state == "new" or t.assignee == actor.name]
        else:
            tickets = await uow.tickets.queue(actor.name)
        if not tickets:
            return Reply(texts.QUEUE_EMPTY)
        tickets.sort(key=lambda t: (URGENCY_ORDER.get(t.urgency, 2), t.created_at))
        lines = "\n".join(texts.QUEUE_LINE.format(
            code=t.code, what=texts.what_it_is(self.knowledge, t), building=t.building or "",
            place=t.location or "",
            age=_age(now - t.created_at),
            flag=(texts.OVERDUE if t.due_at and t.due_at <= now else "")
            + (texts.URGENT if t.urgency != "normal" else "")) for t in tickets[:10])
        return Reply(texts.QUEUE.format(count=len(tickets), lines=lines))

    async def _thanks(self, uow: UnitOfWork) -> Reply:
        """Residents' thank-you lines for fulfilled wishes, newest first, to publish."""
        rows = (await uow.session.execute(
            select(Ticket).where(Ticket.thank_you.is_not(None))
            .order_by(Ticket.updated_at.desc()).limit(10))).scalars().all()
        if not rows:
            return Reply(texts.NO_THANKS)
        return Reply(texts.THANKS_LIST.format(lines="\n".join(texts.THANKS_LINE.format(
            code=t.code, building=t.building or "", text=t.thank_you) for t in rows)))

    def _allowed(self, actor: Actor, ticket: Ticket) -> bool:
        """Staff: everything. Leaders and backups: their buildings and what is assigned to them.
        Volunteers registered in the roster: also any wish nobody has claimed yet."""
        if actor.role == "staff":
            return True
        if ticket.assignee == actor.name or ticket.building in self.router.buildings_of(
                actor.name):
            return True
        return (actor.name in self._volunteers and ticket.kind == "wish"
                and ticket.state == "new")

    async def _act(self, uow: UnitOfWork, actor: Actor, command: str, code: str, note: str,
                   platform: str, now: dt.datetime) -> Reply:
        ticket = await uow.tickets.by_code(code)
        if ticket is None:
            return Reply(texts.NO_SUCH_TICKET.format(code=code))
        if not self._allowed(actor, ticket):
            log.warning("refused: %s tried %s on %s", actor.label, command, code)
            return Reply(texts.NOT_YOUR_TICKET.format(code=code))
        if ticket.state not in (*OPEN_STATES, "resolved") or (
                ticket.state == "resolved" and command != "reply"):
            return Reply(texts.CLOSED_ALREADY.format(
                code=code, state=texts.STATES.get(ticket.state, ticket.state)))
        resident = f"resident:{ticket.resident_id}" if ticket.resident_id else None
        what = texts.what_it_is(self.knowledge, ticket)
        step = len(await uow.tickets.events(ticket))
        key = f"{code}:{step}:{command}"
        if command == "claim":
            if ticket.state == "claimed" and ticket.assignee not in (None, actor.name):
                return Reply(texts.CLAIMED_BY_OTHER.format(code=code, name=ticket.assignee))
            ticket.state, ticket.assignee = "claimed", actor.name
            self._tell(uow, resident, key, texts.TO_RESIDENT_CLAIMED.format(
                what=what, code=code, name=_who(actor)))
            reply = texts.CLAIMED.format(code=code)
        elif command == "progress":
            ticket.state = "in_progress"
            self._tell(uow, resident, key, texts.TO_RESIDENT_PROGRESS.format(code=code,
                                                                             note=note))
            reply = texts.PROGRESS_SAVED.format(code=code)
        elif command in ("done", "cannot"):
            ticket.state, ticket.resolved_at = "resolved", now
            if ticket.kind == "wish":
                ticket.state, ticket.closed_at = ("closed" if command == "done"
                                                  else "cancelled"), now
                text = (texts.TO_RESIDENT_WISH_DONE if command == "done"
                        else texts.TO_RESIDENT_WISH_CANNOT).format(code=code, note=note or "")
                if command == "done" and ticket.resident_id:  # the next 谢谢 is kept
                    await questions.ask(uow, ticket.resident_id, now, thanks=code)
            else:
                text = texts.TO_RESIDENT_DONE.format(code=code, note=note or "已处理")
                group = self._notice_group(ticket)
                if group is not None:  # the neighbours hear it is fixed, without who reported
                    uow.outbox.add(f"{key}:group", f"group:{group}", texts.GROUP_RESOLVED.format(
                        code=code, place=(ticket.building or "") + (ticket.location or ""),
                        what=what))
                if ticket.resident_id:
                    await questions.ask(uow, ticket.resident_id, now, confirm=code)
            self._tell(uow, resident, key, text)
            for follower in await uow.tickets.followers(ticket):
                self._tell(uow, f"resident:{follower}", f"{key}:{follower}", text)
            reply = texts.DONE_SAVED.format(code=code)
        elif command == "transfer":
            target = self.router.address(note)
            name = (self.router.route(target.building, now.date()).assignee if target
                    else (note if note in self._leaders else None))
            if name is None:
                return Reply(texts.TRANSFER_UNKNOWN.format(target=note[:20]))
            ticket.state, ticket.assignee = "transferred", name
            if target:
                ticket.building = target.building
            uow.outbox.add(key, f"leader:{name}", texts.TO_LEADER_TRANSFER.format(
                code=code, building=ticket.building or "", place=ticket.location or "",
                what=what))
            reply = texts.TRANSFERRED.format(code=code, name=name)
        elif command == "reply":
            self._tell(uow, resident, key, texts.TO_RESIDENT_REPLY.format(
                code=code, name=actor.name, note=note))
            if ticket.kind == "report" and ticket.paused_since is None:
                ticket.paused_since = now  # the deadline waits while the resident answers
            reply = texts.REPLIED.format(code=code)
        elif command == "merge":
            into = await uow.tickets.by_code(note.upper()) if note else None
            if into is None or into.id == ticket.id or into.state not in OPEN_STATES:
                return Reply(texts.MERGE_UNKNOWN)
            if not self._allowed(actor, into):
                return Reply(texts.NOT_YOUR_TICKET.format(code=into.code))
            ticket.state, ticket.merged_into_id = "merged", into.id
            reporters = await uow.tickets.followers(ticket)
            if ticket.resident_id is not None:
                reporters.append(ticket.resident_id)
            for follower in sorted(set(reporters)):
                if follower != into.resident_id:
                    await uow.tickets.follow(into, follower)
                    uow.outbox.add(f"{key}:{follower}", f"resident:{follower}",
                                   texts.TO_RESIDENT_MERGED.format(what=what, code=code,
                                                                   into=into.code))
            uow.tickets.record(into, actor.label, "merged_in", code, platform=platform)
            reply = texts.MERGED.format(code=code, into=into.code)
        else:  # return to the duty queue
            ticket.state, ticket.assignee = "new", None
            for name in self.router.on_duty(now):
                uow.outbox.add(f"{key}:{name}", f"staff:{name}",
                               texts.TO_DUTY_RETURNED.format(code=code, name=actor.name,
                                                             note=note))
            reply = texts.RETURNED.format(code=code)
        ticket.updated_at = now
        uow.tickets.record(ticket, actor.label, command, note, platform=platform)
        return Reply(reply)

    @staticmethod
    def _tell(uow: UnitOfWork, recipient: str | None, key: str, text: str) -> None:
        if recipient is not None:
            uow.outbox.add(key, recipient, text)



def _who(actor: Actor) -> str:
    return {"leader": "楼栋长", "volunteer": "志愿者"}.get(actor.role, "工作人员") + actor.name


def _age(delta: dt.timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}天前" if hours >= 24 else (f"{hours}小时前" if hours else "刚刚")
