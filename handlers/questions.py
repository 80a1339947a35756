"""Questions answered from the knowledge base: affairs items, station FAQs, the canteen,
greetings and the fallback; and the numbered choices they offer."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.conversation.state import Choice, PendingChoices
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import Reply
from bot.turn import DETAIL_PARTS, Outcome, Turn
from handlers import affairs, conversation, faq, menu
from handlers.context import DialogueSettings, HandlerContext, HandlerResult, numbered
from intents.details import mask_phones, tells_of_a_death
from intents.engine import AFFAIRS, FALLBACK, FAQ, GREETING, MENU, Candidate

# User-facing text of this feature, in one place.
PICK_OUT_OF_RANGE = "请回复 1 到 {count} 之间的数字，或者直接打字问。"
NOT_UNDERSTOOD_STAFF = "没看懂这条。说“帮助”可以看您能用的命令；办事问题可以直接问。"
ALSO_ASKED = "您还问了【{label}】：回复 {number} 看"
NOT_IT_NOTHING_ELSE = ("好的。请换个说法再问一次，说清楚是哪件事、要办新的、补办还是改信息；"
                       "也可以打驿站电话 {phone} 问工作人员。")
# A death in the family told with the question: a word of sympathy before the answer.
SYMPATHY = "请节哀。"


def _context(turn: Turn, knowledge: Knowledge, settings: DialogueSettings) -> HandlerContext:
    return HandlerContext(knowledge, turn.today, settings.max_reply_chars, now=turn.now)


def _offered(turn: Turn, result: HandlerResult, settings: DialogueSettings) -> Outcome:
    """The answer, with its numbered choices remembered for the next message."""
    pending = (PendingChoices(result.choices,
                              turn.now + dt.timedelta(minutes=settings.session_minutes))
               if result.choices else None)
    return Outcome(result.replies, turn.state.with_choices(pending))


async def answer(turn: Turn, uow: UnitOfWork, knowledge: Knowledge,
                 settings: DialogueSettings) -> Outcome:
    """Answer a question: directly, with a clarifying choice, or with the fallback."""
    c = turn.classification
    ctx = _context(turn, knowledge, settings)
    _note_unanswered(turn, uow)
    bereaved = tells_of_a_death(turn.surface)
    if c.clarify:
        result = await affairs.clarify(ctx, c.candidates, settings.clarify_choices)
    elif c.intent == AFFAIRS:
        result = _with_also(await affairs.answer_item(ctx, c.item or "", c.alternatives),
                            c.also)
    elif c.intent == FAQ:
        result = _with_also(await faq.answer_faq(ctx, c.item or ""), c.also)
    elif c.intent == MENU:
        result = await menu.answer_menu(ctx, c)
    elif c.intent == GREETING:
        result = await conversation.greet(ctx, c)
    elif turn.actor is not None:  # a leader's message that is no command: point to 帮助
        result = HandlerResult(Reply(NOT_UNDERSTOOD_STAFF))
    elif bereaved and c.topic is None and any(x.intent == AFFAIRS for x in c.candidates):
        # 老头子走了，伊退休工资卡里还有钞票: after a death, the nearest items to choose from
        # are kinder than 答不上来
        result = await affairs.clarify(ctx, c.candidates, settings.clarify_choices)
    else:
        result = await conversation.fall_back(ctx, c)
    if c.intent in (AFFAIRS, FAQ, FALLBACK) and bereaved:
        result = _with_sympathy(result)
    return _offered(turn, result, settings)


def _with_sympathy(result: HandlerResult) -> HandlerResult:
    """The answer after a word of sympathy (老伴上个月走了，伊养老金卡里还有钞票)."""
    return replace(result, reply=replace(result.reply, text=SYMPATHY + result.reply.text))


def _note_unanswered(turn: Turn, uow: UnitOfWork, rejected: bool = False) -> None:
    """Keep a resident's question the bot could not answer outright, for staff to review
    (工作台 › 没答上的问题): a fallback, a clarification, or an answer they rejected (then
    the question is their message before 不是这个)."""
    c = turn.classification
    if turn.actor is not None or turn.message.kind != "text":
        return
    if rejected:
        if turn.state.said:
            uow.unanswered.add("rejected", mask_phones(turn.state.said[-1].text.strip()),
                               turn.message.session_key, [], turn.now)
        return
    kind = "clarify" if c.clarify else "fallback" if (
        c.intent == FALLBACK and c.topic is None and c.normalised) else None
    if kind is not None:
        uow.unanswered.add(kind, mask_phones(turn.text.strip()), turn.message.session_key,
                           [candidate.item for candidate in c.candidates], turn.now)


def _with_also(result: HandlerResult, also: Candidate | None) -> HandlerResult:
    """The answer to a message's first question, offering its second as the next number
    ("您还问了【门诊大病登记】：回复 4 看")."""
    if also is None:
        return result
    choice = Choice("faq" if also.intent == FAQ else "item", also.item,
                    affairs.FOLLOW_SIBLING.format(label=also.label))
    return _offering(result, (choice,), ALSO_ASKED.format(label=also.label,
                                                          number=len(result.choices) + 1))


async def choose(turn: Turn, uow: UnitOfWork, knowledge: Knowledge,
                 settings: DialogueSettings) -> Outcome:
    """A number picking one of the choices offered."""
    number = turn.picks if turn.picks is not None else turn.choice_named
    assert turn.state.choices is not None and number is not None
    choices = turn.state.choices.choices
    if not 1 <= number <= len(choices):
        return Outcome([Reply(PICK_OUT_OF_RANGE.format(count=len(choices)))], turn.state)
    chosen = choices[number - 1]
    if chosen.action in ("item", "faq") and turn.actor is None:
        await uow.unanswered.picked(turn.message.session_key, chosen.ref, turn.now)
    return await _answer_choice(turn, knowledge, settings, chosen, choices)


async def _answer_choice(turn: Turn, knowledge: Knowledge, settings: DialogueSettings,
                         chosen: Choice, choices: tuple[Choice, ...]) -> Outcome:
    """The answer a choice leads to; a detail of an item keeps what else was offered."""
    result = await _chosen(_context(turn, knowledge, settings), chosen)
    follow_ups = len(result.choices)
    if chosen.action in DETAIL_PARTS and choices[:follow_ups] == result.choices:
        # A detail of the item answered: what else was offered keeps its number (4 看…).
        result = _keep_offers(result, choices[follow_ups:])
    return _offered(turn, result, settings)


async def sibling(turn: Turn, uow: UnitOfWork, knowledge: Knowledge,
                  settings: DialogueSettings) -> Outcome:
    """An action said alone after an answer (补办 after 社会保障卡挂失): that card's item."""
    assert turn.sibling_asked is not None
    await uow.unanswered.picked(turn.message.session_key, turn.sibling_asked, turn.now)
    return await _answer_choice(turn, knowledge, settings,
                                Choice("item", turn.sibling_asked, ""), ())


