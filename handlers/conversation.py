"""Greeting, asking for a person, reports and wishes before ticketing, and the fallback."""

from __future__ import annotations

from bot.messages import Reply
from handlers.context import HandlerContext, HandlerResult, fill, fit
from intents.engine import NUMBER, PROMPT, THANKS, Classification

# User-facing text of this feature, in one place.
GREETING = ("您好，我是{station}的小助手。可以直接问我：\n"
            "1. 办事要带什么、去哪办，比如“敬老卡怎么办”\n"
            "2. 食堂菜单，比如“明天中午吃什么”\n"
            "3. 驿站几点开门、在哪里\n"
            "4. 报修和微心愿，比如“9号楼楼道灯坏了”\n"
            "找工作人员请打 {duty_phone}。")
THANKS_REPLY = "不客气。还有想问的，直接打字发给我就行。"
PROMPT_REPLY = "请问您想问什么？直接打字发给我就行，比如“敬老卡怎么办”“明天中午吃什么”。"
HANDOFF = "好的，请打值班电话 {duty_phone} 找工作人员，或到驿站{duty_window}。"
FALLBACK = ("这个问题我还答不上来。我能回答：驿站188个办事事项（要带什么、去哪办）、食堂菜单、"
            "驿站开放时间和地址，也能登记报修和微心愿。您可以换个说法再问，或打 {duty_phone} "
            "找工作人员。")
EMPTY = "您好像没有打字。想问什么，直接打字发给我就行，比如“敬老卡怎么办”。"
SYMBOLS_ONLY = "我看不懂表情和符号。想问什么，请打字发给我，比如“敬老卡怎么办”。"
TOO_LONG = "消息有点长，我没看明白。请用一句话说想办什么事，比如“居住证怎么续签”。"
NO_PENDING_CHOICE = "现在没有要选的编号。想问什么，直接打字发给我就行，比如“敬老卡怎么办”。"
NOT_CHINESE = "请用中文提问，比如“敬老卡怎么办”。Please ask in Chinese, or call {duty_phone}."
REPORT = ("收到，这是“{category}”问题。请打驿站值班电话 {duty_phone} 报修，或直接找您的楼栋长，"
          "说清楼号、位置和情况。")
REPORT_UNKNOWN = ("要报修或反映问题，请打驿站值班电话 {duty_phone}，或直接找您的楼栋长，"
                  "说清楼号、位置和情况。")
REPORT_EMERGENCY = "紧急！{safety}\n处理完安全问题后，请再打驿站值班电话 {duty_phone} 说明情况。"
WISH = ("您的微心愿我们很重视。请到{station}{duty_window}登记，或打 {duty_phone}，"
        "说说您的心愿和住在几号楼，志愿者会和您联系。")


async def greet(ctx: HandlerContext, c: Classification) -> HandlerResult:
    """Welcome and what the bot can do; a short reply to thanks, "好的" or a bare "请问"."""
    if c.topic == THANKS:
        return HandlerResult(Reply(THANKS_REPLY))
    if c.topic == PROMPT:
        return HandlerResult(Reply(PROMPT_REPLY))
    return HandlerResult(Reply(fill(GREETING, ctx.knowledge.station.placeholders())))


async def hand_off(ctx: HandlerContext, c: Classification) -> HandlerResult:
    """How to reach a person."""
    return HandlerResult(Reply(fit(fill(HANDOFF, ctx.knowledge.station.placeholders()),
                                   ctx.max_chars)))


async def fall_back(ctx: HandlerContext, c: Classification) -> HandlerResult:
    """Out of scope or unreadable: say so plainly and say what works."""
    values = ctx.knowledge.station.placeholders()
    text = c.text
    if not c.normalised.strip():
        return HandlerResult(Reply(SYMBOLS_ONLY if text.strip() else EMPTY))
    if c.topic == NUMBER:
        return HandlerResult(Reply(NO_PENDING_CHOICE))
    if c.truncated:
        return HandlerResult(Reply(TOO_LONG))
    if not any("\u3400" <= ch <= "\u9fff" for ch in c.normalised):
        return HandlerResult(Reply(fill(NOT_CHINESE, values)))
    return HandlerResult(Reply(fill(FALLBACK, values)))


async def take_report(ctx: HandlerContext, c: Classification) -> HandlerResult:
    """An issue report: safety first for emergencies, then who to tell."""
    values = ctx.knowledge.station.placeholders()
    category = ctx.knowledge.report_category(c.category) if c.category else None
    if category is None:
        return HandlerResult(Reply(fill(REPORT_UNKNOWN, values)))
    if category.urgency == "emergency" and category.safety:
        return HandlerResult(Reply(fill(REPORT_EMERGENCY, {**values, "safety": category.safety})))
    text = fill(REPORT, {**values, "category": category.name})
    if category.safety:
        text = category.safety + "\n" + text
    return HandlerResult(Reply(fit(text, ctx.max_chars)))


async def take_wish(ctx: HandlerContext, c: Classification) -> HandlerResult:
    """A 微心愿: where to register it."""
    return HandlerResult(Reply(fill(WISH, ctx.knowledge.station.placeholders())))
