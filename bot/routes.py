"""The route table: what a turn is, decided in one place, in order. The first route whose
condition holds handles the turn. Conditions are pure functions of the Turn; handlers get
their dependencies injected by the composition root (`bot.bootstrap`).

The order is the policy:
1. messages that are not for the bot, platform events, photos, other media;
2. a leader's or staff member's commands (explicit, with a ticket code);
3. safety first: an emergency, whatever else is going on;
4. what escapes any pending question: 转人工, 取消, 撤销, account commands;
5. answers to what the bot asked: an emergency's place, the report or wish being taken,
   已修好了吗, a thank-you, a numbered choice, the leader waiting for an answer;
6. follow-ups of an open report (details, the same problem again, a phone number);
7. new reports and wishes, where one lives, and finally questions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.conversation.state import (
    AppointmentDraft,
    OrderDraft,
    ReportDraft,
    SignupDraft,
    WishDraft,
)
from bot.db.unit_of_work import UnitOfWork
from bot.tickets.desk import SAME_INCIDENT, THANKFUL
from bot.turn import Outcome, Turn
from handlers import (
    account,
    appointments,
    conversation,
    delivery,
    followups,
    handoff,
    kitchen,
    orders,
    questions,
    reports,
    safety,
    staff,
    wishes,
)
from intents.answers import (
    asks_progress,
    number_unknown,
    rating_of,
    rejects_answer,
    wants_anonymity,
)
from intents.bookings import (
    AppointmentRequest,
    CancelAppointment,
    CancelMeal,
    ClosePoint,
    DayAppointments,
    DecideSignup,
    DeliveryList,
    DeliveryPause,
    DeliverySignup,
    HowToOrder,
    KitchenCounts,
    MarkAppointment,
    MealRequest,
    MyAppointments,
    MyDelivery,
    MyOrders,
    SoldOut,
    half_day,
)
from intents.commands import (
    Broadcast,
    Cancel,
    Home,
    Link,
    LinkRequest,
    ListCommand,
    MissingCode,
    Pick,
    Query,
    TicketCommand,
    Withdraw,
)
from intents.dates import read_day
from intents.engine import AFFAIRS, FALLBACK, FAQ, HANDOFF, MENU, REPORT, UNSAID, WISH

TurnHandler = Callable[[Turn, UnitOfWork], Awaitable[Outcome]]
ASKED_BACK = re.compile(r"[吗伐么][?？]?$")   # a place said as a question (是12号楼吗)
DETAIL_WINDOW = dt.timedelta(days=2)   # words with no other meaning still belong to a report
ANOTHER = re.compile(r"还有|另外|另一个|又发现|也坏了|也不亮")   # a second problem, not a detail
# Words that tie a message with no other meaning to the problem reported (还在滴, 比昨天少).
ABOUT_IT = re.compile(r"还在|还是|又|越来越|更|比昨天|比刚才|一直|还没|没修|修|坏|漏|滴|渗|堵|"
                      r"响|臭|亮|暗|黑|看不见|看不清|危险|跌|摔|滑|味|吵|冒|水|灯|门|电梯|楼道|"
                      r"楼梯|墙|顶|房间|家里|厨房|卫生间")
UNTHANKFUL = re.compile(r"不满意|不开心|不感谢|谢什么")
THANKS_ONLY = re.compile(r"^\W*\w{0,4}(?:谢谢|多谢|感谢|辛苦)\w{0,6}$")   # 胡师傅谢谢侬


@dataclass(frozen=True)
class Route:
    """One line of the table: a name (for metrics and tests), a condition, a handler.
    The handler takes the turn and the unit of work, then its own dependencies by name.
    `recalls_draft`: a route that answers something else while a report or wish is half
    taken adds one line recalling it."""

    name: str
    when: Callable[[Turn], bool]
    handler: Callable[..., Awaitable[Outcome]]
    recalls_draft: bool = False   # after it, a report or wish half taken is recalled

# -- conditions --------------------------------------------------------------------------------
def is_event(name: str) -> Callable[[Turn], bool]:
    """A platform event (subscribe, unsubscribe)."""
    return lambda t: t.message.kind == "event" and t.message.text == name


def not_for_the_bot(t: Turn) -> bool:
    """Group talk that does not address the bot, from someone it waits for nothing from (an
    emergency said in a building's group is answered all the same)."""
    return not t.message.addressed and not t.state.busy and t.emergency is None


def staff_command(verb: str) -> Callable[[Turn], bool]:
    """A leader's or staff member's action on a ticket."""
    return lambda t: (t.actor is not None and isinstance(t.command, TicketCommand)
                      and t.command.verb == verb)


def staff_list(what: str) -> Callable[[Turn], bool]:
    """A leader's or staff member's list (我的工单, 超时...) or 帮助."""
    return lambda t: (t.actor is not None and isinstance(t.command, ListCommand)
                      and t.command.what == what)


def resident_list(what: str) -> Callable[[Turn], bool]:
    """A resident's 我的报修 or 帮助."""
    return lambda t: (t.actor is None and isinstance(t.command, ListCommand)
                      and t.command.what == what)


GIVING_UP = re.compile(r"算了|不许了|不登记了|不要登记|先不要了|不报了|不弄了")


def cancels(t: Turn) -> bool:
    """取消 / 算了; 不用修了 while a report is still being taken means the same. (不用了 to
    "要不要匿名？" is an answer, not a cancellation.)"""
    draft = t.state.draft
    if isinstance(draft, WishDraft) and draft.awaiting == "anonymous" \
            and wants_anonymity(t.clean) is not None and "取消" not in t.clean \
            and not GIVING_UP.search(t.clean):
        return False
    if isinstance(draft, WishDraft) and GIVING_UP.search(t.clean):
        return True                 # 算了不要了 to "要不要匿名？": the wish is given up
    return isinstance(t.command, Cancel) or (
        isinstance(t.command, Withdraw) and t.command.code is None and draft is not None)


def withdraws(t: Turn) -> bool:
    """撤销 R0002 / 不用修了; not 不用了，已经好了 said to "已修好了吗" (that is its answer)."""
    return isinstance(t.command, Withdraw) and not (
        t.command.code is None and bool(t.questions.confirm) and t.yes_no is not None)


def asks_status(t: Turn) -> bool:
    """查询 R0001, or a resident typing a leader's command with a code."""
    return isinstance(t.command, Query) or (
        t.actor is None and isinstance(t.command, TicketCommand))


def answers_place(t: Turn) -> bool:
    """The place of an emergency filed without one (就在阿拉屋里厢 too: minutes after an
    emergency only a new question, 转人工 or a new problem is something else)."""
    return t.state.place_wanted is not None and (
        not t.place.empty or not t.plainly_else or (t.intent not in (HANDOFF, REPORT, WISH)
                                                    and not t.asks))


def _choice_wins(t: Turn) -> bool:
    """A bare number while numbered choices are open picks one of them (they are always the
    newest question: asking anything else closes them)."""
    return t.picks is not None and t.state.choices is not None


def answers_lapsed_draft(t: Turn) -> bool:
    """An answer to a report or wish question asked so long ago that it was dropped."""
    return t.state.lapsed is not None and t.state.draft is None and (t.place.only_place or (
        not t.plainly_else and (t.picks is not None or t.yes_no is not None
                                or t.intent in ("fallback", "greeting"))))


def answers_report_draft(t: Turn) -> bool:
    """An answer to the question asked about a report being taken."""
    draft = t.state.draft
    if not isinstance(draft, ReportDraft) or _choice_wins(t):
        return False
    if not t.place.empty or t.phone:
        return True
    if draft.awaiting == "building" and number_unknown(t.clean):
        return True   # 不知道 (which reads like no question) is an answer here
    if draft.awaiting == "problem":
        return not t.plainly_else or t.intent == REPORT
    if draft.awaiting == "building_confirm" and t.yes_no is not None:
        return True
    return not t.plainly_else


def answers_wish_draft(t: Turn) -> bool:
    """An answer to the question asked about a wish being taken (要不要匿名 answered in words
    is an answer, whatever else the words could be)."""
    draft = t.state.draft
    if not isinstance(draft, WishDraft) or _choice_wins(t):
        return False
    if draft.awaiting == "anonymous" and wants_anonymity(t.clean) is not None:
        return True
    if draft.awaiting == "building" and number_unknown(t.clean):
        return True
    return not t.place.empty or not t.plainly_else


def books(kind: type) -> Callable[[Turn], bool]:
    """A resident's meal order, delivery or appointment (明天中午订两份A套餐, 我的预约); while an
    order is being taken, "A套餐两份" is its answer, not a new order."""
    def condition(t: Turn) -> bool:
        request = t.booking
        if not isinstance(request, kind) or isinstance(t.command, TicketCommand):
            return False
        return not (isinstance(request, MealRequest) and isinstance(t.state.draft, OrderDraft)
                    and not request.change and not request.days.dates)
    return condition


def books_counter(t: Turn) -> bool:
    """An appointment at the counter: for an item of ours, or for nothing named yet (我想预约,
    礼拜三有号伐); not 预约挂号 or 食堂能预约吗, which are questions about something else."""
    request = t.booking
    if not isinstance(request, AppointmentRequest) or isinstance(t.command, TicketCommand) \
            or request.asks_how or request.elsewhere:
        return False
    subject = t.appointment_item
    return (request.move or not request.named_subject or subject.intent == AFFAIRS
            or isinstance(t.state.draft, AppointmentDraft))


def books_elsewhere(kind: str) -> Callable[[Turn], bool]:
    """An appointment for something that is not the station's counter: the canteen
    ("食堂能预约吗": ordering) or what the station knows nothing of (预约挂号怎么弄)."""
    def condition(t: Turn) -> bool:
        request = t.booking
        if not isinstance(request, AppointmentRequest) or books_counter(t):
            return False
        intent = t.appointment_item.intent
        if kind == "canteen":
            return intent == MENU
        if intent == FAQ:
            return False       # 预约一下养老顾问: the station's own service, answered as a question
        # a question how to book something of ours (婚姻登记怎么预约) is answered as a question
        return request.elsewhere or (intent != MENU and (not request.asks_how or (
            intent == FALLBACK and t.classification.item is None)))
    return condition


UNDO = re.compile(r"订错了|约错了|搞错了|刚才(?:那个|的|订的|约的)?(?:不要|取消|退|勿要)|^退掉$|"
                  r"^不要了$|^勿要了$|^撤销$|"
                  r"^(?:不对|错了|弄错了|算了)\W*(?:取消|不要了?|退掉|不约了|不订了)\W*$")


def undoes_booking(t: Turn) -> bool:
    """"取消" / "订错了" / "刚才那个不要了" right after booking: about what was just booked."""
    if t.state.recent is None or not t.state.recent.codes or t.state.draft is not None:
        return False
    return isinstance(t.command, Cancel) or (
        isinstance(t.command, Withdraw) and t.command.code is None) or bool(UNDO.search(t.standard))


ADJUST = re.compile(r"^(?:改成|换成|改为|要|再要|还是)?\s*(?:(?:\d+|[一两二三四五六七八九十]{1,2})"
                    r"\s*份|"
                    r"[ab]\s*(?:套餐|套|餐)?|套餐\s*[ab])\s*(?:吧|的|好了|就行)?$")


LEAD_IN = re.compile(r"^(?:哦|噢|哎|啊|嗯|呃)?\W*(?:不对|错了|说错了)?\W*")


def adjusts_order(t: Turn) -> bool:
    """"两份" / "B" right after an order: the order just placed changes."""
    recent = t.state.recent
    said = LEAD_IN.sub("", t.standard)
    return (recent is not None and any(c.startswith("F") for c in recent.codes)
            and t.state.draft is None and t.booking is None and bool(ADJUST.match(said)))


def kitchen_command(kind: type) -> Callable[[Turn], bool]:
    """A staff member's kitchen or counter command (订餐统计, 办结 Y0003)."""
    return lambda t: isinstance(t.staff_booking, kind)


def answers_order(t: Turn) -> bool:
    """An answer while a meal order is taken: the day, the place, A or B, 1 to confirm (the
    menu's words and short replies are answers here; a real question escapes)."""
    draft = t.state.draft
    if not isinstance(draft, OrderDraft):
        return False
    request = t.booking
    if request is not None and not (isinstance(request, MealRequest) and not request.change
                                    and not request.days.dates):
        return False     # a new order; A套餐两份 answers the one being taken
    if t.picks is not None or t.yes_no is not None:
        return True
    if t.asks and len(t.clean) > 6:
        return False
    return not t.plainly_else or t.intent == MENU or (
        len(t.clean) <= 6 and t.intent not in (REPORT, HANDOFF, WISH))


def answers_signup(t: Turn) -> bool:
    """An answer while an elder is signed up for delivery (我妈，9号楼302，85岁，一个人住;
    B套餐，礼拜六礼拜天不要); a question (送餐费多少钱) escapes, recalled afterwards."""
    if not isinstance(t.state.draft, SignupDraft):
        return False
    if t.yes_no is not None or t.picks is not None:
        return True              # 对 / 是的 / 1 to "回复 1 确认登记"
    if t.booking is not None and not isinstance(t.booking, MealRequest | CancelMeal):
        return False
    if t.asks and t.place.empty:
        return False
    return not t.plainly_else or not t.place.empty or t.intent == MENU or t.booking is not None


def answers_appointment(t: Turn) -> bool:
    """An answer while an appointment is booked: the item (an affairs question names it), a
    slot's number, or another day."""
    draft = t.state.draft
    if not isinstance(draft, AppointmentDraft) or t.booking is not None:
        return False
    if t.picks is not None:
        return True
    if draft.awaiting == "item":
        only_when = len(t.clean) <= 8 and (read_day(t.clean, t.today) is not None
                                           or half_day(t.clean) is not None)
        return only_when or (not t.asks and (t.intent == AFFAIRS or not t.plainly_else))
    return not t.plainly_else


def answers_repair(t: Turn) -> bool:
    """An answer to "已修好了吗" (1/2 or any words that say yes or no; thanks say yes). Not a
    question (还在吗), another building's problem, or a second one (12号楼的路灯也坏了)."""
    said = t.yes_no is not None or (bool(THANKFUL.search(t.clean)) and len(t.clean) <= 16
                                    and not UNTHANKFUL.search(t.clean))
    return (bool(t.questions.confirm) and not _choice_wins(t) and said
            and (not t.plainly_else or t.intent == REPORT) and not t.asks
            and t.place.building is None and not ANOTHER.search(t.clean))


def thanks_for_wish(t: Turn) -> bool:
    """A thank-you line after a wish came true (a short one; "不满意" or a thanks followed by
    a new problem is something else)."""
    return (t.questions.thanks is not None and bool(THANKFUL.search(t.clean))
            and not UNTHANKFUL.search(t.clean) and len(t.clean) <= 40 and not t.plainly_else
            and not ANOTHER.search(t.clean) and t.intent != REPORT)


REPEAT_WINDOW = dt.timedelta(minutes=1)   # a message sent again this soon is a double tap


def rates(t: Turn) -> bool:
    """A 1-5 rating (5, 五星, 很满意) after a confirmed repair or a fulfilled wish, while no
    numbered choice is open. The same "1" sent twice within a minute (the confirmation
    tapped again) is no rating of 1."""
    last = t.state.said[-1] if t.state.said else None
    repeated = last is not None and last.text.strip() == t.text.strip() and (
        t.now - last.at < REPEAT_WINDOW)
    return (t.questions.rate is not None and t.actor is None and not _choice_wins(t)
            and rating_of(t.clean) is not None and not repeated)


def rejects_choice(t: Turn) -> bool:
    """"不是这个" while the answer's choices are open: show what else it could have been."""
    return t.state.choices is not None and t.actor is None and rejects_answer(t.clean)


def picks_choice(t: Turn) -> bool:
    """A bare number while choices are open, or an offered item named in words (挂失 after
    "不是这个？回复 4 看敬老卡挂失补领")."""
    return _choice_wins(t) or (t.actor is None and t.choice_named is not None)


def asks_a_sibling(t: Turn) -> bool:
    """An action said alone right after an answer (补办, 那挂失呢): the same card's item that
    does it."""
    return t.actor is None and t.sibling_asked is not None


def asks_a_detail(t: Turn) -> bool:
    """A detail of the item just answered asked for in words (要带什么, 流程呢, 在哪里办, 要多久,
    要钱吗): that item's, not a question of its own (在哪里办 alone reads like an agency's)."""
    return t.actor is None and t.detail_named is not None


def answers_leader_briefly(t: Turn) -> bool:
    """A short answer to a leader's question that reads like a command of its own: "4" (no
    choice is open), "不用了" (nothing is being asked), "收到"."""
    if t.waiting is None or t.actor is not None or t.state.busy:
        return False
    return isinstance(t.command, Pick | Cancel | MissingCode)


def answers_leader(t: Turn) -> bool:
    """The resident answers a leader or staff member who asked them something. In a staff
    member's conversation (a consult) everything they say goes to that person; after a
    leader's question, anything but a new question or a new problem does (好的，我在家)."""
    if t.waiting is None or t.command is not None:
        return False
    if t.waiting == "consult":
        return True
    return t.intent != WISH and (not t.plainly_else or (
        t.intent not in (REPORT, HANDOFF) and not t.asks))


def adds_to_report(t: Turn) -> bool:
    """Words about the resident's open report: a place, a phone number, the same problem
    again, or words with no other meaning soon after filing ("还在滴，比昨天少一点")."""
    report = t.open_report
    if report is None or t.command is not None:
        return False
    if t.place.only_place and ASKED_BACK.search(t.clean):
        # 是12号楼吗: soon after filing, the building corrected; days later, not a move
        return t.now - report.created_at <= DETAIL_WINDOW
    if t.place.only_place or t.only_phone or asks_progress(t.clean):
        return True
    c = t.classification
    if c.intent == REPORT:
        same_place = t.place.building is None or t.place.building_name == report.building
        return (same_place and c.category in (None, report.category) and c.topic != UNSAID
                and not ANOTHER.search(t.clean))
    if report.urgency == "emergency" and t.now - report.created_at <= SAME_INCIDENT \
            and not t.asks and t.intent not in (HANDOFF, WISH):
        return True   # minutes after an emergency, what is said is about it (他家属也来了)
    return (c.intent == FALLBACK and c.topic is None and report.own and not t.asks
            and bool(ABOUT_IT.search(t.clean)) and not THANKS_ONLY.search(t.clean)
            and t.now - report.created_at <= DETAIL_WINDOW)


def gives_phone(t: Turn) -> bool:
    """A phone number on its own (after asking for a person, say)."""
    return t.only_phone


def is_intent(intent: str) -> Callable[[Turn], bool]:
    """What the intent engine makes of the message."""
    return lambda t: t.intent == intent


def says_home(t: Turn) -> bool:
    """我住9号楼 (not a question that mentions where one lives)."""
    return isinstance(t.command, Home) and t.place.building is not None and not t.asks


def links(t: Turn) -> bool:
    """绑定账号 / 绑定 123456."""
    return isinstance(t.command, Link | LinkRequest)


def always(t: Turn) -> bool:
    """The last route: everything else is a question."""
    return True


ROUTES: tuple[Route, ...] = (
    Route("unaddressed", not_for_the_bot, conversation.ignore),
    Route("event.subscribe", is_event("subscribe"), conversation.welcome),
    Route("event.unsubscribe", is_event("unsubscribe"), account.leave),
    Route("event.other", lambda t: t.message.kind == "event", conversation.ignore),
    Route("photo", lambda t: t.message.kind == "image", reports.photo),
    Route("not_text", lambda t: t.message.kind != "text", conversation.not_text),
    # leaders, volunteers and staff
    Route("staff.help", staff_list("help"), staff.help_staff),
    Route("staff.queue", staff_list("mine"), staff.queue),
    Route("staff.overdue", staff_list("overdue"), staff.overdue),
    Route("staff.thanks", staff_list("thanks"), staff.thanks),
    Route("staff.failed", staff_list("failed"), staff.failed),
    Route("staff.broadcast", lambda t: t.actor is not None and isinstance(t.command, Broadcast),
          staff.broadcast),
    Route("ticket.missing_code", lambda t: t.actor is not None
          and isinstance(t.command, MissingCode), staff.missing_code),
    Route("ticket.open", staff_command("open"), staff.open_ticket),
    Route("ticket.query", lambda t: t.actor is not None and isinstance(t.command, Query),
          staff.open_ticket),
    Route("ticket.claim", staff_command("claim"), staff.claim),
    Route("ticket.progress", staff_command("progress"), staff.progress),
    Route("ticket.done", staff_command("done"), staff.done),
    Route("ticket.cannot", staff_command("cannot"), staff.cannot),
    Route("ticket.transfer", staff_command("transfer"), staff.transfer),
    Route("ticket.reply", staff_command("reply"), staff.reply),
    Route("ticket.return", staff_command("return"), staff.return_to_duty),
    Route("ticket.merge", staff_command("merge"), staff.merge),
    Route("kitchen.counts", kitchen_command(KitchenCounts), kitchen.counts),
    Route("kitchen.delivery_list", kitchen_command(DeliveryList), kitchen.delivery_list),
    Route("counter.day", kitchen_command(DayAppointments), kitchen.day_appointments),
    Route("counter.mark", kitchen_command(MarkAppointment), kitchen.mark_appointment),
    Route("delivery.decide", kitchen_command(DecideSignup), kitchen.decide_signup),
    Route("kitchen.close_point", kitchen_command(ClosePoint), kitchen.close_point),
    Route("kitchen.sold_out", kitchen_command(SoldOut), kitchen.sold_out),
    Route("kitchen.not_staff", lambda t: t.staff_command_tried, kitchen.not_staff),
    # safety first (an emergency's place, said with the emergency again, is still its place)
    Route("emergency.place.named", lambda t: t.state.place_wanted is not None
          and t.command is None and not t.place.empty, safety.place_answer),
    Route("emergency", lambda t: t.emergency is not None, safety.emergency),
    # what escapes any pending question
    Route("handoff", is_intent(HANDOFF), handoff.hand_off, recalls_draft=True),
    Route("leader.answer.brief", answers_leader_briefly, followups.relay),
    Route("booking.undo", undoes_booking, orders.undo_recent),
    Route("cancel", cancels, account.cancel),
    Route("withdraw", withdraws, followups.withdraw),
    Route("link", links, account.link, recalls_draft=True),
    Route("status", asks_status, account.status, recalls_draft=True),
    Route("my_tickets", resident_list("mine"), account.my_tickets, recalls_draft=True),
    Route("help", resident_list("help"), conversation.help_resident, recalls_draft=True),
    # bookings: orders, delivery, appointments (a new request replaces one half taken)
    Route("order.mine", books(MyOrders), orders.my_orders, recalls_draft=True),
    Route("order.cancel", books(CancelMeal), orders.cancel_meal),
    Route("order.how", books(HowToOrder), orders.how_to_order, recalls_draft=True),
    Route("order", books(MealRequest), orders.order_meal),
    Route("delivery.signup", books(DeliverySignup), delivery.sign_up_delivery),
    Route("delivery.mine", books(MyDelivery), delivery.my_delivery, recalls_draft=True),
    Route("delivery.pause", books(DeliveryPause), delivery.pause_delivery, recalls_draft=True),
    Route("appointment.mine", books(MyAppointments), appointments.my_appointments,
          recalls_draft=True),
    Route("appointment.cancel", books(CancelAppointment), appointments.cancel_appointment),
    Route("appointment", books_counter, appointments.appoint),
    Route("appointment.canteen", books_elsewhere("canteen"), orders.how_to_order,
          recalls_draft=True),
    Route("appointment.elsewhere", books_elsewhere("other"), appointments.elsewhere,
          recalls_draft=True),
    # answers to what the bot asked
    Route("emergency.place", answers_place, safety.place_answer),
    Route("draft.lapsed", answers_lapsed_draft, reports.lapsed),
    Route("report.answer", answers_report_draft, reports.continue_report),
    Route("wish.answer", answers_wish_draft, wishes.continue_wish),
    Route("order.answer", answers_order, orders.continue_order),
    Route("delivery.signup.answer", answers_signup, delivery.continue_signup),
    Route("appointment.answer", answers_appointment, appointments.continue_appointment),
    Route("order.adjust", adjusts_order, orders.adjust_recent),
    Route("repair.answer", answers_repair, followups.repair_answer, recalls_draft=True),
    # 很满意 after a wish came true is its score, though it thanks too
    Route("rating", rates, followups.rate, recalls_draft=True),
    Route("wish.thanks", thanks_for_wish, followups.thank, recalls_draft=True),
    Route("choice", picks_choice, questions.choose, recalls_draft=True),
    Route("choice.detail", asks_a_detail, questions.detail, recalls_draft=True),
    Route("choice.sibling", asks_a_sibling, questions.sibling, recalls_draft=True),
    Route("choice.rejected", rejects_choice, questions.reject, recalls_draft=True),
    Route("leader.answer", answers_leader, followups.relay, recalls_draft=True),
    # after a report
    Route("report.detail", adds_to_report, followups.detail, recalls_draft=True),
    Route("phone", gives_phone, followups.phone, recalls_draft=True),
    # new things
    Route("report", is_intent(REPORT), reports.start_report),
    Route("wish", is_intent(WISH), wishes.start_wish),
    Route("home", says_home, account.home, recalls_draft=True),
    Route("question", always, questions.answer, recalls_draft=True),
)
