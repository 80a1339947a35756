"""What bookings read and write: meal orders, elders signed up for delivery and their pauses,
counter appointments and their seats. Never commits (the unit of work does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    APPOINTMENT_PREFIX,
    ELDER_PREFIX,
    ORDER_PREFIX,
    Appointment,
    DeliveryElder,
    DeliveryPause,
    MealOrder,
    MealStop,
    Resident,
)
from bot.db.repositories import flush


def _id_of(code: str, prefix: str) -> int | None:
    code = code.strip().upper()
    return int(code[1:]) if code.startswith(prefix) and code[1:].isdigit() else None


class MealOrderRepository:
    """Meal orders by resident, day and meal point."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, order: MealOrder) -> MealOrder:
        """Stage a new order; its code is known on return."""
        self.session.add(order)
        await flush(self.session)
        return order

    async def by_code(self, code: str) -> MealOrder | None:
        """An order by its code (F0012)."""
        found = _id_of(code, ORDER_PREFIX)
        return None if found is None else await self.session.get(MealOrder, found)

    async def of_resident(self, resident_id: int, since: dt.date,
                          elders: Sequence[int] = ()) -> list[MealOrder]:
        """A resident's active orders from `since` on, soonest first; with `elders`, also the
        orders anyone placed for those elders (a volunteer's order for one's mother)."""
        whose = MealOrder.resident_id == resident_id
        if elders:
            whose = or_(whose, MealOrder.elder_id.in_(list(elders)))
        rows = await self.session.scalars(
            select(MealOrder).where(whose, MealOrder.state == "active", MealOrder.day >= since)
            .order_by(MealOrder.day, MealOrder.meal, MealOrder.id))
        return list(rows)

    async def on(self, day: dt.date, meal: str | None = None,
                 point: str | None = None) -> list[MealOrder]:
        """The active orders of a day (one meal, one point), by point and id."""
        query = select(MealOrder).where(MealOrder.day == day, MealOrder.state == "active")
        if meal is not None:
            query = query.where(MealOrder.meal == meal)
        if point is not None:
            query = query.where(MealOrder.point == point)
        return list(await self.session.scalars(query.order_by(MealOrder.point, MealOrder.id)))


class MealStopRepository:
    """Points closed and dishes sold out, by day."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, stop: MealStop) -> None:
        """Stage a closure or a sold-out dish."""
        self.session.add(stop)

    async def between(self, first: dt.date, last: dt.date) -> list[MealStop]:
        """Every stop from one day to another."""
        rows = await self.session.scalars(select(MealStop).where(
            MealStop.day >= first, MealStop.day <= last).order_by(MealStop.id))
        return list(rows)

    async def lift(self, day: dt.date, point: str, meal: str | None) -> int:
        """Reopen a point closed that day (one meal, or all); how many closures were lifted."""
        found = [s for s in await self.between(day, day) if s.point == point and not s.dish
                 and (meal is None or s.meal in ("", meal))]
        for stop in found:
            await self.session.delete(stop)
        return len(found)


class DeliveryRepository:
    """Elders signed up for delivery, their standing orders and pauses."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, elder: DeliveryElder) -> DeliveryElder:
        """Stage a sign-up; its code (S0003) is known on return."""
        self.session.add(elder)
        await flush(self.session)
        return elder

    async def by_code(self, code: str) -> DeliveryElder | None:
        """A sign-up by its code (S0003)."""
        found = _id_of(code, ELDER_PREFIX)
        return None if found is None else await self.session.get(DeliveryElder, found)

    async def get(self, elder_id: int) -> DeliveryElder | None:
        """A sign-up by id."""
        return await self.session.get(DeliveryElder, elder_id)

    async def of_resident(self, resident_id: int, every_state: bool = False
                          ) -> list[DeliveryElder]:
        """The elders a resident signed up (themselves, a parent), pending or approved (or in
        every state: declined and ended too)."""
        states = ("pending", "approved", "declined", "ended") if every_state \
            else ("pending", "approved")
        rows = await self.session.scalars(
            select(DeliveryElder).where(DeliveryElder.resident_id == resident_id,
                                        DeliveryElder.state.in_(states))
            .order_by(DeliveryElder.id))
        return list(rows)

    async def waiting(self) -> list[DeliveryElder]:
        """Sign-ups waiting for staff."""
        rows = await self.session.scalars(select(DeliveryElder).where(
            DeliveryElder.state == "pending").order_by(DeliveryElder.id))
        return list(rows)

    async def approved(self) -> list[DeliveryElder]:
        """Every elder whose standing delivery runs."""
        rows = await self.session.scalars(select(DeliveryElder).where(
            DeliveryElder.state == "approved").order_by(DeliveryElder.building,
                                                        DeliveryElder.room, DeliveryElder.id))
        return list(rows)

    def pause(self, elder: DeliveryElder, first: dt.date, last: dt.date) -> None:
        """Stop an elder's standing delivery from `first` to `last`."""
        self.session.add(DeliveryPause(elder_id=elder.id, first=first, last=last))

    async def paused_on(self, day: dt.date) -> set[int]:
        """The elders whose delivery is paused that day."""
        rows = await self.session.scalars(select(DeliveryPause.elder_id).where(
            DeliveryPause.first <= day, DeliveryPause.last >= day))
        return set(rows)

    async def pauses(self, elder: DeliveryElder, since: dt.date) -> list[DeliveryPause]:
        """An elder's pauses not over by `since`."""
        rows = await self.session.scalars(select(DeliveryPause).where(
            DeliveryPause.elder_id == elder.id, DeliveryPause.last >= since,
            DeliveryPause.last >= DeliveryPause.first)     # one lifted before it began: none
            .order_by(DeliveryPause.first))
        return list(rows)


