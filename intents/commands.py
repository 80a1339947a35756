"""The command grammar: what a message tells the bot to do, read from its surface text. Pure.

The surface text is the message in Simplified characters with ASCII digits and letters
(`TextNormaliser.surface`): 查詢 Ｒ０００１ arrives here as 查询 R0001. Notes keep their own
punctuation. What counts as asking for a person (转人工, 我要寻真人讲话) is in the lexicon and
read by the intent engine, not here.

Leaders and staff: 接单 / 查看 / 进度 / 完成 / 实现 / 无法实现 / 转交 / 回复 / 退回 / 合并 with a
ticket code, 我的工单, 超时, 感谢留言, 发送失败, 广播 …, 帮助.
Residents: 我的报修, 查询 R0001, 取消, 撤销 R0002 / 不用修了, 绑定账号 / 绑定 123456, 我住9号楼,
a number picking a choice, 帮助.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intents.normalise import char_pinyin, chinese_numeral_to_int

CODE = r"([RWCrwc])\s*-?\s*(\d{1,6})(?!\d)"     # after a command word: 接单 r1 is R0001
FULL_CODE = r"(?<![A-Za-z])([RWCrwc])(\d{3,6})(?!\d)"   # on its own: R0001
_CODE = re.compile(CODE)


def ticket_code(letter: str, digits: str) -> str:
    """"r", "12" -> "R0012": the code as tickets are named."""
    return f"{letter.upper()}{int(digits):04d}"


@dataclass(frozen=True)
class TicketCommand:
    """A leader's or staff member's action on one ticket."""

    verb: str            # claim, open, progress, done, cannot, transfer, reply, return, merge
    code: str            # "R0001"
    note: str = ""       # what follows the code (the target of 转交, the other code of 合并)


@dataclass(frozen=True)
class MissingCode:
    """A leader's command word without the ticket's code (接单, 完成)."""

    verb: str


@dataclass(frozen=True)
class ListCommand:
    """A request for a list or for help: mine, overdue, thanks, failed, help."""

    what: str


@dataclass(frozen=True)
class Broadcast:
    """Staff post a notice to the building groups."""

    text: str


@dataclass(frozen=True)
class Query:
    """How is my ticket doing?"""

    code: str


@dataclass(frozen=True)
class Cancel:
    """Stop what is being asked (a report or wish not yet filed, a choice)."""


@dataclass(frozen=True)
class Withdraw:
    """Take back a filed report or wish: 撤销 R0002, 不用修了 (the newest one)."""

    code: str | None
    reason: str


@dataclass(frozen=True)
class LinkRequest:
    """Give me a code to link another platform."""


@dataclass(frozen=True)
class Link:
    """Link this platform with the code given on another."""

    code: str


@dataclass(frozen=True)
class Home:
    """The sender says where they live (我住9号楼302); the place itself is read separately."""


@dataclass(frozen=True)
class Pick:
    """A bare number: the choice of that number."""

    number: int


Command = (TicketCommand | MissingCode | ListCommand | Broadcast | Query | Cancel | Withdraw
           | LinkRequest | Link | Home | Pick)

_VERBS = (
    ("open", "查看|详情|打开|看看|/open"),
    ("claim", "接单|认领|接单了|我接了|接了|我来接|我来|收到|/claim"),
    ("progress", "进度|进展|/progress"),
    ("cannot", "无法实现|实现不了|/cannot"),
    ("done", "完成|实现|已修好|修好了|修好|已完成|完成了|搞定了|弄好了|办结|/done"),
    ("transfer", "转交|转给|/transfer"),
    ("reply", "回复|答复|/reply"),
    ("return", "退回|/return"),
    ("merge", "合并|/merge"),
)
_VERB_OF = {word: verb for verb, words in _VERBS for word in words.split("|")}
# Verbs as they sound, for the typos of pinyin typing (接淡 / 解单 is 接单, 进渡 is 进度).
_VERB_BY_SOUND = {tuple(char_pinyin(c) for c in word): verb for word, verb in _VERB_OF.items()
                  if len(word) == 2 and not word.startswith("/")}
_LEAD = r"^\s*(?:好的|好|嗯|ok|OK|收到|麻烦|请|帮我)?[，,\s]*(?:我来|我)?\s*"
# 接单 R0001 …, 接单#R4, 完成：R0003 … (a word, then the code, then the note)
_TICKET_VERB = re.compile(_LEAD + r"(/?[a-z]+|[\u4e00-\u9fff]{1,4}?)\s*[:：#＃]?\s*" + CODE
                          + r"\s*[,，:：]?\s*(.*)$", re.S)
# R2接单, R0002修好了, r2我接了 (the code first)
_CODE_VERB = re.compile(r"^\s*" + CODE + r"\s*[,，:：]?\s*(?:我)?([\u4e00-\u9fff]{2,4}?)"
                        r"\s*(?:了)?\s*[,，:：]?\s*(.*)$", re.S)
# A command word with no code at all: 接单, 完成 (a leader who forgot the ticket's code).
# Only the words that are commands and nothing else (收到, 修好了 are also plain answers).
_VERB_ALONE = re.compile(_LEAD + r"(查看|接单|认领|进度|进展|完成|实现|无法实现|转交|回复|退回|"
                         r"合并)\s*[。.!！]?\s*$")


def _verb(word: str) -> str | None:
    """The command a leader's word means, typed or sounded out."""
    word = word.strip()
    if word in _VERB_OF:
        return _VERB_OF[word]
    return _VERB_BY_SOUND.get(tuple(char_pinyin(c) for c in word)) if len(word) == 2 else None
