"""Answers about the station itself (opening hours, address, 养老顾问...)."""

from __future__ import annotations

from bot.messages import Reply
from handlers.context import HandlerContext, HandlerResult, fill, fit

NOT_FOUND = "这个问题请打 {phone} 问一下工作人员。"


async def answer_faq(ctx: HandlerContext, faq_id: str) -> HandlerResult:
    """The FAQ answer, with the station's facts filled in from station.toml."""
    values = ctx.knowledge.station.placeholders()
    entry = ctx.knowledge.faq_entry(faq_id)
    if entry is None:
        return HandlerResult(Reply(fill(NOT_FOUND, values)))
    return HandlerResult(Reply(fit(fill(entry.answer, values), ctx.max_chars)))
