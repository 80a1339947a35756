"""Building leaders, volunteers and staff working tickets: claim, progress, finish, hand on,
answer, return, merge, and the lists they look at. Inside the message's unit of work; each
action returns the text that answers the person who acted. The chat handlers call these, and
so will any other desk (a web page) that lets staff act on tickets."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.db.models import Ticket
from bot.db.repositories import AWAITING_RESPONSE, OPEN_STATES
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.tickets import texts
from bot.tickets.outbox import notice_key
from bot.tickets.people import StationPeople
from bot.tickets.routing import TicketRouter
from bot.turn import Actor
from bot.working_time import WorkingCalendar
from intents.commands import merge_target

log = logging.getLogger(__name__)
QUEUE_LINES = 10
RATING_BUTTONS = ("1", "2", "3", "4", "5")   # a fulfilled wish's 满意度, one tap each


class LeaderDesk:
    """Ticket actions of leaders, volunteers and staff."""

    def __init__(self, knowledge: Knowledge, router: TicketRouter, people: StationPeople,
                 zone: ZoneInfo, notice_groups: tuple[str, ...] = (),
                 calendar: WorkingCalendar | None = None) -> None:
        self.calendar = calendar     # None: deadlines count the clock
        self.knowledge = knowledge
        self.router = router
        self.people = people
        self.zone = zone
        self.notice_groups = notice_groups  # buildings/compounds whose group hears of results

    # -- who may do what -------------------------------------------------------------------
    def allowed(self, actor: Actor, ticket: Ticket) -> bool:
        """Staff: everything. Leaders and backups: their buildings and what is assigned to
        them. Volunteers: also any wish nobody has claimed yet. Requests for a person: staff."""
        if actor.is_staff:
            return True
        if ticket.kind == "consult":
            return False
        if ticket.assignee == actor.name or ticket.building in self.router.buildings_of(
                actor.name):
            return True
        return (actor.name in self.people.volunteers and ticket.kind == "wish"
                and ticket.state == "new")

    async def _ticket(self, uow: UnitOfWork, actor: Actor, code: str, verb: str,
                      finished_ok: bool = False) -> Ticket | str:
        """The ticket an action is about, or the answer saying why it cannot be done."""
        ticket = await uow.tickets.by_code(code)
        if ticket is None:
            return texts.NO_SUCH_TICKET.format(code=code)
        if not self.allowed(actor, ticket):
            log.warning("refused: %s tried %s on %s", actor.label, verb, code)
            if ticket.kind == "consult":
                return texts.CONSULT_STAFF_ONLY.format(code=code)
            return texts.NOT_YOUR_TICKET.format(code=code)
        if ticket.state not in OPEN_STATES and not (finished_ok and ticket.state == "resolved"):
            return texts.CLOSED_ALREADY.format(code=code, state=self.state_of(ticket))
        if (ticket.kind == "consult" and ticket.assignee not in (None, actor.name)
                and verb != "claim"):  # 首问负责: the first who took it answers it
            log.info("refused: %s tried %s on %s, owned by %s", actor.label, verb, code,
                     ticket.assignee)
            return texts.CONSULT_CLAIMED_BY_OTHER.format(code=code, name=ticket.assignee)
        return ticket

    def state_of(self, ticket: Ticket) -> str:
        """A ticket's state as leaders and staff read it."""
        return texts.state_text(ticket, ticket.assignee or texts.WHO_DUTY, for_staff=True)

    def _done(self, uow: UnitOfWork, ticket: Ticket, actor: Actor, verb: str, note: str,
              now: dt.datetime, platform: str, responded: bool = True,
              assignee: str | None = None) -> None:
        """What every action ends with: the time, the first response, the audit event; the
        person who had the ticket (`assignee`, before the action) hears when someone else
        finished, moved or returned it."""
        if assignee and assignee != actor.name and verb in texts.ACTED:
            uow.outbox.add(self._key(ticket, f"acted:{verb}"), self.people.recipient(assignee),
                           texts.TO_ASSIGNEE_OTHER_ACTED.format(
                               code=ticket.code, name=self.people.described(actor.name),
                               what=texts.ACTED[verb]))
        ticket.updated_at = now
        if responded and ticket.responded_at is None:
            ticket.responded_at = now
        uow.tickets.record(ticket, actor.label, verb, note, platform=platform)

    @staticmethod
    def _key(ticket: Ticket, verb: str) -> str:
        return notice_key(ticket.code, verb)

    @staticmethod
    def _tell(uow: UnitOfWork, residents: Sequence[int], key: str, text: str,
              actions: tuple[str, ...] = ()) -> None:
        for resident in residents:
            uow.outbox.add(f"{key}:{resident}", f"resident:{resident}", text, actions)

    # -- actions ---------------------------------------------------------------------------
    async def open(self, uow: UnitOfWork, actor: Actor, code: str, now: dt.datetime,
                   platform: str) -> str:
        """The whole ticket, the resident's full phone number included (audited)."""
        ticket = await uow.tickets.by_code(code)
        if ticket is None:
            return texts.NO_SUCH_TICKET.format(code=code)
        if not self.allowed(actor, ticket):
            log.warning("refused: %s tried to open %s", actor.label, code)
            return (texts.CONSULT_STAFF_ONLY if ticket.kind == "consult"
                    else texts.NOT_YOUR_TICKET).format(code=code)
        resident = (await uow.residents.get(ticket.resident_id)
                    if ticket.resident_id is not None else None)
        if resident is None:
            who, phone = texts.NOBODY, texts.NO_PHONE
        elif ticket.anonymous:
            who, phone = texts.ANONYMOUS, texts.NO_PHONE
        else:
            home = "".join(x for x in (resident.building,
                                       resident.unit and f"{resident.unit}单元",
                                       resident.room) if x)
            who = resident.name + (f"（{home}）" if home else "")
            phone = resident.phone or texts.NO_PHONE
        uow.tickets.record(ticket, actor.label, "opened", platform=platform)
        return texts.OPENED.format(
            code=ticket.code, what=texts.what_it_is(self.knowledge, ticket),
            state=self.state_of(ticket),
            place=(ticket.building or "") + (ticket.location or ""),
            description=ticket.description, resident=who or texts.NOBODY, phone=phone,
            photos=await uow.tickets.photo_count(ticket),
            created=ticket.created_at.astimezone(self.zone).strftime("%m月%d日 %H:%M"))

    async def claim(self, uow: UnitOfWork, actor: Actor, code: str, now: dt.datetime,
                    platform: str) -> str:
        """Take a ticket. A request for a person stays with the first staff member who takes
        it (首问负责) until they hand it on."""
        ticket = await self._ticket(uow, actor, code, "claim")
        if isinstance(ticket, str):
            return ticket
        if ticket.state in ("claimed", "in_progress") and ticket.assignee == actor.name:
            return texts.CLAIMED_ALREADY.format(code=code)
        if ticket.state == "claimed" and ticket.assignee not in (None, actor.name):
            if ticket.kind == "consult":
                return texts.CONSULT_CLAIMED_BY_OTHER.format(code=code, name=ticket.assignee)
            return texts.CLAIMED_BY_OTHER.format(code=code, name=ticket.assignee)
        reporters = await uow.tickets.reporters(ticket)
        if ticket.assignee not in (None, actor.name):  # a backup or staff takes it over
            uow.outbox.add(self._key(ticket, "taken"), self.people.recipient(ticket.assignee),
                           texts.TO_PREVIOUS_CLAIMED.format(
                               code=code, name=self.people.described(actor.name)))
        ticket.state, ticket.assignee = "claimed", actor.name
        if ticket.kind == "consult":
            text = texts.TO_RESIDENT_CONSULT_CLAIMED.format(code=code, name=actor.name)
        else:
            text = texts.TO_RESIDENT_CLAIMED.format(
                what=texts.what_it_is(self.knowledge, ticket), code=code,
                name=self.people.described(actor.name))
        self._tell(uow, reporters, self._key(ticket, "claim"), text)
        self._done(uow, ticket, actor, "claim", "", now, platform)
        answer = {"consult": texts.CONSULT_CLAIMED, "wish": texts.CLAIMED_WISH}.get(
            ticket.kind, texts.CLAIMED)
        return answer.format(code=code)

    async def progress(self, uow: UnitOfWork, actor: Actor, code: str, note: str,
                       now: dt.datetime, platform: str) -> str:
        """Tell the resident (and followers) how it is going."""
        ticket = await self._ticket(uow, actor, code, "progress")
        if isinstance(ticket, str):
            return ticket
        before = ticket.assignee
        if not note:
            return texts.PROGRESS_EMPTY.format(code=code)
        reporters = await uow.tickets.reporters(ticket)
        ticket.state = "in_progress"
        if ticket.assignee is None:
            ticket.assignee = actor.name
        self._tell(uow, reporters, self._key(ticket, "progress"),
                   texts.TO_RESIDENT_PROGRESS.format(code=code, note=note))
        self._done(uow, ticket, actor, "progress", note, now, platform, assignee=before)
        return texts.PROGRESS_SAVED.format(code=code)

    async def finish(self, uow: UnitOfWork, actor: Actor, code: str, note: str, fulfilled: bool,
                     now: dt.datetime, platform: str) -> str:
        """完成 / 实现 (fulfilled) or 无法实现: a repair is resolved and the resident asked to
        confirm; a wish is fulfilled or cannot be; a request for a person is closed."""
        ticket = await self._ticket(uow, actor, code, "done" if fulfilled else "cannot")
        if isinstance(ticket, str):
            return ticket
        before = ticket.assignee
        if not fulfilled and ticket.kind != "wish":
            return texts.CANNOT_IS_FOR_WISHES.format(code=code)
        if not fulfilled and not note:
            return texts.CANNOT_EMPTY.format(code=code)
        reporters = await uow.tickets.reporters(ticket)
        key = self._key(ticket, "done" if fulfilled else "cannot")
        if ticket.kind == "wish":
            ticket.state, ticket.closed_at = ("closed" if fulfilled else "declined"), now
            text = (_with_note(texts.TO_RESIDENT_WISH_DONE, texts.TO_RESIDENT_WISH_DONE_PLAIN,
                               code, note)
                    if fulfilled else texts.TO_RESIDENT_WISH_CANNOT.format(code=code, note=note))
            self._tell(uow, reporters, key, text, RATING_BUTTONS if fulfilled else ())
            if fulfilled and ticket.resident_id:  # the next 谢谢 is kept, and a 1-5 rating
                asked = await uow.conversations.load_questions(ticket.resident_id, now)
                await uow.conversations.save_questions(
                    ticket.resident_id, asked.asking(thanks=code, rate=code), now)
            reply = texts.WISH_DONE_SAVED if fulfilled else texts.WISH_CANNOT_SAVED
        elif ticket.kind == "consult":
            ticket.state, ticket.closed_at, ticket.paused_since = "closed", now, None
            self._tell(uow, reporters, key, _with_note(
                texts.TO_RESIDENT_CONSULT_DONE, texts.TO_RESIDENT_CONSULT_DONE_PLAIN, code, note))
            reply = texts.CONSULT_DONE_SAVED
        else:
            ticket.state, ticket.resolved_at, ticket.paused_since = "resolved", now, None
            self._tell(uow, reporters, key, _with_note(
                texts.TO_RESIDENT_DONE, texts.TO_RESIDENT_DONE_PLAIN, code, note), ("1", "2"))
            for resident in reporters:  # every reporter's and follower's answer counts
                asked = await uow.conversations.load_questions(resident, now)
                await uow.conversations.save_questions(resident, asked.asking(confirm=code),
                                                       now)
            group = self._notice_group(ticket)
            if group is not None:  # the neighbours hear it is fixed, without who reported
                uow.outbox.add(f"{key}:group", f"group:{group}", texts.GROUP_RESOLVED.format(
                    code=code, place=(ticket.building or "") + (ticket.location or ""),
                    what=texts.what_it_is(self.knowledge, ticket)))
            reply = texts.DONE_SAVED
        self._done(uow, ticket, actor, "done" if fulfilled else "cannot", note, now, platform,
                   assignee=before)
        return reply.format(code=code)

    async def transfer(self, uow: UnitOfWork, actor: Actor, code: str, target: str,
                       now: dt.datetime, platform: str) -> str:
        """Hand a ticket on: to another building (its leader), a named leader, or for a
        request for a person, another staff member."""
        ticket = await self._ticket(uow, actor, code, "transfer")
        if isinstance(ticket, str):
            return ticket
        before = ticket.assignee
        if not target.strip():
            return texts.TRANSFER_EMPTY.format(code=code)
        what = texts.what_it_is(self.knowledge, ticket)
        reporters = await uow.tickets.reporters(ticket)
        if ticket.kind == "consult":
            name = self.people.staff_member(target)
            if name is None:
                return texts.TRANSFER_STAFF_UNKNOWN.format(target=target[:20])
            if name == ticket.assignee:
                return texts.TRANSFER_TO_SELF.format(code=code)
            ticket.state, ticket.assignee = "transferred", name
            uow.outbox.add(self._key(ticket, "transfer"), f"staff:{name}",
                           texts.TO_STAFF_CONSULT_TRANSFER.format(
                               code=code, name=actor.name, description=ticket.description),
                           (f"接单 {code}", f"查看 {code}"))
            self._tell(uow, reporters, self._key(ticket, "transferred"),
                       texts.TO_RESIDENT_TRANSFERRED.format(what=what, code=code,
                                                            name=self.people.described(name)))
            self._done(uow, ticket, actor, "transfer", target, now, platform, responded=False,
                       assignee=before)
            return texts.TRANSFERRED.format(code=code, name=name)
        address = self.router.address(target)
        name = (self.router.route(address.building, now.date()).assignee if address
                else (target.strip() if target.strip() in self.people.leaders
                      else self.people.staff_member(target)))
        if name is None:
            return texts.TRANSFER_UNKNOWN.format(target=target[:20])
        if name == ticket.assignee and (address is None or address.building == ticket.building):
            return texts.TRANSFER_TO_SELF.format(code=code)
        if address is None and not self.router.available(name, now.date()):
            return texts.TRANSFER_AWAY.format(name=name,
                                              until=self.router.away_until(name) or "")
        ticket.state, ticket.assignee = "transferred", name
        if address:
            ticket.building = address.building   # the place within it stays as reported
        self._restart_deadline(ticket, now)
        self._tell(uow, reporters, self._key(ticket, "transferred"),
                   texts.TO_RESIDENT_TRANSFERRED.format(what=what, code=code,
                                                        name=self.people.described(name)))
        uow.outbox.add(self._key(ticket, "transfer"), self.people.recipient(name),
                       texts.TO_LEADER_TRANSFER.format(
                           code=code, building=ticket.building or "",
                           place=ticket.location or "", what=what),
                       (f"接单 {code}", f"查看 {code}"))
        self._done(uow, ticket, actor, "transfer", target, now, platform, responded=False,
                   assignee=before)
        return texts.TRANSFERRED.format(code=code, name=name)

    async def reply(self, uow: UnitOfWork, actor: Actor, code: str, note: str,
                    now: dt.datetime, platform: str) -> str:
        """Say something to the resident; their next message is relayed back."""
        ticket = await self._ticket(uow, actor, code, "reply", finished_ok=True)
        if isinstance(ticket, str):
            return ticket
        if not note:
            return texts.REPLY_EMPTY.format(code=code)
        name = self.people.described(actor.name)
        self._tell(uow, [ticket.resident_id] if ticket.resident_id else [],
                   self._key(ticket, "reply"),
                   texts.TO_RESIDENT_REPLY.format(code=code, name=name, note=note))
        if ticket.state in OPEN_STATES and ticket.paused_since is None:
            ticket.paused_since = now  # waiting for the resident's answer
        if ticket.kind == "consult" and ticket.assignee is None:
            ticket.state, ticket.assignee = "claimed", actor.name
        # A question to the resident is no first response (接单): the deadline still runs,
        # except for a request for a person, where answering it is taking it.
        self._done(uow, ticket, actor, "reply", note, now, platform,
                   responded=ticket.kind == "consult")
        return texts.REPLIED.format(code=code)

    async def return_to_duty(self, uow: UnitOfWork, actor: Actor, code: str, note: str,
                             now: dt.datetime, platform: str) -> str:
        """Give a ticket back to the station's duty queue; the resident hears who has it now."""
        ticket = await self._ticket(uow, actor, code, "return")
        if isinstance(ticket, str):
            return ticket
        before = ticket.assignee
        if ticket.assignee is None:
            return texts.RETURNED_ALREADY.format(code=code)
        if not note:
            return texts.RETURN_EMPTY.format(code=code)
        reporters = await uow.tickets.reporters(ticket)
        ticket.state, ticket.assignee = "new", None
        self._restart_deadline(ticket, now)
        key = self._key(ticket, "return")
        for name in self.router.on_duty(now):
            uow.outbox.add(f"{key}:{name}", f"staff:{name}", texts.TO_DUTY_RETURNED.format(
                code=code, name=actor.name, note=note),
                (f"接单 {code}", f"查看 {code}"))
        self._tell(uow, reporters, key,
                   texts.TO_RESIDENT_RETURNED.format(
                       what=texts.what_it_is(self.knowledge, ticket), code=code))
        self._done(uow, ticket, actor, "return", note, now, platform, responded=False,
                   assignee=before)
        return texts.RETURNED.format(code=code)

    async def merge(self, uow: UnitOfWork, actor: Actor, code: str, note: str,
                    now: dt.datetime, platform: str) -> str:
        """Two tickets of one problem: the first's reporters follow the second."""
        ticket = await self._ticket(uow, actor, code, "merge")
        if isinstance(ticket, str):
            return ticket
        before = ticket.assignee
        target = merge_target(note)
        into = await uow.tickets.by_code(target) if target else None
        if into is not None and into.id == ticket.id:
            return texts.MERGE_SAME.format(code=code)
        if into is None or into.state not in OPEN_STATES:
            return texts.MERGE_UNKNOWN
        if not self.allowed(actor, into):
            return texts.NOT_YOUR_TICKET.format(code=into.code)
        ticket.state, ticket.merged_into_id = "merged", into.id
        key = self._key(ticket, "merge")
        what = texts.what_it_is(self.knowledge, ticket)
        for follower in sorted(set(await uow.tickets.reporters(ticket))):
            if follower != into.resident_id:
                await uow.tickets.follow(into, follower)
                uow.outbox.add(f"{key}:{follower}", f"resident:{follower}",
                               texts.TO_RESIDENT_MERGED.format(what=what, code=code,
                                                               into=into.code))
        uow.tickets.record(into, actor.label, "merged_in", code, platform=platform)
        self._done(uow, ticket, actor, "merge", into.code, now, platform, assignee=before)
        return texts.MERGED.format(code=code, into=into.code)

    def _restart_deadline(self, ticket: Ticket, now: dt.datetime) -> None:
        """A ticket with a new handler waits for a first response again."""
        category = self.knowledge.report_category(ticket.category or "")
        if ticket.kind == "report":
            hours = category.response_hours if category else 72
            ticket.due_at = (now + dt.timedelta(hours=hours) if self.calendar is None else
                             self.calendar.deadline(now, hours, ticket.urgency == "emergency"))
        ticket.responded_at = ticket.reminded_at = ticket.escalated_at = None

    # -- lists -----------------------------------------------------------------------------
    async def queue(self, uow: UnitOfWork, actor: Actor, now: dt.datetime,
                    overdue: bool = False) -> str:
        """What a person has to do: staff see every open ticket of the station; leaders what
        is theirs; volunteers what is theirs and every wish nobody has claimed. `overdue`:
        only those past their first-response deadline."""
        if actor.is_staff:
            tickets = await uow.tickets.open_in(None)
        else:
            tickets = [t for t in await uow.tickets.open_in(None, ("report", "wish"))
                       if t.assignee == actor.name or (
                           actor.role == "volunteer" and t.kind == "wish" and t.state == "new")]
        if overdue:
            tickets = [t for t in tickets if _overdue(t, now)]
            if not tickets:
                return texts.NO_OVERDUE
        if not tickets:
            return texts.QUEUE_EMPTY
        template = texts.QUEUE_LINE_OWNER if actor.is_staff else texts.QUEUE_LINE
        lines = [template.format(
            code=t.code, what=texts.what_it_is(self.knowledge, t), building=t.building or "",
            place=t.location or "", age=_age(now - t.created_at), state=self.state_of(t),
            flag=(texts.OVERDUE if _overdue(t, now) else "")
            + (texts.URGENT if t.urgency != "normal" else "")) for t in tickets[:QUEUE_LINES]]
        if len(tickets) > QUEUE_LINES:
            lines.append(texts.MORE_LINES.format(count=len(tickets) - QUEUE_LINES))
        template = (texts.OVERDUE_LIST if overdue
                    else texts.STATION_QUEUE if actor.is_staff else texts.QUEUE)
        return template.format(count=len(tickets), lines="\n".join(lines))

    async def thanks(self, uow: UnitOfWork, actor: Actor) -> str:
        """Residents' thank-you lines for fulfilled wishes, newest first, to publish."""
        rows = await uow.tickets.thanked()
        if not rows:
            return texts.NO_THANKS
        return texts.THANKS_LIST.format(lines="\n".join(texts.THANKS_LINE.format(
            code=t.code, building=t.building or "", text=t.thank_you) for t in rows))

    async def failures(self, uow: UnitOfWork, actor: Actor) -> str:
        """Staff see the notifications that could not be delivered after every retry."""
        if not actor.is_staff:
            return texts.STAFF_ONLY
        rows = await uow.outbox.failures()
        if not rows:
            return texts.NO_FAILED
        return texts.FAILED_LIST.format(lines="\n".join(texts.FAILED_LINE.format(
            recipient=m.recipient, text=m.text.replace("\n", " ")[:40],
            error=(m.last_error or "")[:60]) for m in rows))

    def broadcast(self, uow: UnitOfWork, actor: Actor, text: str, now: dt.datetime) -> str:
        """Staff post a notice to every building group the station configured."""
        if not actor.is_staff:
            log.warning("refused: %s tried to broadcast", actor.label)
            return texts.STAFF_ONLY
        if not self.notice_groups:
            return texts.BROADCAST_NO_GROUPS
        for group in self.notice_groups:
            uow.outbox.add(notice_key("broadcast", group), f"group:{group}",
                           texts.BROADCAST.format(text=text[:500]))
        return texts.BROADCAST_SENT.format(count=len(self.notice_groups))

    def _notice_group(self, ticket: Ticket) -> str | None:
        """The group that hears about this ticket's building, if the station set one up."""
        building = self.router.building(ticket.building or "")
        for name in (ticket.building, building.compound if building else None):
            if name and name in self.notice_groups:
                return name
        return None


def _overdue(ticket: Ticket, now: dt.datetime) -> bool:
    """Past its first-response deadline with no response."""
    return (ticket.due_at is not None and ticket.due_at <= now and ticket.responded_at is None
            and ticket.state in AWAITING_RESPONSE)


def _with_note(template: str, plain: str, code: str, note: str) -> str:
    """The resident's message with the leader's note, or the plain one when there is none."""
    return template.format(code=code, note=note) if note else plain.format(code=code)


def _age(delta: dt.timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}天前" if hours >= 24 else (f"{hours}小时前" if hours else "刚刚")
