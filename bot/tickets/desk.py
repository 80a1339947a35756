"""The residents' side of tickets: filing reports, wishes and requests for a person, the
details that follow, withdrawing, confirming a repair, photos, linked accounts.

Every method works inside the unit of work the dialogue opened for the message and never
commits; notifications go to the outbox in that same transaction. Nothing here reads a
message: handlers do, and call these with what they understood."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from bot.conversation.state import OpenQuestions, Said
from bot.db.models import Resident, Ticket
from bot.db.repositories import OPEN_STATES
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge, ReportCategory
from bot.tickets import texts
from bot.tickets.outbox import notice_key
from bot.tickets.people import StationPeople
from bot.tickets.routing import Assignment, TicketRouter
from bot.working_time import WorkingCalendar
from intents.details import Place, mask_phones, masked_phone, read_place

LINK_MINUTES = 10
PHOTO_WINDOW = dt.timedelta(minutes=30)   # a photo right after a report belongs to it
ME_TOO_WINDOW = dt.timedelta(hours=72)
MOVE_WINDOW = dt.timedelta(hours=2)       # a wrong building can be corrected this long
EMERGENCY_RESPONSE = dt.timedelta(hours=1)
SAME_INCIDENT = dt.timedelta(hours=2)     # one resident's emergencies this close are one
CONSULT_RESPONSE = dt.timedelta(minutes=30)
THANKFUL = re.compile(r"谢|感激|辛苦|开心|满意|好人|感动")


@dataclass(frozen=True)
class NewReport:
    """What a resident reported, as far as the conversation found out."""

    category: str | None
    building: str | None
    location: str | None
    description: str
    photos: tuple[str, ...] = ()
    emergency: str | None = None          # an emergency situation (lift_trapped, medical...)


@dataclass(frozen=True)
class Filing:
    """What became of a report: a new ticket, the resident's own open one (reported again), or
    a neighbour's (the resident now follows it)."""

    ticket: Ticket
    outcome: Literal["new", "again", "follower"]
    who: str                              # who handles it, in words: 楼栋长李琳