class AppointmentRepository:
    """Counter appointments and the seats of each slot."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_code(self, code: str) -> Appointment | None:
        """An appointment by its code (Y0007)."""
        found = _id_of(code, APPOINTMENT_PREFIX)
        return None if found is None else await self.session.get(Appointment, found)

    async def taken(self, first: dt.date, last: dt.date) -> dict[tuple[dt.date, str], int]:
        """Booked seats per (day, slot start) between two days."""
        rows = await self.session.execute(
            select(Appointment.day, Appointment.start, func.count()).where(
                Appointment.state == "booked", Appointment.day >= first,
                Appointment.day <= last).group_by(Appointment.day, Appointment.start))
        return {(day, start): count for day, start, count in rows}

    async def book(self, resident_id: int, item_id: str, day: dt.date, start: str,
                   capacity: int, now: dt.datetime) -> Appointment | None:
        """Take the lowest free seat of a slot; None when it is full. Two residents taking the
        last seat at once write the same seat: one of them fails on the unique seat index
        (ConcurrentChange), is read again and finds the slot full."""
        seats = set(await self.session.scalars(select(Appointment.seat).where(
            Appointment.day == day, Appointment.start == start, Appointment.state == "booked")))
        free = next((n for n in range(1, capacity + 1) if n not in seats), None)
        if free is None:
            return None
        booking = Appointment(resident_id=resident_id, item_id=item_id, day=day, start=start,
                              seat=free, state="booked", created_at=now, updated_at=now)
        self.session.add(booking)
        await flush(self.session)
        return booking

    async def of_resident(self, resident_id: int, since: dt.date) -> list[Appointment]:
        """A resident's booked appointments from `since` on, soonest first."""
        rows = await self.session.scalars(select(Appointment).where(
            Appointment.resident_id == resident_id, Appointment.state == "booked",
            Appointment.day >= since).order_by(Appointment.day, Appointment.start))
        return list(rows)

    async def on(self, day: dt.date) -> list[Appointment]:
        """Every appointment of a day but the cancelled, by time."""
        rows = await self.session.scalars(select(Appointment).where(
            Appointment.day == day, Appointment.state != "cancelled")
            .order_by(Appointment.start, Appointment.seat))
        return list(rows)

    async def to_remind(self, day: dt.date) -> list[Appointment]:
        """Booked appointments of a day nobody has reminded yet."""
        rows = await self.session.scalars(select(Appointment).where(
            Appointment.day == day, Appointment.state == "booked",
            Appointment.reminded_at.is_(None)).order_by(Appointment.id))
        return list(rows)

    async def residents(self, ids: Sequence[int]) -> dict[int, Resident]:
        """The residents behind some bookings (names and phones for staff lists)."""
        if not ids:
            return {}
        rows = await self.session.scalars(select(Resident).where(Resident.id.in_(set(ids))))
        return {r.id: r for r in rows}
