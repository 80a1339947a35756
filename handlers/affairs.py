"""Answers about the station's community-affairs items."""

from __future__ import annotations

from bot.conversation.state import Choice
from bot.kb.model import AffairsItem, Knowledge
from bot.messages import Reply
from handlers.context import HandlerContext, HandlerResult, fit, numbered
from intents.engine import Candidate

# User-facing text of this feature, in one place.
HANDLING = {
    "当场办结": "当场办结：材料齐全，当场就能办好{detail}。",
    "当场受理": "窗口当场收材料，{when}。",
    "收受分离": "驿站收材料，交给主管部门办理，{when}。",
    "仅咨询": "驿站只能咨询，不能办理：要到{department}办，办多久以{department}为准。",
}
WITHIN = "{time_limit}内办好"          # "20个工作日" -> "20个工作日内办好"
WHERE = "在哪办：{station}{floor}{window}。{hours}"
WHERE_TO_ASK = "在哪咨询：{station}{floor}{window}。{hours}"
BRING = "要带：{materials}"
BRING_SEPARATELY = "要带的材料{count}样，下一条发给您。"
HOTLINE = "咨询电话：{hotline}"
UNCONFIRMED = "\n（{hint}：{phone}）"
FOLLOW_MATERIALS = "看所需材料"
FOLLOW_STEPS = "看办理流程"
FOLLOW_ELIGIBLE = "看谁能办"
NOT_THIS = "不是这个？"
FOLLOW_SIBLING = "看{label}"
MATERIALS_TITLE = "【{name}】所需材料："
STEPS_TITLE = "【{name}】办理流程："
ELIGIBLE_TITLE = "【{name}】谁能办：{eligible}\n费用：{fee}"
# A line of the answer asked for again (在哪里办, 要多久, 要钱吗).
WHERE_TITLE = "【{name}】{where}\n" + HOTLINE
TIME_TITLE = "【{name}】{handling}"
FEE_TITLE = "【{name}】费用：{fee}"
CLARIFY = "您想问的是哪一项？\n{choices}\n回复数字就行。\n都不是？换个说法，或打驿站电话 {phone}"
NOT_FOUND = "这个事项资料暂时没有，请打 {phone} 问一下。"


def _where(knowledge: Knowledge, item: AffairsItem) -> str:
    station = knowledge.station
    if item.window:
        floor, window = "", item.window
    else:
        found = station.window_for(item.category)
        floor, window = (found.floor, found.name) if found else ("", station.duty_window)
    clauses = station.hours.split("，")
    hours = clauses[0]
    if item.on_the_spot:  # a Saturday that only does on-the-spot items is worth saying
        hours += "".join("，" + c for c in clauses[1:] if "当场办结" in c)
    template = WHERE_TO_ASK if item.handling == "仅咨询" else WHERE
    return template.format(station=station.name, floor=floor, window=window, hours=hours)


def handling_text(item: AffairsItem) -> str:
    """How the item is handled, in plain words ("窗口当场收材料，20个工作日内办好。")."""
    limit = item.time_limit
    when = WITHIN.format(time_limit=limit) if limit.endswith("工作日") else limit
    detail = limit.removeprefix("当场").strip("（）()")
    template = HANDLING.get(item.handling, "{when}。")
    return template.format(when=when, department=item.department,
                           detail=f"，{detail}" if detail else "")


def item_follow_ups(item: AffairsItem) -> tuple[Choice, ...]:
    """The follow-up choices offered after an item's summary and after each detail, always
    numbered the same (3 is always 看谁能办)."""
    return (Choice("materials", item.id, FOLLOW_MATERIALS),
            Choice("steps", item.id, FOLLOW_STEPS),
            Choice("eligible", item.id, FOLLOW_ELIGIBLE))


def _unconfirmed(knowledge: Knowledge, item: AffairsItem) -> str:
    if not item.needs_confirmation:
        return ""
    return UNCONFIRMED.format(hint=knowledge.station.confirm_hint, phone=knowledge.station.phone)


def _offered_instead(alternatives: tuple[Candidate, ...], first: int) -> tuple[
        tuple[Choice, ...], str]:
    """The close siblings offered after the answer: "不是这个？回复 4 看敬老卡挂失补领"."""
    choices = tuple(Choice("faq" if c.intent == "faq.ask" else "item", c.item,
                           FOLLOW_SIBLING.format(label=c.label)) for c in alternatives)
    if not choices:
        return (), ""
    return choices, NOT_THIS + numbered(choices, first)