_LISTS = (
    ("mine", re.compile(r"我的工单|我的报修|我的心愿|我的微心愿|我报的|我报过的|^\s*(?:待办|工单|"
                        r"/queue|/mine|/tickets)\s*$")),
    ("overdue", re.compile(r"^\s*(?:超时|超时工单|超期|逾期|过期工单|/overdue)\s*$")),
    ("thanks", re.compile(r"^\s*(?:感谢留言|/thanks)\s*$")),
    ("failed", re.compile(r"^\s*(?:发送失败|未送达|/failed)\s*$")),
    ("help", re.compile(r"^\s*(?:帮助|怎么用|如何使用|使用说明|用法|命令|指令|help|/help|/start|"
                        r"\?|？)\s*(?:一下)?\s*[?？]?\s*$|^\s*我?该?怎么(?:接单|操作|用这个|用你)"
                        r"\s*[?？]?\s*$", re.I)),
)
_BROADCAST = re.compile(r"^\s*(?:广播|群通知|/broadcast)\s*[:：]?\s*(.+)$", re.S)
_BROADCAST_ALONE = re.compile(r"^\s*(?:广播|群通知|/broadcast)\s*[:：]?\s*$")
_WITHDRAW_CODE = re.compile(r"(?:撤销|撤消|撤回|取消|作废|删除|删掉|不要了?|不用了?)\s*[:：]?\s*"
                            r"(?:我报的|我的|那个|刚才的|刚才那个|报修|工单)?\s*" + CODE
                            + r"\s*[,，。.!！]?\s*(.*)$", re.S)
# R2不要了, R0002勿要修了 (the code first)
_CODE_WITHDRAWN = re.compile(FULL_CODE.replace(r"(\d{3,6})", r"(\d{1,6})") + r"\s*(?:的事|那个)?"
                             r"\s*(?:不要了|不用了|不要修了|不用修了|勿要修了|勿要了|不修了|撤销|撤消|"
                             r"取消|作废)(.*)$", re.S)
_WITHDRAW = re.compile(r"不用修了|不用来修了|不需要修了|不要修了|勿要修了|不用再修|别修了|不修了|"
                       r"不用来了|不要来了|勿要来了|不用麻烦了|自己修好了|自己好了|自家弄好了|"
                       r"自己弄好了|报错了|报错的|撤销|撤消|撤回|(?:的事|那个|刚才的)(?:不用了|不要了)|"
                       # 不要了，已经好了 / 不用了 我自己搞定了: it came right by itself (a thanks
                       # alone, 谢谢 我自己搞定了, withdraws nothing)
                       r"(?:不要了|不用了|勿要了)\W*我?(?:已经|自己|自家|又)?"
                       r"(?:好了|修好了|弄好了|搞定了?|解决了)|"
                       r"(?:已经|自己|又)?(?:好了|修好了|弄好了)\W*(?:不要了|不用了|不用修|不用来)")