async def detail(turn: Turn, uow: UnitOfWork, knowledge: Knowledge,
                 settings: DialogueSettings) -> Outcome:
    """A detail of the item just answered, asked for in words (要带什么, 在哪里办, 要多久)."""
    assert turn.detail_named is not None and turn.state.choices is not None
    part, item = turn.detail_named
    return await _answer_choice(turn, knowledge, settings, Choice(part, item, ""),
                                turn.state.choices.choices)


async def reject(turn: Turn, uow: UnitOfWork, knowledge: Knowledge,
                 settings: DialogueSettings) -> Outcome:
    """"不是这个" after an answer: the other item it offered, or the others as a numbered
    question; when it offered none, or when what was open was a "which one" question (none of
    its items), a plea to say it in other words (and the station's phone)."""
    assert turn.state.choices is not None
    offered = [c for c in turn.state.choices.choices if c.action in ("item", "faq")]
    ctx = _context(turn, knowledge, settings)
    # After "which one did you mean" (nothing but items offered), none of them was it.
    if not offered or len(offered) == len(turn.state.choices.choices):
        _note_unanswered(turn, uow, rejected=True)
        text = NOT_IT_NOTHING_ELSE.format(phone=knowledge.station.phone)
        return Outcome([Reply(text)], turn.state.with_choices(None))
    if len(offered) == 1:     # only one other thing was offered: that is the answer
        result = await _chosen(ctx, offered[0])
        return _offered(turn, result, settings)
    candidates = tuple(Candidate(c.ref, 0.0, FAQ if c.action == "faq" else AFFAIRS,
                                 _name_of(knowledge, c)) for c in offered)
    result = await affairs.clarify(ctx, candidates, len(candidates))
    return _offered(turn, result, settings)


def _name_of(knowledge: Knowledge, choice: Choice) -> str:
    """What a choice is called in a list of choices (the item's name, not "看…")."""
    if choice.action == "item":
        item = knowledge.item(choice.ref)
        if item is not None:
            return item.name
    return choice.label.removeprefix("看")


def _keep_offers(result: HandlerResult, offers: tuple[Choice, ...]) -> HandlerResult:
    """The answer with the choices offered before it still offered, numbered as before."""
    if not offers:
        return result
    return _offering(result, offers, numbered(offers, len(result.choices) + 1))


def _offering(result: HandlerResult, offers: tuple[Choice, ...], line: str) -> HandlerResult:
    """The answer with more choices after its own, told in one line of its last message."""
    last = result.replies[-1]
    extended = replace(last, text=last.text + "\n" + line,
                       choices=(*last.choices, *(c.label for c in offers)))
    if result.more:
        return replace(result, choices=(*result.choices, *offers),
                       more=(*result.more[:-1], extended))
    return replace(result, reply=extended, choices=(*result.choices, *offers))


async def _chosen(ctx: HandlerContext, choice: Choice) -> HandlerResult:
    if choice.action == "item":
        return await affairs.answer_item(ctx, choice.ref)
    if choice.action == "faq":
        return await faq.answer_faq(ctx, choice.ref)
    if choice.action == "menu":
        date, meal, point = menu.follow_up_choice(choice.ref)
        return await menu.menu_for(ctx, date, meal, point)
    return await affairs.item_detail(ctx, choice.ref, choice.action)
