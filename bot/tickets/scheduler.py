"""Deadlines: a reminder at half the time, escalation to duty staff when it runs out, and
closing resolved tickets the resident never confirmed. One worker runs it at a time (a lease)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from bot.db.models import SchedulerLease, Ticket
from bot.db.repositories import OPEN_STATES
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.tickets import questions, texts
from bot.tickets.routing import TicketRouter

log = logging.getLogger(__name__)
AUTO_CLOSE_AFTER = dt.timedelta(days=3)
LEASE = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class TickReport:
    """What one pass of the scheduler did."""

    reminded: int = 0
    escalated: int = 0
    closed: int = 0


class TicketScheduler:
    """Reminders, escalations and auto-close, driven by a clock."""

    def __init__(self, knowledge: Knowledge, unit_of_work: Callable[[], UnitOfWork],
                 holder: str) -> None:
        self.knowledge = knowledge
        self._router = TicketRouter(knowledge.roster)
        self._uow = unit_of_work
        self.holder = holder

    async def acquire(self, now: dt.datetime) -> bool:
        """Take (or keep) the scheduler lease; False while another worker holds it."""
        async with self._uow() as uow:
            lease = await uow.session.get(SchedulerLease, "tickets")
            if lease is None:
                uow.session.add(SchedulerLease(name="tickets", holder=self.holder,
                                               expires_at=now + LEASE))
            else:
                result = await uow.session.execute(
                    update(SchedulerLease).where(
                        SchedulerLease.name == "tickets",
                        (SchedulerLease.holder == self.holder)
                        | (SchedulerLease.expires_at <= now))
                    .values(holder=self.holder, expires_at=now + LEASE)
                    .execution_options(synchronize_session=False))
                if not getattr(result, "rowcount", 0):
                    return False
            try:
                await uow.commit()
            except IntegrityError:  # another worker created the lease at the same moment
                return False
            return True

    async def tick(self, now: dt.datetime) -> TickReport:
        """One pass: remind, escalate, auto-close. Safe to run twice (keys and flags)."""
        reminded = escalated = closed = 0
        async with self._uow() as uow:
            tickets = list((await uow.session.execute(select(Ticket).where(
                Ticket.state.in_((*OPEN_STATES, "resolved"))))).scalars())
            for ticket in tickets:
                place = texts.place_of(ticket.building, ticket.location)
                what = texts.what_it_is(self.knowledge, ticket)
                if ticket.state == "resolved":
                    if ticket.resolved_at and now - ticket.resolved_at >= AUTO_CLOSE_AFTER:
                        ticket.state, ticket.closed_at, ticket.updated_at = "closed", now, now
                        uow.tickets.record(ticket, "scheduler", "auto_closed")
                        if ticket.resident_id:
                            uow.outbox.add(f"{ticket.code}:auto_closed",
                                           f"resident:{ticket.resident_id}",
                                           texts.AUTO_CLOSED.format(code=ticket.code))
                            asked = questions.read(await uow.conversations.get(
                                questions.key(ticket.resident_id), now))
                            await questions.settle(uow, ticket.resident_id, asked, now,
                                                   confirm=ticket.code)
                        closed += 1
                    continue
                if ticket.due_at is None or ticket.paused_since is not None:
                    continue  # no deadline, or waiting on the resident: the clock is paused
                half = ticket.created_at + (ticket.due_at - ticket.created_at) / 2
                owner = f"leader:{ticket.assignee}" if ticket.assignee else None
                if ticket.reminded_at is None and now >= half and owner:
                    ticket.reminded_at = now
                    uow.outbox.add(f"{ticket.code}:remind:{ticket.due_at.isoformat()}", owner,
                                   texts.REMIND.format(code=ticket.code, what=what,
                                                       place=place))
                    reminded += 1
                if ticket.escalated_at is None and now >= ticket.due_at:
                    ticket.escalated_at = now
                    who = ticket.assignee or texts.WHO_DUTY
                    for name in self._router.on_duty(now):
                        uow.outbox.add(f"{ticket.code}:escalate:{name}", f"staff:{name}",
                                       texts.ESCALATE.format(code=ticket.code, what=what,
                                                             place=place, who=who))
                    uow.tickets.record(ticket, "scheduler", "escalated")
                    escalated += 1
            try:
                await uow.commit()
            except (StaleDataError, IntegrityError):
                log.info("scheduler pass skipped: tickets changed meanwhile; next pass retries")
                return TickReport()
        return TickReport(reminded, escalated, closed)

    async def tick_if_leader(self, now: dt.datetime) -> TickReport | None:
        """One pass on the worker holding the lease; None on the others."""
        return await self.tick(now) if await self.acquire(now) else None