_QUERY = re.compile(r"(?:(?:查询|查一下|查查|查|看看|看一下)\s*" + CODE + "|" + FULL_CODE + ")")
# A message made only of these (算了 不报了, 算了算了) stops what is being asked.
_CANCEL_WORDS = re.compile(r"取消报修|取消|先不报了|不报了|勿报了|算了吧|算了|不要了|勿要了|不用了|"
                           r"不许了|不弄了|不办了|cancel|/cancel|[\s，,。.!！~～吧啦]", re.I)
_LINK_REQUEST = re.compile(r"^\s*(?:绑定账号|关联账号|绑定|/link)\s*$")
_LINK = re.compile(r"^\s*(?:绑定|关联|/link)\s*(\d{6})\s*$")
_HOME = re.compile(r"(?:我住|我是(?!说|讲)|我家|住在|家住|我家在|我住在)\s*.{0,6}?"
                   r"(?:\d{1,3}|[一二三四五六七八九十]{1,3})\s*(?:号楼|栋|幢|号)")
_PICK = re.compile(r"^\s*(?:第)?\s*([\d一二三四五六七八九])\s*(?:个|项|号|条)?\s*[。.!！]?\s*$")


def read_command(text: str) -> Command | None:
    """The command a message gives, or None when it is not one."""
    found = _TICKET_VERB.match(text)
    if found and (verb := _verb(found.group(1))):
        return TicketCommand(verb, ticket_code(found.group(2), found.group(3)),
                             found.group(4).strip())
    found = _CODE_VERB.match(text)
    if found and (verb := _verb(found.group(3))) and verb in ("claim", "done", "open"):
        return TicketCommand(verb, ticket_code(found.group(1), found.group(2)),
                             found.group(4).strip())
    alone = _VERB_ALONE.match(text)
    if alone:
        return MissingCode(_VERB_OF[alone.group(1)])
    if _BROADCAST_ALONE.match(text):
        return MissingCode("broadcast")
    withdraw = _WITHDRAW_CODE.search(text) or _CODE_WITHDRAWN.search(text)
    if withdraw:   # before the lists: 撤销我报的R0002 is no request for the list
        return Withdraw(ticket_code(withdraw.group(1), withdraw.group(2)),
                        withdraw.group(3).strip(" ，,。.!！") or text.strip())
    for what, pattern in _LISTS:
        if pattern.search(text):
            return ListCommand(what)
    broadcast = _BROADCAST.match(text)
    if broadcast:
        return Broadcast(broadcast.group(1).strip())
    link = _LINK.match(text)
    if link:
        return Link(link.group(1))
    if _LINK_REQUEST.match(text):
        return LinkRequest()
    if text.strip() and not _CANCEL_WORDS.sub("", text) and re.search(r"[^\s，,。.!！~～吧啦]",
                                                                       text):
        return Cancel()
    if _WITHDRAW.search(text) and not re.search(FULL_CODE, text):
        return Withdraw(None, text.strip())
    query = _QUERY.search(text)
    if query:
        letter, digits = (query.group(1), query.group(2)) if query.group(1) else (
            query.group(3), query.group(4))
        return Query(ticket_code(letter, digits))
    if _HOME.search(text):
        return Home()
    pick = read_pick(text)
    return Pick(pick) if pick is not None else None


def read_pick(text: str) -> int | None:
    """"2", "第2个", "二" -> 2; None if the message is not a bare choice."""
    match = _PICK.match(text)
    if not match:
        return None
    value = match.group(1)
    return int(value) if value.isdigit() else chinese_numeral_to_int(value)


def merge_target(note: str) -> str | None:
    """The ticket another is merged into: "合并 R0002 R0001" has note "R0001"."""
    found = _CODE.search(note)
    return ticket_code(found.group(1), found.group(2)) if found else None


def codes_only(note: str) -> tuple[str, ...]:
    """More codes after the first ("接单 R0001 R0002"), when the note is nothing else."""
    found = tuple(ticket_code(m.group(1), m.group(2)) for m in _CODE.finditer(note))
    return found if found and not _CODE.sub("", note).strip(" ，,、和及") else ()
