"""The staff web desk, mounted under /staff by `yizhan serve`: server-rendered pages.

Every page needs a signed session: a page asked for without one redirects to the sign-in
form, anything else (a form, a download) answers 401. Leaders see only their own buildings'
tickets, in every list, page and export. Actions on a ticket are the chat commands (接单 R0001,
转交 R0001 王老师), handled by the same `Dialogue` as a message from WeCom: one path for every
change. The kitchen's sheet (counts and delivery round) and the counter's day are staff's, read
with the same `BookingDesk` as the chat's 订餐统计, 送餐名单 and 预约名单."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import json
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.bookings import texts as booking_texts
from bot.bookings.desk import DELIVERY, BookingDesk, day_words
from bot.db.models import Ticket
from bot.db.staff_desk import TicketFilter
from bot.db.unit_of_work import UnitOfWork
from bot.dialogue import Dialogue
from bot.kb.alias_edit import apply, propose_alias, restore
from bot.kb.model import Knowledge
from bot.knowledge_reload import KnowledgeReloader
from bot.messages import IncomingMessage
from bot.staff import texts
from bot.staff.auth import (
    COOKIE,
    LOCK_AFTER,
    LOCK_FOR,
    SESSION_LENGTH,
    DeskSession,
    SessionSigner,
    check_password,
    hash_password,
)
from bot.staff.exports import (
    COUNTER_COLUMNS,
    KITCHEN_COLUMNS,
    KitchenSheet,
    PointTally,
    Stop,
    Visit,
    as_csv,
    as_xlsx,
    counter_rows,
    floor_of,
    kitchen_rows,
    rows_of,
)
from bot.staff.figures import (
    Consultations,
    Figures,
    TicketFacts,
    compute,
    consultations,
    period_of,
)
from bot.staff.unanswered import Asked, group

HERE = Path(__file__).resolve().parent
SAID = "yizhan_staff_said"               # what the last action said, for the next page
IGNORED = "-"                            # resolved_as of a question staff set aside
SECRET_KEY = "staff_session_secret"      # in the shared values, when no secret is configured
PLATFORM = "web"                         # desk actions reach the dialogue from here
LIST_LIMIT = 500
LONGEST_PERIOD = 366                     # days a dashboard period may span
HISTORY_DAYS = 400                       # how far back a resolved ticket's filing is read
DECOY_HASH = hash_password("no account has this password", salt=b"\0" * 16)
DOWNLOADS = (".csv", ".xlsx")            # answered 401 without a session, like a form
DINNER_FROM = 13                         # the next meal is dinner from 13:00 (as in chat)
CSV = "text/csv; charset=utf-8"
_CODE = re.compile(r"[RWC]\d{1,9}")


@dataclass(frozen=True)
class DeskDependencies:
    """What the desk is built from (by the server, from the assistant)."""

    knowledge: Knowledge
    unit_of_work: Callable[[], UnitOfWork]
    dialogue: Dialogue
    clock: Callable[[], dt.datetime]             # the station's time (aware)
    secret: str | None = None                    # YIZHAN_STAFF_SECRET, else made once
    reloader: KnowledgeReloader | None = None    # None: aliases cannot be added here
    bookings: BookingDesk | None = None          # the kitchen's and the counter's pages


class StaffDesk:
    """The desk's handlers and what they share."""

    def __init__(self, deps: DeskDependencies) -> None:
        self.deps = deps
        self.knowledge = deps.knowledge
        self.zone = deps.clock().tzinfo or dt.UTC
        self._signer: SessionSigner | None = None
        self.categories = {c.id: c.name for c in deps.knowledge.reports}
        self._alias_lock = asyncio.Lock()   # one alias written at a time in this worker
        self._templates: Any = None      # Jinja2, loaded with the first page (memory)

    # -- sessions -------------------------------------------------------------------------
    @property
    def signer(self) -> SessionSigner:
        if self._signer is None:
            raise RuntimeError("the staff desk was not started")
        return self._signer

    async def start(self) -> None:
        """Find the session secret: configured, or the one every worker shares."""
        if self.deps.secret:
            self._signer = SessionSigner(self.deps.secret.encode())
            return
        async with self.deps.unit_of_work() as uow:
            stored = await uow.shared.first(SECRET_KEY, {"secret": secrets.token_hex(32)},
                                            self.deps.clock())
            await uow.commit()
        self._signer = SessionSigner(str(stored["secret"]).encode())

    def role_of(self, name: str) -> str | None:
        """Who may sign in: staff (every ticket) and building leaders (their own), as the
        roster live now says."""
        roster = self._knowledge().roster
        if any(s.name == name for s in roster.staff):
            return "staff"
        return "leader" if self.buildings_of(name) else None

    def buildings_of(self, name: str) -> tuple[str, ...]:
        """The buildings someone leads or backs up, in the roster live now."""
        return tuple(b.name for b in self._knowledge().roster.buildings
                     if name in (b.leader, b.backup))

    async def session(self, request: web.Request) -> DeskSession | None:
        """The request's session, unless forged, expired, signed out, its password changed,
        or its person no longer in the roster."""
        found = self.signer.read(request.cookies.get(COOKIE), self.deps.clock())
        if found is None or self.role_of(found.name) != found.role:
            return None
        async with self.deps.unit_of_work() as uow:
            stored = await uow.credentials.get(found.name)
        if stored is None or stored.generation != found.generation:
            return None      # signed out since, or a new password
        return found

    async def required(self, request: web.Request) -> DeskSession:
        """The signed-in session, or: a page redirects to sign-in, anything else is 401."""
        found = await self.session(request)
        if found is not None:
            return found
        if request.method == "GET" and not request.path.startswith("/staff/export") \
                and not request.path.endswith(DOWNLOADS):
            raise web.HTTPSeeOther("/staff/login?" + urlencode({"next": request.path_qs}))
        raise web.HTTPUnauthorized(text="401: sign in at /staff/login\n")

    async def checked_form(self, request: web.Request) -> tuple[DeskSession, dict[str, str]]:
        """A posted form of a signed-in session carrying its CSRF token."""
        session = await self.required(request)
        form = {k: str(v) for k, v in (await request.post()).items()}
        if not self.signer.csrf_ok(session, form.get("csrf")):
            raise web.HTTPForbidden(text=texts.FORM_EXPIRED)
        return session, form

    def scope(self, session: DeskSession) -> tuple[str, ...] | None:
        """The buildings a session may see; None for every building."""
        return None if session.role == "staff" else self.buildings_of(session.name)

    def visible(self, session: DeskSession, which: TicketFilter) -> TicketFilter:
        """A filter narrowed to what the session may see: a leader, their buildings and what
        is handed to them, never a 找人工 consultation."""
        if session.role == "staff":
            return which
        return dataclasses.replace(which, buildings=self.scope(session),
                                   or_assigned_to=session.name, without_kinds=("consult",))

    def page(self, request: web.Request, template: str, session: DeskSession | None,
             **context: Any) -> web.Response:
        """A page, with what the last action said (kept in a cookie only this site can set:
        a link cannot put words in the desk's mouth)."""
        response = web.Response(text=self.render(request, template, session, **context),
                                content_type="text/html", charset="utf-8",
                                headers={"Cache-Control": "no-store"})
        if SAID in request.cookies:
            response.del_cookie(SAID, path="/staff")
        return response

    def render(self, request: web.Request, template: str, session: DeskSession | None,
               **context: Any) -> str:
        """A template filled with the page's context and what every page shows."""
        context.update(session=session, texts=texts,
                       csrf=self.signer.csrf(session) if session else "",
                       categories=self.categories, said=_said(request))
        return str(self.templates().get_template(template).render(context))

    def bad_request(self, request: web.Request, session: DeskSession, field: str,
                    value: str, back: str) -> web.HTTPBadRequest:
        """A 400 page saying which part of the query cannot be read (to raise)."""
        html = self.render(request, "bad_request.html", session, field=field,
                           value=value[:40], back=back,
                           meals=booking_texts.MEAL_NAMES)
        return web.HTTPBadRequest(text=html, content_type="text/html",
                                  headers={"Cache-Control": "no-store"})

    def templates(self) -> Any:
        """The pages' Jinja2 environment (autoescaping), made when first needed."""
        if self._templates is None:
            import jinja2

            env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                     autoescape=jinja2.select_autoescape(["html"]),
                                     undefined=jinja2.StrictUndefined)
            env.filters["local"] = lambda moment, zone: (
                moment.astimezone(zone).strftime("%m-%d %H:%M") if moment else "")
            env.filters["share"] = lambda value: "—" if value is None else f"{value:.0%}"
            env.filters["hours"] = lambda value: "—" if value is None else (
                f"{value * 60:.0f} 分钟" if value < 1 else f"{value:.1f} 小时")
            self._templates = env
        return self._templates

    # -- sign-in ---------------------------------------------------------------------------
    async def login_form(self, request: web.Request) -> web.Response:
        return self.page(request, "login.html", None, error="",
                         next=request.query.get("next", "/staff/"))

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
        target = str(form.get("next", "/staff/"))
        if not target.startswith("/staff"):
            target = "/staff/"
        now = self.deps.clock()
        role = self.role_of(name)
        error = texts.SIGN_IN_UNKNOWN
        async with self.deps.unit_of_work() as uow:
            stored = await uow.credentials.get(name) if role else None
            if stored is not None and stored.locked_until is not None and \
                    stored.locked_until > now:
                error = texts.SIGN_IN_LOCKED.format(
                    minutes=max(1, int((stored.locked_until - now).total_seconds() // 60) + 1))
            elif stored is not None and role is not None and check_password(
                    password, stored.password_hash):
                await uow.credentials.succeeded(name, now)
                await uow.commit()
                cookie, _ = self.signer.issue(name, role, now, stored.generation)
                signed_in = web.HTTPSeeOther(target)
                signed_in.set_cookie(COOKIE, cookie, path="/staff", httponly=True,
                                     samesite="Strict", secure=request.secure or (
                                         request.headers.get("X-Forwarded-Proto") == "https"),
                                     max_age=int(SESSION_LENGTH.total_seconds()))
                raise signed_in
            elif stored is not None:
                locked = await uow.credentials.failed(name, now, LOCK_AFTER, LOCK_FOR)
                await uow.commit()
                error = (texts.SIGN_IN_LOCKED.format(minutes=int(LOCK_FOR.total_seconds() // 60))
                         if locked is not None else texts.SIGN_IN_WRONG)
            else:    # no such account: the same work, so the answer's time tells nothing
                check_password(password, DECOY_HASH)
        response = self.page(request, "login.html", None, error=error, next=target)
        response.set_status(401)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        session, _ = await self.checked_form(request)
        async with self.deps.unit_of_work() as uow:      # this cookie is void from now on
            await uow.credentials.sign_out(session.name, self.deps.clock())
            await uow.commit()
        response = web.HTTPSeeOther("/staff/login")
        response.del_cookie(COOKIE, path="/staff")
        raise response

    # -- numbers ---------------------------------------------------------------------------
    def _period(self, request: web.Request) -> tuple[str, dt.date, dt.date]:
        choice = request.query.get("period", "month")
        today = self.deps.clock().astimezone(self.zone).date()
        start, end = period_of(choice, today, _date(request.query.get("from")),
                               _date(request.query.get("to")))
        if (end - start).days > LONGEST_PERIOD:      # a period is a year at most
            start = end - dt.timedelta(days=LONGEST_PERIOD)
        return choice, start, end

    def _bounds(self, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (dt.datetime.combine(start, dt.time(), self.zone),
                dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), self.zone))

    async def dashboard(self, request: web.Request) -> web.Response:
        session = await self.required(request)
        choice, start, end = self._period(request)
        async with self.deps.unit_of_work() as uow:
            figures, asked = await period_numbers(uow, start, end, self.zone,
                                                  self.deps.clock(),
                                                  self.visible(session, TicketFilter()))
        span = {"from": start.isoformat(), "to": end.isoformat()}
        return self.page(request, "dashboard.html", session, figures=figures, choice=choice,
                         asked=asked,
                         span=span, link=lambda **kw: _link(span, kw),
                         charts=_charts(figures, self.categories, span))

    # -- tickets ---------------------------------------------------------------------------
    def _filter(self, request: web.Request, session: DeskSession) -> TicketFilter:
        q = request.query
        start, end = _date(q.get("from")), _date(q.get("to"))
        done = _date(q.get("resolved"))
        done_bounds = self._bounds(done, done) if done else (None, None)
        return self.visible(session, TicketFilter(
            done_from=done_bounds[0], done_to=done_bounds[1],
            created_from=self._bounds(start, start)[0] if start else None,
            created_to=self._bounds(end, end)[1] if end else None,
            kind=q.get("kind") or None,
            state=q.get("state") or None, category=q.get("category") or None,
            building=q.get("building") or None, assignee=q.get("leader") or None))

    async def tickets(self, request: web.Request) -> web.Response:
        session = await self.required(request)
        which = self._filter(request, session)
        async with self.deps.unit_of_work() as uow:
            facts = await read_facts(uow, which, LIST_LIMIT)
        query = {k: v for k, v in request.query.items() if v}
        return self.page(request, "tickets.html", session, tickets=facts, query=query,
                         export_query=urlencode(query), zone=self.zone,
                         buildings=self.scope(session) or sorted(
                             b.name for b in self.knowledge.roster.buildings),
                         limit=LIST_LIMIT, now=self.deps.clock())

    async def _visible(self, uow: UnitOfWork, session: DeskSession, code: str
                       ) -> Ticket:
        ticket = await uow.tickets.by_code(code) if _CODE.fullmatch(code) else None
        scope = self.scope(session)
        if ticket is None or (scope is not None and (
                ticket.kind == "consult" or (ticket.building not in scope
                                             and ticket.assignee != session.name))):
            raise web.HTTPNotFound(text="404: no such ticket\n")   # a leader learns nothing
        return ticket

    async def ticket(self, request: web.Request) -> web.Response:
        session = await self.required(request)
        code = request.match_info["code"].upper()
        async with self.deps.unit_of_work() as uow:
            ticket = await self._visible(uow, session, code)
            history = await uow.desk.history(ticket.id)
            phone = await uow.desk.phone_of(None if ticket.anonymous else ticket.resident_id)
            facts = facts_of(ticket, any(e.action == "reopened" for e in history))
        return self.page(request, "ticket.html", session, ticket=facts,
                         description=ticket.description, location=ticket.location or "",
                         anonymous=ticket.anonymous, phone=mask_phone(phone),
                         history=history, zone=self.zone, now=self.deps.clock())

    async def act(self, request: web.Request) -> web.Response:
        """A ticket action from the page: the same command a leader types in WeCom."""
        session, form = await self.checked_form(request)
        code = request.match_info["code"].upper()
        verb = form.get("verb", "")
        note = " ".join(form.get("note", "").split())
        async with self.deps.unit_of_work() as uow:
            await self._visible(uow, session, code)
        if verb not in texts.ACTIONS:
            said = [texts.ACTION_EMPTY]
        else:
            replies = await self.deps.dialogue.handle(IncomingMessage(
                PLATFORM, f"{session.role}:{session.name}", f"{verb} {code} {note}".strip()))
            said = [r.text for r in replies]
        raise _told(f"/staff/tickets/{code}", said)

    # -- exports ---------------------------------------------------------------------------
    async def export(self, request: web.Request) -> web.Response:
        session = await self.required(request)
        which = self._filter(request, session)
        async with self.deps.unit_of_work() as uow:
            facts = await read_facts(uow, which)
        rows = rows_of(facts, self.zone, self.deps.clock(), self.categories)
        stamp = self.deps.clock().astimezone(self.zone).strftime("%Y%m%d")
        if request.match_info["format"] == "xlsx":
            body = as_xlsx(rows)
            kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body, kind = as_csv(rows), CSV
        return _attachment(body, kind, f'tickets-{stamp}.{request.match_info["format"]}')

    # -- the kitchen and the counter (staff) -------------------------------------------------
    def _bookings(self, request: web.Request) -> BookingDesk:
        """The station's booking rules, from the knowledge live now."""
        if self.deps.reloader is not None:
            return self.deps.reloader.bookings
        if self.deps.bookings is None:
            raise web.HTTPServiceUnavailable(text="503: bookings are not set up here\n")
        return self.deps.bookings

    def _day_asked(self, request: web.Request, session: DeskSession, back: str) -> dt.date:
        """The day of the query (today when none is given); 400 when it cannot be read."""
        text = request.query.get("day", "").strip()
        if not text:
            return self.deps.clock().astimezone(self.zone).date()
        day = _date(text)
        if day is None:
            raise self.bad_request(request, session, "day", text, back)
        return day

    def _meal_asked(self, request: web.Request, session: DeskSession, back: str) -> str:
        """The meal of the query (the next one when none is given: lunch until 13:00, then
        dinner, as the chat's 订餐统计); 400 when it is none of the meals."""
        text = request.query.get("meal", "").strip()
        if not text:
            now = self.deps.clock().astimezone(self.zone)
            return "dinner" if now.hour >= DINNER_FROM else "lunch"
        if text not in booking_texts.MEAL_NAMES:
            raise self.bad_request(request, session, "meal", text, back)
        return text

    async def _staff(self, request: web.Request) -> DeskSession:
        """A signed-in staff member's session (a leader gets 403)."""
        session = await self.required(request)
        self._staff_only(session)
        return session

    async def _kitchen(self, request: web.Request, session: DeskSession
                       ) -> tuple[KitchenSheet, BookingDesk]:
        day = self._day_asked(request, session, "/staff/kitchen")
        meal = self._meal_asked(request, session, "/staff/kitchen")
        bookings = self._bookings(request)
        async with self.deps.unit_of_work() as uow:
            return await kitchen_sheet(uow, bookings, day, meal), bookings

    def _printed(self) -> str:
        """When a sheet was made (it says so on paper)."""
        return self.deps.clock().astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    async def kitchen(self, request: web.Request) -> web.Response:
        """备餐单: a meal's counts per meal point and set or dish, and the delivery round
        building by building, to print for the kitchen and the volunteers."""
        session = await self._staff(request)
        sheet, bookings = await self._kitchen(request, session)
        query = urlencode({"day": sheet.day.isoformat(), "meal": sheet.meal})
        return self.page(request, "kitchen.html", session, sheet=sheet, query=query,
                         heading=f"{day_words(sheet.day)}{sheet.meal_name}",
                         meals=booking_texts.MEAL_NAMES,
                         menu=menu_of(bookings, sheet.day, sheet.meal),
                         around=_around(sheet.day, {"meal": sheet.meal}),
                         printed=self._printed())

    async def kitchen_csv(self, request: web.Request) -> web.Response:
        sheet, _ = await self._kitchen(request, await self._staff(request))
        return _attachment(as_csv(kitchen_rows(sheet), KITCHEN_COLUMNS), CSV,
                           f"kitchen-{sheet.day:%Y%m%d}-{sheet.meal}.csv")

    async def _counter(self, request: web.Request, session: DeskSession
                       ) -> tuple[dt.date, list[Visit]]:
        day = self._day_asked(request, session, "/staff/counter")
        bookings = self._bookings(request)
        async with self.deps.unit_of_work() as uow:
            return day, await counter_day(uow, bookings, day)

    async def counter(self, request: web.Request) -> web.Response:
        """窗口预约: the day's counter appointments by time, to print for the windows."""
        session = await self._staff(request)
        day, visits = await self._counter(request, session)
        states = {name: sum(v.state_name == name for v in visits)
                  for name in dict.fromkeys(v.state_name for v in visits)}
        return self.page(request, "counter.html", session, day=day, visits=visits,
                         heading=day_words(day), states=states,
                         query=urlencode({"day": day.isoformat()}), around=_around(day, {}),
                         printed=self._printed())

    async def counter_csv(self, request: web.Request) -> web.Response:
        day, visits = await self._counter(request, await self._staff(request))
        return _attachment(as_csv(counter_rows(day, visits), COUNTER_COLUMNS), CSV,
                           f"counter-{day:%Y%m%d}.csv")

    # -- notifications that failed ----------------------------------------------------------
    async def failed(self, request: web.Request) -> web.Response:
        session = await self.required(request)
        if session.role != "staff":
            raise web.HTTPForbidden(text="403: staff only\n")
        async with self.deps.unit_of_work() as uow:
            failures = await uow.outbox.failures(limit=200)
        return self.page(request, "failed.html", session, failures=failures, zone=self.zone)

    async def retry(self, request: web.Request) -> web.Response:
        session, _ = await self.checked_form(request)
        if session.role != "staff":
            raise web.HTTPForbidden(text="403: staff only\n")
        number = int(request.match_info["id"])
        async with self.deps.unit_of_work() as uow:
            done = number < 2 ** 31 and await uow.outbox.retry(number, self.deps.clock())
            await uow.commit()
        raise _told("/staff/failed", [texts.RETRIED if done else texts.NOT_RETRIED])

    # -- questions the bot could not answer --------------------------------------------------
    def _staff_only(self, session: DeskSession) -> None:
        if session.role != "staff":
            raise web.HTTPForbidden(text="403: staff only\n")

    def _entries(self) -> list[tuple[str, str]]:
        """Everything an alias can be added to: items, then the station's FAQs."""
        knowledge = self._knowledge()
        return [(i.id, f"{i.id} {i.name}") for i in knowledge.items] + [
            (f.id, f"{f.id} {f.question}") for f in knowledge.faq]

    def _knowledge(self) -> Knowledge:
        reloader = self.deps.reloader
        return self.deps.knowledge if reloader is None else reloader.knowledge

    async def unanswered(self, request: web.Request) -> web.Response:
        session = await self.required(request)
        self._staff_only(session)
        days = int(request.query.get("days", "30")) if request.query.get(
            "days", "30").isdigit() else 30
        since = self.deps.clock() - dt.timedelta(days=max(1, min(days, 365)))
        async with self.deps.unit_of_work() as uow:
            stored = await uow.unanswered.open(since)
        groups = group([Asked(q.id, q.text, q.kind, tuple(filter(None, q.candidates.split(","))))
                        for q in stored])
        reloader = self.deps.reloader
        return self.page(request, "unanswered.html", session, groups=groups, days=days,
                         entries=self._entries(),
                         errors=[str(p) for p in (reloader.errors if reloader else [])],
                         reloads=reloader.reloads if reloader else 0)

    async def alias_preview(self, request: web.Request) -> web.Response:
        session = await self.required(request)
        self._staff_only(session)
        ref, alias = request.query.get("ref", ""), request.query.get("alias", "")
        edit = (propose_alias(self._knowledge_dir(), ref, alias)
                if self.deps.reloader is not None else None)
        return self.page(request, "alias_preview.html", session, edit=edit, ref=ref,
                         alias=alias, ids=request.query.get("ids", ""),
                         root=self._knowledge_dir().parent)

    async def alias_apply(self, request: web.Request) -> web.Response:
        """Write the alias, check the knowledge, reload it; a broken result is undone."""
        session, form = await self.checked_form(request)
        self._staff_only(session)
        reloader = self.deps.reloader
        edit = propose_alias(self._knowledge_dir(), form.get("ref", ""), form.get("alias", ""))
        if reloader is None or edit is None:
            raise _told("/staff/unanswered", [texts.ALIAS_NOTHING])
        async with self._alias_lock:     # two clicks at once: one after the other
            edit = propose_alias(self._knowledge_dir(), edit.ref, edit.alias)
            if edit is None:
                raise _told("/staff/unanswered", [texts.ALIAS_NOTHING])
            former = await asyncio.to_thread(apply, edit)
            errors = await reloader.reload()
            if errors:
                await asyncio.to_thread(restore, edit, former)
                await reloader.reload()
        if errors:
            said = texts.ALIAS_UNDONE.format(first=str(errors[0]))
        else:
            ids = [int(i) for i in form.get("ids", "").split(",") if i.isdigit()]
            async with self.deps.unit_of_work() as uow:
                await uow.unanswered.resolve(ids, edit.ref)
                await uow.commit()
            said = texts.ALIAS_ADDED.format(alias=edit.alias, ref=edit.ref)
        raise _told("/staff/unanswered", [said])

    async def ignore(self, request: web.Request) -> web.Response:
        """Questions nobody needs to teach the bot (股票, 天气, chatter): off the list."""
        session, form = await self.checked_form(request)
        self._staff_only(session)
        ids = [int(i) for i in form.get("ids", "").split(",") if i.isdigit() and len(i) < 10]
        async with self.deps.unit_of_work() as uow:
            await uow.unanswered.resolve(ids, IGNORED)
            await uow.commit()
        raise _told("/staff/unanswered", [texts.IGNORED.format(count=len(ids))])

    async def reload(self, request: web.Request) -> web.Response:
        session, _ = await self.checked_form(request)
        self._staff_only(session)
        if self.deps.reloader is None:
            raise web.HTTPSeeOther("/staff/unanswered")
        errors = await self.deps.reloader.reload()
        said = texts.RELOADED if not errors else texts.NOT_RELOADED.format(count=len(errors))
        raise _told("/staff/unanswered", [said])

    def _knowledge_dir(self) -> Path:
        reloader = self.deps.reloader
        return reloader.folder if reloader is not None else Path(".")

    async def static(self, request: web.Request) -> web.FileResponse:
        await self.required(request)
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.FileResponse(HERE / "static" / name,
                                headers={"Cache-Control": "private, max-age=3600"})


def _attachment(body: bytes, kind: str, filename: str) -> web.Response:
    """A download (the file name is ASCII: every browser keeps it)."""
    return web.Response(body=body, headers={
        "Content-Type": kind, "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _told(location: str, lines: list[str]) -> web.HTTPSeeOther:
    """A redirect after an action, carrying what it said to the next page."""
    response = web.HTTPSeeOther(location)
    value = base64.urlsafe_b64encode(json.dumps(lines, ensure_ascii=False).encode()).decode()
    value = value if len(value) < 3000 else base64.urlsafe_b64encode(json.dumps(
        [line[:300] for line in lines[:3]], ensure_ascii=False).encode()).decode()
    response.set_cookie(SAID, value, path="/staff", httponly=True, samesite="Strict",
                        max_age=60)
    return response


def _said(request: web.Request) -> list[str]:
    """What the last action said (from `_told`), or nothing."""
    try:
        lines = json.loads(base64.urlsafe_b64decode(request.cookies.get(SAID, "") or "W10="))
    except ValueError:
        return []
    return [str(line) for line in lines][:10] if isinstance(lines, list) else []


STATIC_FILES = frozenset({"echarts.min.js", "desk.js", "desk.css", "print.css",
                          "LICENSE-echarts.txt", "NOTICE-echarts.txt"})


def staff_app(deps: DeskDependencies) -> web.Application:
    """The desk as an application to mount under /staff."""
    desk = StaffDesk(deps)
    app = web.Application()

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        await desk.start()
        yield

    app.cleanup_ctx.append(lifetime)
    get: list[tuple[str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = [
        ("/login", desk.login_form), ("/", desk.dashboard), ("/tickets", desk.tickets),
        ("/tickets/{code}", desk.ticket), ("/export/tickets.{format:csv|xlsx}", desk.export),
        ("/failed", desk.failed), ("/static/{name}", desk.static),
        ("/unanswered", desk.unanswered), ("/unanswered/alias", desk.alias_preview),
        ("/kitchen", desk.kitchen), ("/kitchen.csv", desk.kitchen_csv),
        ("/counter", desk.counter), ("/counter.csv", desk.counter_csv)]
    for path, handler in get:
        app.router.add_get(path, handler)
    app.router.add_post("/login", desk.login)
    app.router.add_post("/logout", desk.logout)
    app.router.add_post("/tickets/{code}", desk.act)
    app.router.add_post("/failed/{id:\\d+}/retry", desk.retry)
    app.router.add_post("/unanswered/alias", desk.alias_apply)
    app.router.add_post("/unanswered/ignore", desk.ignore)
    app.router.add_post("/reload", desk.reload)
    return app


async def read_facts(uow: UnitOfWork, which: TicketFilter, limit: int | None = None
                     ) -> list[TicketFacts]:
    """The tickets a filter selects, as the numbers need them."""
    tickets = await uow.desk.tickets(which, limit)
    reopened = await uow.desk.reopened([t.id for t in tickets])
    return [facts_of(t, t.id in reopened) for t in tickets]


async def period_numbers(uow: UnitOfWork, start: dt.date, end: dt.date, zone: dt.tzinfo,
                         now: dt.datetime, which: TicketFilter
                         ) -> tuple[Figures, Consultations]:
    """A period's figures and the questions the bot answered in it: the dashboard's and the
    monthly report's. Tickets created up to HISTORY_DAYS before count where they were
    resolved inside the period."""
    which = dataclasses.replace(
        which, created_from=dt.datetime.combine(start - dt.timedelta(days=HISTORY_DAYS),
                                                dt.time(), zone),
        created_to=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone))
    facts = await read_facts(uow, which)
    asked = consultations((c.category, c.answered, c.on_the_spot)
                          for c in await uow.consultations.between(start, end))
    return compute(facts, start, end, zone, now), asked


async def kitchen_sheet(uow: UnitOfWork, bookings: BookingDesk, day: dt.date, meal: str
                        ) -> KitchenSheet:
    """A meal's counts and delivery round, as the chat's 订餐统计 and 送餐名单 count them."""
    tally = await bookings.counts(uow, day, meal)
    places = {p.id: n for n, p in enumerate(bookings.canteen.points)}
    sets = {booking_texts.SET_NAME.format(letter=c) for c in ("A", "B")}
    menu = bookings.canteen.menu.get(day)
    listed = menu.dishes(meal) if menu is not None else ()

    def column(what: str) -> tuple[int, int, str]:
        if what in sets:
            return 0, 0, what
        return (1, listed.index(what), what) if what in listed else (2, 0, what)

    def place(point: str) -> tuple[int, int, str]:
        return (2, 0, point) if point == DELIVERY else (
            (0, places[point], point) if point in places else (1, 0, point))

    tallies = tuple(PointTally(bookings.point_name(point), dict(parts), sum(parts.values()))
                    for point, parts in sorted(tally.items(), key=lambda p: place(p[0])))
    columns = tuple(sorted({what for parts in tally.values() for what in parts}, key=column))
    stops = tuple(Stop(building, floor_of(room), room, name, what, portions, note)
                  for building, room, name, what, portions, note
                  in await bookings.deliveries(uow, day, meal))
    return KitchenSheet(day, meal, booking_texts.MEAL_NAMES[meal], columns, tallies, stops)


def menu_of(bookings: BookingDesk, day: dt.date, meal: str) -> list[tuple[str, str]]:
    """What the sets hold that day, for the kitchen: (套餐A, dishes) at lunch, the meal's
    dishes otherwise; nothing when the menu is not out."""
    menu = bookings.canteen.menu.get(day)
    if menu is None:
        return []
    if meal == "lunch":
        found = [(booking_texts.SET_NAME.format(letter="A"), menu.set_a),
                 (booking_texts.SET_NAME.format(letter="B"), menu.set_b)]
    else:
        found = [(booking_texts.MEAL_NAMES[meal], menu.dishes(meal))]
    return [(name, "、".join(dishes)) for name, dishes in found if dishes]


async def counter_day(uow: UnitOfWork, bookings: BookingDesk, day: dt.date) -> list[Visit]:
    """A day's counter appointments by time (the cancelled left out), as the chat's 预约名单."""
    found = await uow.appointments.on(day)
    people = await uow.appointments.residents(
        [a.resident_id for a in found if a.resident_id is not None])
    return [Visit(a.start, a.code, bookings.appointment_words(a)[2],
                  (people[a.resident_id].name if a.resident_id is not None
                   and a.resident_id in people else "") or "居民", a.state)
            for a in found]


def _around(day: dt.date, keep: dict[str, str]) -> dict[str, str]:
    """The query strings of the day before and the day after."""
    return {name: urlencode({"day": (day + dt.timedelta(days=step)).isoformat(), **keep})
            for name, step in (("before", -1), ("after", 1))}


def mask_phone(phone: str | None) -> str:
    """138****0001: enough to recognise, not to dial."""
    if not phone:
        return ""
    digits = phone.strip()
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def facts_of(ticket: Ticket, reopened: bool) -> TicketFacts:
    """What the numbers need of a ticket."""
    return TicketFacts(ticket.id, ticket.code, ticket.kind, ticket.category, ticket.building,
                       ticket.state, ticket.assignee, ticket.created_at, ticket.responded_at,
                       ticket.due_at, ticket.resolved_at, ticket.closed_at, reopened,
                       ticket.satisfaction)


def _date(text: str | None) -> dt.date | None:
    """A date the desk can work with (2000-2100), or None."""
    try:
        day = dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return day if day is not None and 2000 <= day.year <= 2100 else None


def _link(span: dict[str, str], filters: dict[str, str | None]) -> str:
    """The ticket list behind a number of the dashboard."""
    query = {**span, **{k: v for k, v in filters.items() if v}}
    return "/staff/tickets?" + urlencode(query)


def _charts(figures: Figures, categories: dict[str, str], span: dict[str, str]
            ) -> dict[str, Any]:
    """The charts' data, each point with the list it drills down to."""
    return {
        "days": {"dates": [d.strftime("%m-%d") for d, _, _ in figures.per_day],
                 "new": [n for _, n, _ in figures.per_day],
                 "resolved": [r for _, _, r in figures.per_day],
                 "links": [_link({"from": d.isoformat(), "to": d.isoformat()}, {})
                           for d, _, _ in figures.per_day],
                 "resolved_links": [_link({}, {"resolved": d.isoformat()})
                                    for d, _, _ in figures.per_day]},
        "categories": [{"name": categories.get(c, texts.KINDS.get(c, c)), "value": n,
                        "link": _link(span, {"category": c} if c in categories
                                      else {"kind": c})}
                       for c, n in figures.by_category],
        "states": [{"name": texts.STATES.get(s, s), "value": n,
                    "link": _link(span, {"state": s})} for s, n in figures.by_state],
        "buildings": [{"name": b, "value": n, "link": _link(span, {"building": b})}
                      for b, n in figures.by_building],
    }