class TicketDesk:
    """Takes reports, wishes and requests for a person from residents. Platform-neutral."""

    def __init__(self, knowledge: Knowledge, router: TicketRouter, people: StationPeople,
                 zone: ZoneInfo, calendar: WorkingCalendar | None = None) -> None:
        self.knowledge = knowledge
        self.router = router
        self.people = people
        self.zone = zone
        self.calendar = calendar     # None: deadlines count the clock
        self._categories = {c.id: c for c in knowledge.reports}

    def due(self, now: dt.datetime, hours: float, urgency: str) -> dt.datetime:
        """A first response's deadline: the station's working hours, the clock for an
        emergency (or where no working calendar is kept)."""
        if self.calendar is None:
            return now + dt.timedelta(hours=hours)
        return self.calendar.deadline(now, hours, emergency=urgency == "emergency")

    # -- who handles what ---------------------------------------------------------------------
    def handler_of(self, ticket: Ticket) -> str:
        """Who handles a ticket, in words for the resident."""
        return self.people.described(ticket.assignee)

    def state_of(self, ticket: Ticket) -> str:
        """A ticket's state as the resident reads it."""
        return texts.state_text(ticket, self.handler_of(ticket))

    def _who(self, route: Assignment) -> str:
        if route.assignee is None:
            return texts.WHO_DUTY
        template = texts.WHO_BACKUP if route.reason == "backup" else texts.WHO_LEADER
        return template.format(name=route.assignee)

    def _tell_handler(self, uow: UnitOfWork, ticket: Ticket, key: str, text: str,
                      now: dt.datetime, actions: tuple[str, ...] = ()) -> None:
        """A note for whoever handles the ticket: its assignee, else the staff on duty (both
        for an emergency)."""
        recipients = [self.people.recipient(ticket.assignee)] if ticket.assignee else []
        if not recipients or ticket.urgency == "emergency":
            recipients += self._duty(now, besides=recipients)
        for recipient in recipients:
            uow.outbox.add(f"{key}:{recipient}", recipient, text, actions)

    def _duty(self, now: dt.datetime, besides: list[str] | None = None) -> list[str]:
        """The outbox recipients of the staff on duty (those not already among `besides`)."""
        return [r for r in (f"staff:{name}" for name in self.router.on_duty(now))
                if r not in (besides or [])]

    def category(self, category_id: str | None) -> ReportCategory | None:
        """A report category by id."""
        return self._categories.get(category_id or "")

    # -- reports --------------------------------------------------------------------------
    async def own_open_report(self, uow: UnitOfWork, resident: Resident, category: str | None,
                              building: str | None, emergency_since: dt.datetime | None = None,
                              location: str | None = None) -> Ticket | None:
        """The resident's open report of this problem, if they reported it already. For an
        emergency (`emergency_since`), any emergency they reported since then is the same
        incident (电梯困人, then 喘不上气: one person, one ticket)."""
        for ticket in await uow.tickets.open_of_resident(resident.id):
            if emergency_since is not None and ticket.urgency == "emergency" \
                    and ticket.created_at >= emergency_since:
                return ticket
            if ticket.category == (category or "other") and (
                    building is None or ticket.building in (None, building)) and same_spot(
                    ticket.location, location):
                return ticket
        return None

    async def file_report(self, uow: UnitOfWork, resident: Resident, report: NewReport,
                          now: dt.datetime, platform: str) -> Filing:
        """File a report: the resident's own open one if they reported it already (the new
        words reach its handler), a neighbour's open one of the same building and problem
        (the resident follows it), else a new ticket for the building's leader."""
        category = self.category(report.category) or self.category("other")
        category_id = category.id if category else "other"
        if report.building:
            await uow.tickets.hold_problem(report.building, category_id)
        same = await self.own_open_report(
            uow, resident, category_id, report.building,
            now - SAME_INCIDENT if report.emergency else None, report.location)
        if same is not None:
            if report.description and report.description not in same.description:
                self._note(uow, same, resident, report.description, now, platform)
            return Filing(same, "again", self.handler_of(same))
        if report.building and report.emergency is None and (
                category is None or category.urgency != "emergency"):
            for other in await uow.tickets.open_duplicates(report.building, category_id,
                                                           now - ME_TOO_WINDOW):
                if other.resident_id == resident.id or not same_spot(other.location,
                                                                      report.location):
                    continue  # another floor's light is another problem
                if await uow.tickets.follow(other, resident.id):
                    words = mask_phones(report.description)[:200]
                    uow.tickets.record(other, f"resident:{resident.id}", "follow", words,
                                       platform=platform)
                    self._tell_handler(uow, other, notice_key(other.code, "follow"),
                                       texts.TO_HANDLER_FOLLOWER.format(code=other.code,
                                                                        text=words), now,
                                       (f"查看 {other.code}",))
                return Filing(other, "follower", self.handler_of(other))
        urgency = "emergency" if report.emergency else (category.urgency if category else "normal")
        due = self.due(now, category.response_hours if category else 72, urgency)
        if urgency == "emergency":
            due = min(due, now + EMERGENCY_RESPONSE)
        route = self.router.route(report.building, now.date())
        ticket = await uow.tickets.add(Ticket(
            kind="report", category=category_id, urgency=urgency, building=report.building,
            location=report.location, description=report.description[:500],
            resident_id=resident.id, assignee=route.assignee, due_at=due, created_at=now,
            updated_at=now))
        uow.tickets.record(ticket, f"resident:{resident.id}", "created",
                           f"routed to {route.assignee or 'duty'} ({route.reason})"
                           + (f"; emergency {report.emergency}" if report.emergency else ""),
                           platform=platform)
        for ref in report.photos:
            uow.tickets.add_photo(ticket, ref, f"resident:{resident.id}")
        self._notify_new(uow, ticket, category, resident, now)
        return Filing(ticket, "new", self._who(route))

    def _notify_new(self, uow: UnitOfWork, ticket: Ticket, category: ReportCategory | None,
                    resident: Resident | None, now: dt.datetime, again: bool = False) -> None:
        """The leader hears of a new ticket; duty staff too when it is urgent or unassigned.
        `again`: the ticket moved to another building or was located; its new leader hears."""
        phone = ""
        if resident is not None and resident.phone and not ticket.anonymous:
            masked = masked_phone(resident.phone)
            phone = (texts.PHONE_HINT if masked in ticket.description[:120]
                     else texts.PHONE_LINE).format(phone=masked, code=ticket.code)
        where = (ticket.building or texts.NO_BUILDING) + (
            ("" if ticket.building else "，") + ticket.location if ticket.location else "")
        values = {"kind": texts.KIND_NAMES[ticket.kind], "code": ticket.code,
                  "about": " ".join(x for x in (where, category.name if category else "") if x),
                  "description": ticket.description[:120] + phone}
        template = {"emergency": texts.NOTIFY_EMERGENCY, "urgent": texts.NOTIFY_URGENT}.get(
            ticket.urgency, texts.NOTIFY_NEW)
        text = template.format(**values)
        recipients = [self.people.recipient(ticket.assignee)] if ticket.assignee else []
        if ticket.urgency != "normal" or not ticket.assignee:
            recipients += self._duty(now, besides=recipients)
        actions = (f"接单 {ticket.code}", f"查看 {ticket.code}")
        if again:
            recipients = recipients[:1] if ticket.assignee else []
        for recipient in recipients:
            key = (notice_key(ticket.code, f"routed:{recipient}") if again
                   else f"{ticket.code}:created:{recipient}")
            uow.outbox.add(key, recipient, text, actions)

    def _note(self, uow: UnitOfWork, ticket: Ticket, resident: Resident, text: str,
              now: dt.datetime, platform: str) -> None:
        """Words a resident adds to their ticket: kept in its history, sent to its handler."""
        words = mask_phones(text.strip())[:300]
        uow.tickets.record(ticket, f"resident:{resident.id}", "detail", words,
                           platform=platform)
        ticket.updated_at = now
        self._tell_handler(uow, ticket, notice_key(ticket.code, "detail"),
                           texts.TO_HANDLER_DETAIL.format(code=ticket.code, text=words), now,
                           (f"查看 {ticket.code}",))

    async def add_detail(self, uow: UnitOfWork, ticket: Ticket, resident: Resident, text: str,
                         place: Place, now: dt.datetime, platform: str,
                         follower: bool = False) -> str:
        """Something the resident says after filing: a place (a wrong building corrected while
        nobody has taken the ticket, a floor or room added), a phone number, or more words.
        A follower's words reach the handler but never change the ticket. The reply says what
        was done."""
        if follower:
            self._note(uow, ticket, resident, text, now, platform)
            return texts.DETAIL_ADDED.format(code=ticket.code, who=self.handler_of(ticket))
        building = self.router.building(place.building_name or "")
        if (building is not None and ticket.building not in (None, building.name)
                and ticket.state == "new" and now - ticket.created_at <= MOVE_WINDOW):
            return await self._move(uow, ticket, resident, building.name, place, now, platform)
        if building is not None and ticket.building is None:
            return await self.locate(uow, ticket, resident, place, now, platform)
        if place.location and (ticket.location or "") != place.location:
            ticket.location = _merged_location(ticket.location, place.location)
        self._note(uow, ticket, resident, text, now, platform)
        if not place.empty:
            return texts.PLACE_ADDED.format(code=ticket.code, who=self.handler_of(ticket),
                                            place=texts.place_of(ticket.building,
                                                                 ticket.location))
        return texts.DETAIL_ADDED.format(code=ticket.code, who=self.handler_of(ticket))

    async def _move(self, uow: UnitOfWork, ticket: Ticket, resident: Resident, building: str,
                    place: Place, now: dt.datetime, platform: str) -> str:
        """The resident named the wrong building: the ticket goes to the right one's leader."""
        old = ticket.assignee
        route = self.router.route(building, now.date())
        ticket.building, ticket.assignee = building, route.assignee
        if place.location:
            ticket.location = place.location
        ticket.updated_at = now
        uow.tickets.record(ticket, f"resident:{resident.id}", "moved",
                           f"{building}, routed to {route.assignee or 'duty'}",
                           platform=platform)
        if old is not None and old == route.assignee:
            uow.outbox.add(notice_key(ticket.code, "moved"), self.people.recipient(old),
                           texts.TO_HANDLER_MOVED_SAME.format(code=ticket.code,
                                                              building=building))
        elif old:
            uow.outbox.add(notice_key(ticket.code, "moved"), self.people.recipient(old),
                           texts.TO_HANDLER_MOVED.format(code=ticket.code, building=building,
                                                         name=route.assignee or texts.WHO_DUTY))
        if route.assignee != old:
            self._notify_new(uow, ticket, self.category(ticket.category), resident, now,
                             again=True)
        return texts.MOVED.format(code=ticket.code, building=building, who=self._who(route))

    async def locate(self, uow: UnitOfWork, ticket: Ticket, resident: Resident, place: Place,
                     now: dt.datetime, platform: str) -> str:
        """The place of a ticket filed without one (an emergency): its building's leader is
        told at once, duty staff hear where it is."""
        building = self.router.building(place.building_name or "")
        if place.location:
            ticket.location = _merged_location(ticket.location, place.location)
        ticket.updated_at = now
        where = texts.place_of(building.name if building else ticket.building, ticket.location)
        uow.tickets.record(ticket, f"resident:{resident.id}", "located", where,
                           platform=platform)
        for recipient in self._duty(now):
            uow.outbox.add(notice_key(ticket.code, f"located:{recipient}"), recipient,
                           texts.TO_HANDLER_PLACE.format(code=ticket.code, place=where),
                           (f"查看 {ticket.code}",))
        if building is not None and ticket.building is None:
            route = self.router.route(building.name, now.date())
            ticket.building, ticket.assignee = building.name, route.assignee
            if route.assignee:
                self._notify_new(uow, ticket, self.category(ticket.category), resident, now,
                                 again=True)
        return texts.PLACE_GOT.format(code=ticket.code, place=where, who=self.handler_of(ticket))

    async def locate_outside(self, uow: UnitOfWork, ticket: Ticket, resident: Resident,
                             place: Place, now: dt.datetime, platform: str) -> str:
        """The emergency is in the street, not in the building first guessed: it is the duty
        staff's; a leader paged for the wrong building is told."""
        old = ticket.assignee
        ticket.building, ticket.assignee = None, None
        ticket.location = place.location
        ticket.updated_at = now
        uow.tickets.record(ticket, f"resident:{resident.id}", "located", ticket.location or "",
                           platform=platform)
        if old:
            uow.outbox.add(notice_key(ticket.code, "moved"), self.people.recipient(old),
                           texts.TO_HANDLER_NOT_HERE.format(code=ticket.code,
                                                            place=ticket.location))
        for recipient in self._duty(now):
            uow.outbox.add(notice_key(ticket.code, f"located:{recipient}"), recipient,
                           texts.TO_HANDLER_PLACE.format(code=ticket.code,
                                                         place=ticket.location),
                           (f"查看 {ticket.code}",))
        return texts.PLACE_GOT.format(code=ticket.code, place=ticket.location,
                                      who=texts.WHO_DUTY)

    # -- wishes and requests for a person --------------------------------------------------
    async def file_wish(self, uow: UnitOfWork, resident: Resident, description: str,
                        building: str | None, anonymous: bool, now: dt.datetime,
                        platform: str) -> Ticket:
        """File a 微心愿 for the building's leader (and the station's volunteers)."""
        route = self.router.route(building, now.date())
        ticket = await uow.tickets.add(Ticket(
            kind="wish", building=building, description=mask_phones(description)[:500],
            anonymous=anonymous, resident_id=resident.id, assignee=route.assignee,
            created_at=now, updated_at=now))
        uow.tickets.record(ticket, f"resident:{resident.id}", "created",
                           f"routed to {route.assignee or 'duty'} ({route.reason})",
                           platform=platform)
        self._notify_new(uow, ticket, None, resident, now)
        return ticket

    async def hand_over(self, uow: UnitOfWork, resident: Resident, said: tuple[Said, ...],
                        now: dt.datetime, platform: str, named: str | None = None) -> Filing:
        """A resident asks for a person: a consultation item in the staff queue (the first
        staff member who takes it owns it), the staff on duty told with the last messages.
        A staff member the resident named (找王主任) has it straight away."""
        for ticket in await uow.tickets.open_of_resident(resident.id, ("consult",)):
            latest = said[-1].text if said else ""
            uow.tickets.record(ticket, f"resident:{resident.id}", "asked_again", latest,
                               platform=platform)
            self._tell_handler(uow, ticket, notice_key(ticket.code, "again"),
                               texts.TO_HANDLER_REPEATED.format(code=ticket.code,
                                                                text=mask_phones(latest)),
                               now, (f"接单 {ticket.code}",))
            return Filing(ticket, "again", self.handler_of(ticket))
        lines = "\n".join(texts.SAID_LINE.format(
            time=s.at.astimezone(self.zone).strftime("%H:%M"), text=mask_phones(s.text))
            for s in said) or texts.NOTHING_SAID
        opening = now if self.people.at_work(now) else self.people.next_at_work(now) or now
        ticket = await uow.tickets.add(Ticket(
            kind="consult", building=resident.building, description=lines[:1000],
            resident_id=resident.id, assignee=named, due_at=opening + CONSULT_RESPONSE,
            created_at=now, updated_at=now))
        uow.tickets.record(ticket, f"resident:{resident.id}", "created", "handoff",
                           platform=platform)
        who = resident.name or texts.RESIDENT_UNKNOWN
        if resident.building:
            who += f"（{resident.building}{resident.room or ''}）"
        phone = (texts.PHONE_LINE.format(phone=masked_phone(resident.phone), code=ticket.code)
                 if resident.phone else "")
        text = texts.NOTIFY_HANDOFF.format(code=ticket.code, who=who, said=lines, phone=phone)
        for name in [named] if named else self.router.on_duty(now):
            uow.outbox.add(f"{ticket.code}:created:staff:{name}", f"staff:{name}", text,
                           (f"接单 {ticket.code}", f"查看 {ticket.code}"))
        return Filing(ticket, "new", texts.WHO_DUTY)

    # -- after filing ---------------------------------------------------------------------
    async def withdraw(self, uow: UnitOfWork, ticket: Ticket, resident: Resident, reason: str,
                       now: dt.datetime, platform: str) -> str:
        """The resident takes back their report or wish; whoever handles it is told."""
        actor = f"resident:{resident.id}"
        if ticket.resident_id != resident.id:
            if resident.id in await uow.tickets.followers(ticket):
                await uow.tickets.unfollow(ticket, resident.id)
                uow.tickets.record(ticket, actor, "unfollow", reason[:200], platform=platform)
                return texts.UNFOLLOWED.format(code=ticket.code)
            return texts.NOT_YOURS_TO_WITHDRAW.format(code=ticket.code)
        if ticket.state not in OPEN_STATES:
            return texts.WITHDRAW_FINISHED.format(
                code=ticket.code, state=self.state_of(ticket))
        ticket.state, ticket.closed_at, ticket.updated_at = "cancelled", now, now
        ticket.paused_since = None
        words = mask_phones(reason.strip())[:200]
        uow.tickets.record(ticket, actor, "withdrawn", words, platform=platform)
        self._tell_handler(uow, ticket, f"{ticket.code}:withdrawn",
                           texts.TO_HANDLER_WITHDRAWN.format(code=ticket.code, reason=words),
                           now)
        for follower in await uow.tickets.followers(ticket):
            uow.outbox.add(f"{ticket.code}:withdrawn:{follower}", f"resident:{follower}",
                           texts.TO_FOLLOWER_WITHDRAWN.format(code=ticket.code))
        return texts.WITHDRAWN.format(code=ticket.code, who=self.handler_of(ticket))

    async def answer_repair(self, uow: UnitOfWork, ticket: Ticket, resident: Resident,
                            fixed: bool, words: str, now: dt.datetime, platform: str) -> str:
        """A reporter or follower answers "已修好了吗": yes closes it; no reopens it (also after
        someone else said yes) and their words reach the leader."""
        actor = f"resident:{resident.id}"
        if fixed:
            if ticket.state in OPEN_STATES:  # someone else said it is not fixed
                return texts.CONFIRM_BUT_OPEN.format(code=ticket.code,
                                                     state=self.state_of(ticket))
            if ticket.state != "resolved":
                return texts.CONFIRMED_ALREADY.format(code=ticket.code)
            ticket.state, ticket.closed_at, ticket.updated_at = "closed", now, now
            uow.tickets.record(ticket, actor, "confirmed", words[:200], platform=platform)
            if THANKFUL.search(words) and len(words.strip()) > 3:   # kept for 感谢留言
                ticket.thank_you = mask_phones(words.strip())[:200]
            return texts.CONFIRMED.format(code=ticket.code)
        words = mask_phones(words.strip())[:200]
        if ticket.state in ("resolved", "closed"):
            category = self.category(ticket.category)
            ticket.state, ticket.resolved_at, ticket.closed_at = "reopened", None, None
            ticket.responded_at = ticket.reminded_at = ticket.escalated_at = None
            ticket.due_at = self.due(now, category.response_hours if category else 72,
                                     ticket.urgency)
            ticket.updated_at = now
            uow.tickets.record(ticket, actor, "reopened", words, platform=platform)
            said = (texts.RESIDENT_SAID.format(text=words)
                    if len(words.strip(" 12。.!！")) > 1 else "")
            self._tell_handler(uow, ticket, notice_key(ticket.code, "reopened"),
                               texts.TO_LEADER_REOPENED.format(code=ticket.code, said=said),
                               now, (f"接单 {ticket.code}", f"查看 {ticket.code}"))
            return texts.REOPENED.format(code=ticket.code, who=self.handler_of(ticket))
        self._note(uow, ticket, resident, words, now, platform)
        return texts.DETAIL_ADDED.format(code=ticket.code, who=self.handler_of(ticket))

    async def nudge(self, uow: UnitOfWork, ticket: Ticket, resident: Resident, words: str,
                    now: dt.datetime, platform: str) -> None:
        """The resident asks how their report is going: whoever handles it hears."""
        words = mask_phones(words.strip())[:200]
        uow.tickets.record(ticket, f"resident:{resident.id}", "asked", words, platform=platform)
        self._tell_handler(uow, ticket, notice_key(ticket.code, "asked"),
                           texts.TO_HANDLER_ASKED.format(code=ticket.code, text=words), now,
                           (f"查看 {ticket.code}",))

    async def rate(self, uow: UnitOfWork, code: str, resident: Resident, score: int,
                   now: dt.datetime, platform: str) -> None:
        """A resident's 1-5 rating of a confirmed repair or a fulfilled wish (the first counts;
        a second one replaces it)."""
        ticket = await uow.tickets.by_code(code)
        if ticket is not None:
            ticket.satisfaction, ticket.rated_at = score, now
            uow.tickets.record(ticket, f"resident:{resident.id}", "rated", str(score),
                               platform=platform)

    async def thank(self, uow: UnitOfWork, code: str, resident: Resident, words: str,
                    platform: str) -> None:
        """A resident's thank-you line for a fulfilled wish, kept for the station to publish."""
        wish = await uow.tickets.by_code(code)
        if wish is not None:
            wish.thank_you = mask_phones(words)[:200]
            uow.tickets.record(wish, f"resident:{resident.id}", "thanked", wish.thank_you,
                               platform=platform)

    async def relay(self, uow: UnitOfWork, resident: Resident, words: str, now: dt.datetime,
                    platform: str) -> str | None:
        """The resident answers the leader (or staff member) who asked them something; None
        when nobody waits any more."""
        waiting = await uow.tickets.waiting_on(resident.id, now)
        words = mask_phones(words)[:200]
        for ticket in waiting:
            if ticket.kind != "consult":  # a staff conversation goes on until it is closed
                ticket.paused_since = None
            uow.tickets.record(ticket, f"resident:{resident.id}", "answered", words,
                               platform=platform)
            self._tell_handler(uow, ticket, notice_key(ticket.code, "answer"),
                               texts.RESIDENT_ANSWERED.format(code=ticket.code, text=words),
                               now, (f"查看 {ticket.code}",))
        return self.handler_of(waiting[0]) if waiting else None

    async def attach_photo(self, uow: UnitOfWork, resident: Resident, ref: str,
                           now: dt.datetime, platform: str) -> Ticket | None:
        """A photo onto the resident's newest open report, when it was filed just now."""
        recent = [t for t in await uow.tickets.open_of_resident(resident.id)
                  if now - t.created_at <= PHOTO_WINDOW]
        if not recent:
            return None
        ticket = recent[0]
        uow.tickets.add_photo(ticket, ref[:500], f"resident:{resident.id}")
        uow.tickets.record(ticket, f"resident:{resident.id}", "photo", ref[:500],
                           platform=platform)
        self._tell_handler(uow, ticket, notice_key(ticket.code, "photo"),
                           texts.TO_LEADER_PHOTO.format(code=ticket.code), now,
                           (f"查看 {ticket.code}",))
        return ticket

    # -- the resident and their accounts -----------------------------------------------------
    async def sender(self, uow: UnitOfWork, platform: str, user_id: str,
                     known: Resident | None, phone: str | None = None) -> Resident:
        """The resident behind a message (created on first contact); a phone number they give
        is remembered (leaders see it masked until they open the ticket)."""
        resident = known or await uow.residents.get_or_create(platform, user_id)
        if phone and resident.phone != phone:
            resident.phone = phone
        return resident

    async def forget(self, uow: UnitOfWork, platform: str, user_id: str, session_key: str,
                     now: dt.datetime) -> None:
        """The sender left the platform (unsubscribed): delete what identifies them there.

        Their tickets stay, without the person, once no other linked identity remains."""
        resident = await uow.residents.by_identity(platform, user_id)
        await uow.residents.drop_identity(platform, user_id)
        await uow.conversations.forget(session_key)
        if resident is None or await uow.residents.identities(resident.id):
            return
        await uow.conversations.save_questions(resident.id, OpenQuestions(), now)
        await uow.residents.anonymise(resident, now)

    async def link(self, uow: UnitOfWork, resident: Resident, code: str | None,
                   now: dt.datetime) -> str:
        """A one-time code for another platform, or this platform linked with such a code."""
        if code is None:
            number = f"{secrets.randbelow(900000) + 100000}"
            uow.residents.new_link_code(number, resident,
                                        now + dt.timedelta(minutes=LINK_MINUTES))
            return texts.LINK_CODE.format(code=number)
        target = await uow.residents.take_link_code(code, now)
        if target is None:
            return texts.LINK_UNKNOWN
        if target == resident.id:
            return texts.LINK_SAME
        await uow.residents.merge_into(resident, target)
        return texts.LINKED

    def set_home(self, resident: Resident, place: Place) -> str | None:
        """Where the resident says they live; None if the roster has no such building."""
        building = self.router.building(place.building_name or "")
        if building is None:
            return None
        resident.building, resident.building_said = building.name, True
        resident.unit = str(place.unit) if place.unit is not None else None
        resident.room = place.room
        return building.name

    # -- status -----------------------------------------------------------------------------
    async def mine(self, uow: UnitOfWork, resident: Resident) -> str:
        """The resident's own tickets and those they follow."""
        own = await uow.tickets.of_resident(resident.id)
        followed = [t for t in await uow.tickets.followed_by(resident.id)
                    if t.id not in {o.id for o in own}]
        tickets = sorted(own + followed, key=lambda t: t.id, reverse=True)
        if not tickets:
            return texts.NO_TICKETS
        return texts.MY_TICKETS.format(lines="\n".join(texts.TICKET_LINE.format(
            code=t.code, what=self.describe(t), state=self.state_of(t))
            for t in tickets[:8]))

    async def status(self, uow: UnitOfWork, resident: Resident | None, code: str) -> str:
        """One ticket of the resident's (or one they follow)."""
        ticket = await uow.tickets.by_code(code)
        if ticket is None or resident is None or (
                ticket.resident_id != resident.id
                and resident.id not in await uow.tickets.followers(ticket)):
            return texts.NOT_YOURS.format(code=code)
        return texts.STATUS.format(
            code=ticket.code, what=self.describe(ticket),
            state=self.state_of(ticket),
            created=ticket.created_at.astimezone(self.zone).strftime("%m月%d日 %H:%M"))

    def describe(self, ticket: Ticket) -> str:
        """"照明（9号楼3楼楼道）", "微心愿"."""
        name = texts.what_it_is(self.knowledge, ticket)
        return name if ticket.kind != "report" else (
            f"{name}（{texts.place_of(ticket.building, ticket.location)}）")


def same_spot(first: str | None, second: str | None) -> bool:
    """Whether two reports of one building can be the same problem: unless both say a unit,
    floor or room and they differ (3楼 and 6楼, 1单元 and 2单元 are two stairwell lights)."""
    a, b = read_place(first or ""), read_place(second or "")
    if a.unit is not None and b.unit is not None and a.unit != b.unit:
        return False
    if a.room and b.room:
        return a.room == b.room
    if a.floors and b.floors:
        return bool(set(a.floors) & set(b.floors))
    return True


def _merged_location(old: str | None, new: str) -> str:
    """A location completed by what the resident adds ("楼道" + "3楼" -> "3楼楼道")."""
    if not old or new in old:
        return old or new
    if old in new:
        return new
    return (new + old)[:64]