async def answer_item(ctx: HandlerContext, item_id: str,
                      alternatives: tuple[Candidate, ...] = ()) -> HandlerResult:
    """Summary of an item: handling, where and when, everything to bring (a missing document
    wastes a trip: the list is never cut; when it does not fit, it follows in a second
    message), the hotline, and the follow-ups; then the close siblings the question may have
    meant instead, numbered after the follow-ups."""
    knowledge = ctx.knowledge
    item = knowledge.item(item_id)
    if item is None:
        return HandlerResult(Reply(NOT_FOUND.format(phone=knowledge.station.phone)))
    head = [f"【{item.name}】{handling_text(item)}", _where(knowledge, item)]
    hotline = HOTLINE.format(hotline=item.hotline)
    follow_ups = item_follow_ups(item)
    instead, instead_line = _offered_instead(alternatives, len(follow_ups) + 1)
    tail = _unconfirmed(knowledge, item)
    follow = numbered(follow_ups) + ("\n" + instead_line if instead_line else "")
    follow_ups += instead
    labels = tuple(c.label for c in follow_ups)
    whole = "\n".join([*head, BRING.format(materials="、".join(item.materials)), hotline])
    if len(whole) + len(tail) + len(follow) + 1 <= ctx.max_chars:
        return HandlerResult(Reply(whole + tail + "\n" + follow, labels), follow_ups)
    summary = "\n".join([*head, BRING_SEPARATELY.format(count=len(item.materials)), hotline])
    materials = _materials(item)
    return HandlerResult(Reply(fit(summary, ctx.max_chars)), follow_ups,
                         more=(Reply(materials + tail + "\n" + follow, labels),))


def _materials(item: AffairsItem) -> str:
    return MATERIALS_TITLE.format(name=item.name) + "\n" + "\n".join(
        f"{n}. {m}" for n, m in enumerate(item.materials, start=1))


async def item_detail(ctx: HandlerContext, item_id: str, part: str) -> HandlerResult:
    """Materials, steps or eligibility of an item, in full; or one line of its answer asked
    again: where, how long, the fee."""
    knowledge = ctx.knowledge
    item = knowledge.item(item_id)
    if item is None:
        return HandlerResult(Reply(NOT_FOUND.format(phone=knowledge.station.phone)))
    if part == "materials":
        text = _materials(item)
    elif part == "steps":
        text = STEPS_TITLE.format(name=item.name) + "\n" + "\n".join(
            f"{n}. {s}" for n, s in enumerate(item.steps, start=1))
    elif part == "where":
        text = WHERE_TITLE.format(name=item.name, where=_where(knowledge, item),
                                  hotline=item.hotline)
    elif part == "time":
        text = TIME_TITLE.format(name=item.name, handling=handling_text(item))
    elif part == "fee":
        text = FEE_TITLE.format(name=item.name, fee=item.fee)
    else:
        text = ELIGIBLE_TITLE.format(name=item.name, eligible=item.eligible, fee=item.fee)
    follow_ups = item_follow_ups(item)
    tail = _unconfirmed(knowledge, item)
    follow = numbered(follow_ups)
    if part == "materials" or len(text) + len(tail) + len(follow) + 1 <= ctx.max_chars:
        text = text + tail + "\n" + follow         # every document, however long the list
    else:
        text = fit(text, ctx.max_chars - len(tail) - len(follow) - 2) + tail + "\n" + follow
    return HandlerResult(Reply(text, tuple(c.label for c in follow_ups)), follow_ups)


async def clarify(ctx: HandlerContext, candidates: tuple[Candidate, ...],
                  limit: int = 3) -> HandlerResult:
    """Numbered choices between close candidates ("您想问的是：1 … 2 …")."""
    choices = tuple(Choice("faq" if c.intent == "faq.ask" else "item", c.item, c.label)
                    for c in candidates[:limit])
    lines = "\n".join(f"{n}. {c.label}" for n, c in enumerate(choices, start=1))
    text = CLARIFY.format(choices=lines, phone=ctx.knowledge.station.phone)
    return HandlerResult(Reply(text, tuple(c.label for c in choices)), choices)
