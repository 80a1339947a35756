"""Deadlines: a reminder at half the time, escalation to duty staff when it runs out, and
closing resolved tickets the resident never confirmed. One worker runs it at a time (a lease).

The deadline (`due_at`, from `response_hours` in reports.toml) is for the first response: once
the leader has claimed the ticket, posted progress, answered or finished it, nobody is reminded
or told it is overdue. A reopened or transferred ticket waits for a first response again."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.bookings import texts as booking_texts
from bot.bookings.desk import BookingDesk
from bot.db.errors import ConcurrentChange
from bot.db.models import Ticket
from bot.db.repositories import AWAITING_RESPONSE
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.tickets import texts
from bot.tickets.people import StationPeople
from bot.tickets.routing import TicketRouter
from bot.working_time import WorkingCalendar

log = logging.getLogger(__name__)
AUTO_CLOSE_AFTER = dt.timedelta(days=3)
LEASE = dt.timedelta(seconds=60)
LEASE_NAME = "tickets"
RETENTION = dt.timedelta(days=7)
PURGE_EVERY = dt.timedelta(hours=1)
UNANSWERED_KEPT = dt.timedelta(days=90)   # questions the bot missed, for staff to review


@dataclass(frozen=True)
class TickReport:
    """What one pass of the scheduler did."""

    reminded: int = 0
    escalated: int = 0
    closed: int = 0
    purged: int = 0               # old processed-message keys and expired states deleted


class TicketScheduler:
    """Reminders, escalations and auto-close, driven by a clock."""

    def __init__(self, knowledge: Knowledge, router: TicketRouter, people: StationPeople,
                 unit_of_work: Callable[[], UnitOfWork], holder: str,
                 zone: dt.tzinfo = dt.UTC, retention: dt.timedelta = RETENTION,
                 calendar: WorkingCalendar | None = None,
                 bookings: BookingDesk | None = None) -> None:
        self.bookings = bookings      # appointments are reminded the day before
        self.calendar = calendar      # working hours and quiet hours; None: the clock
        self.knowledge = knowledge
        self.zone = zone              # the station's: whose duty day it is
        self._router = router
        self._people = people
        self._uow = unit_of_work
        self.holder = holder
        self.retention = retention
        self._purged_at: dt.datetime | None = None

    async def acquire(self, now: dt.datetime) -> bool:
        """Take (or keep) the scheduler lease; False while another worker holds it."""
        async with self._uow() as uow:
            if not await uow.leases.take(LEASE_NAME, self.holder, now, LEASE):
                return False
            try:
                await uow.commit()
            except ConcurrentChange:  # another worker created the lease at the same moment
                return False
            return True

    async def tick(self, now: dt.datetime) -> TickReport:
        """One pass: remind, escalate, auto-close. Safe to run twice (keys and flags)."""
        reminded = escalated = closed = 0
        async with self._uow() as uow:
            for ticket in await uow.tickets.with_deadlines():
                place = texts.place_of(ticket.building, ticket.location)
                what = texts.what_it_is(self.knowledge, ticket)
                if ticket.state == "resolved":
                    if ticket.resolved_at and now - ticket.resolved_at >= AUTO_CLOSE_AFTER:
                        ticket.state, ticket.closed_at, ticket.updated_at = "closed", now, now
                        uow.tickets.record(ticket, "scheduler", "auto_closed")
                        for resident in await uow.tickets.reporters(ticket):
                            uow.outbox.add(f"{ticket.code}:auto_closed:{resident}",
                                           f"resident:{resident}",
                                           texts.AUTO_CLOSED.format(code=ticket.code))
                            asked = await uow.conversations.load_questions(resident, now)
                            await uow.conversations.save_questions(
                                resident, asked.settled(confirm=ticket.code), now)
                        closed += 1
                    continue
                if (ticket.due_at is None or ticket.responded_at is not None
                        or ticket.state not in AWAITING_RESPONSE):
                    continue  # no deadline, or the first response has been given
                if self.calendar is not None and ticket.urgency != "emergency" and \
                        self.calendar.is_quiet(now):
                    continue  # nobody is woken at 2 a.m. but for an emergency
                owner = self._people.recipient(ticket.assignee) if ticket.assignee else None
                if ticket.reminded_at is None and self._half_gone(ticket, now) and owner:
                    ticket.reminded_at = now
                    uow.outbox.add(f"{ticket.code}:remind:{ticket.due_at.isoformat()}", owner,
                                   texts.REMIND.format(code=ticket.code, what=what,
                                                       place=place),
                                   (f"接单 {ticket.code}",))
                    reminded += 1
                if ticket.escalated_at is None and now >= ticket.due_at:
                    ticket.escalated_at = now
                    who = ticket.assignee or texts.WHO_DUTY
                    for name in self._router.on_duty(now.astimezone(self.zone)):
                        uow.outbox.add(f"{ticket.code}:escalate:{ticket.due_at.isoformat()}:"
                                       f"{name}", f"staff:{name}",
                                       texts.ESCALATE.format(code=ticket.code, what=what,
                                                             place=place, who=who),
                                       (f"查看 {ticket.code}",))
                    uow.tickets.record(ticket, "scheduler", "escalated")
                    escalated += 1
            try:
                await uow.commit()
            except ConcurrentChange:
                log.info("scheduler pass skipped: tickets changed meanwhile; next pass retries")
                return TickReport()
        reminded += await self.remind_appointments(now)
        return TickReport(reminded, escalated, closed, await self.purge(now))

    async def remind_appointments(self, now: dt.datetime) -> int:
        """From `remind_at` the day before (until 21:00), each booked appointment of tomorrow
        is reminded once, with the whole list of what to bring; one booked after that is
        reminded from 7:00 on its day, before its time."""
        if self.bookings is None or self.bookings.rules.capacity <= 0:
            return 0
        local = now.astimezone(self.zone)
        due = []
        if self.bookings.rules.remind_at <= local.time() < dt.time(21, 0):
            due.append(local.date() + dt.timedelta(days=1))
        if dt.time(7, 0) <= local.time() < dt.time(21, 0):
            due.append(local.date())   # booked too late for the evening before: that morning
        if not due:
            return 0
        reminded = 0
        async with self._uow() as uow:
            bookings_due = [b for day in due for b in await uow.appointments.to_remind(day)
                            if day > local.date() or b.start > local.strftime("%H:%M")]
            for booking in bookings_due:
                item = self.knowledge.item(booking.item_id)
                booking.reminded_at = now
                if booking.resident_id is None or item is None or \
                        booking.created_at.astimezone(self.zone).date() == booking.day:
                    continue    # booked the same day: the booking itself said it all
                template = booking_texts.REMINDER if booking.day > local.date() \
                    else booking_texts.REMINDER_TODAY
                uow.outbox.add(f"{booking.code}:remind", f"resident:{booking.resident_id}",
                               template.format(
                                   start=booking.start, item=item.name, code=booking.code,
                                   window=self.bookings.window_of(item),
                                   materials=self.bookings.materials(item)))
                reminded += 1
            try:
                await uow.commit()
            except ConcurrentChange:
                return 0
        return reminded

    async def purge(self, now: dt.datetime) -> int:
        """At most once an hour: delete processed-message keys older than the retention and
        conversation states expired that long ago (tickets, events and notifications stay)."""
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return 0
        async with self._uow() as uow:
            gone = await uow.retention.purge(now - self.retention)
            gone += await uow.unanswered.forget_before(now - UNANSWERED_KEPT)
            await uow.commit()
        self._purged_at = now
        if gone:
            log.info("purged %d rows older than %s days", gone, self.retention.days)
        return gone

    def _half_gone(self, ticket: Ticket, now: dt.datetime) -> bool:
        """Whether half the time for the first response has gone: working time, or the clock
        for an emergency (or where no working calendar is kept)."""
        assert ticket.due_at is not None
        window = self._window(ticket)
        if self.calendar is None or ticket.urgency == "emergency":
            return now >= ticket.due_at - window / 2
        category = self.knowledge.report_category(ticket.category or "")
        hours = category.response_hours if category else window.total_seconds() / 3600
        return self.calendar.hours_between(now, ticket.due_at) <= hours / 2

    def _window(self, ticket: Ticket) -> dt.timedelta:
        """How long the first response may take: the category's time, counted from when the
        deadline last started (filing, reopening, a transfer)."""
        since_filing = ticket.due_at - ticket.created_at if ticket.due_at else dt.timedelta()
        category = self.knowledge.report_category(ticket.category or "")
        if category is None:
            return since_filing
        return min(dt.timedelta(hours=category.response_hours), since_filing)

    async def tick_if_leader(self, now: dt.datetime) -> TickReport | None:
        """One pass on the worker holding the lease; None on the others."""
        return await self.tick(now) if await self.acquire(now) else None
