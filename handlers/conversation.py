"""Greeting, help, the fallback, and messages that are not for the bot or not text."""

from __future__ import annotations

from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import Reply
from bot.turn import Outcome, Turn
from handlers.context import HandlerContext, HandlerResult, fill
from intents.answers import says_goodbye
from intents.engine import NUMBER, PROMPT, THANKS, Classification

# User-facing text of this feature, in one place.
# A list without numbers: a number is answered only where the bot offers choices.
GREETING = ("您好，我是{station}的小助手。可以直接问我：\n"
            "· 办事要带什么、去哪办，比如“敬老卡怎么办”\n"
            "· 食堂菜单，比如“明天中午吃什么”\n"
            "· 驿站几点开门、在哪里\n"
            "· 报修和微心愿，比如“9号楼楼道灯坏了”\n"
            "找工作人员说“转人工”，或打 {duty_phone}。")
THANKS_REPLY = "不客气。还有想问的，直接打字发给我就行。"
GOODBYE_REPLY = "好的，再见！有事随时发消息给我。"
PROMPT_REPLY = "请问您想问什么？直接打字发给我就行，比如“敬老卡怎么办”“明天中午吃什么”。"
FALLBACK = ("这个问题我还答不上来。我能回答：驿站188个办事事项（要带什么、去哪办）、食堂菜单、"
            "驿站开放时间和地址，也能登记报修和微心愿。您可以换个说法再问，或打 {duty_phone} "
            "找工作人员。")
EMPTY = "您好像没有打字。想问什么，直接打字发给我就行，比如“敬老卡怎么办”。"
SYMBOLS_ONLY = "我看不懂表情和符号。想问什么，请打字发给我，比如“敬老卡怎么办”。"
TOO_LONG = "消息有点长，我没看明白。请用一句话说想办什么事，比如“居住证怎么续签”。"
NO_PENDING_CHOICE = "现在没有要选的编号。想问什么，直接打字发给我就行，比如“敬老卡怎么办”。"
NOT_CHINESE = "请用中文提问，比如“敬老卡怎么办”。Please ask in Chinese, or call {duty_phone}."
HELP = ("我可以帮您：\n"
        "· 办事：直接问，比如“敬老卡怎么办”“居住证要带什么”\n"
        "· 食堂：比如“明天中午吃什么”；订饭说“明天中午订两份A套餐”，查看说“我的订餐”\n"
        "· 预约办事：比如“我想预约办敬老卡”，查看说“我的预约”\n"
        "· 报修：直接说，比如“9号楼3楼楼道灯坏了”，有照片也可以发\n"
        "· 微心愿：比如“我有个微心愿，想学用智能手机”\n"
        "· 查报修：说“我的报修”或“查询 R0001”；不用修了说“撤销 R0001”\n"
        "· 找工作人员：说“转人工”，或打 {duty_phone}")
NOT_TEXT = "我现在只看得懂文字。请打字告诉我您想问什么。"


async def greet(ctx: HandlerContext, c: Classification) -> HandlerResult:
    """Welcome and what the bot can do; a short reply to thanks, "好的" or a bare "请问"."""
    if c.topic == THANKS:
        return HandlerResult(Reply(GOODBYE_REPLY if says_goodbye(c.text) else THANKS_REPLY))
    if c.topic == PROMPT:
        return HandlerResult(Reply(PROMPT_REPLY))
    return HandlerResult(Reply(fill(GREETING, ctx.knowledge.station.placeholders())))


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


async def ignore(turn: Turn, uow: UnitOfWork) -> Outcome:
    """Group talk not meant for the bot, and platform events it has nothing to say to."""
    return Outcome([], turn.state)


async def welcome(turn: Turn, uow: UnitOfWork, knowledge: Knowledge) -> Outcome:
    """A new follower of the 服务号 is greeted."""
    return turn.reply(fill(GREETING, knowledge.station.placeholders()))


async def help_resident(turn: Turn, uow: UnitOfWork, knowledge: Knowledge) -> Outcome:
    """帮助 / 怎么用: what a resident can say."""
    return turn.reply(fill(HELP, knowledge.station.placeholders()))


async def not_text(turn: Turn, uow: UnitOfWork) -> Outcome:
    """Voice without recognition, a sticker, a file: ask to type."""
    return turn.reply(NOT_TEXT)
