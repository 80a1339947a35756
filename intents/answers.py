"""Answers to the bot's own yes/no questions, in residents' words. Pure.

"已修好了吗？" is answered 1 / 好了 / 修好了，谢谢 / 可以了 / 亮了 (yes) or 2 / 没修好 / 还是坏的 /
还在滴，比昨天少一点 / 没人来过 (no). Read the normalised text (Simplified, digits, no
punctuation): 還沒修好 is 还没修好 by then.
"""

from __future__ import annotations

import re

# "No" is read first: 没修好 contains 修好, 还是不亮 contains 亮.
_FIXED_NOW = re.compile(r"不(?:漏|滴|堵|响|臭|渗|冒|晃|坏)了")
_NO = re.compile(
    r"^\s*(?:2|二|两|第2个?)\s*$|没修好|没有修好|未修好|没好|没有好|还没|没弄好|没搞好|没解决|没有解决|"
    r"没处理|没有处理|还是|还在|仍然|仍旧|依然|依旧|照旧|老样子|一样的|又坏|又不|又漏|又堵|不行|"
    r"没用|没有用|不好|不对|不满意|有问题|问题还|没人来|没有人来|没来|没看到人|根本没|"
    r"不亮|不通|不能用|用不了|打不开|关不上|坏的|坏了|漏|堵|^\s*没有\s*$|^\s*没\s*$|^\s*不是\s*$")
_YES = re.compile(
    r"^\s*(?:1|一|第1个?)\s*$|好了|修好|弄好|搞好|可以了|行了|没问题|解决了|处理好|亮了|通了|"
    r"正常了|能用了|满意|确认|^\s*(?:是|是的|对|对的|嗯|嗯嗯|好|好的|可以|行|ok|谢谢|多谢|感谢|"
    r"谢谢你们|辛苦了|辛苦你们了)\s*$")
_ANONYMOUS_NO = re.compile(r"不用匿名|不要匿名|不匿名|实名|不用|不要|^\s*2\s*$|^\s*否\s*$")
_ANONYMOUS_YES = re.compile(r"匿名|^\s*1\s*$|^\s*(?:要|是|好|好的|可以|对)\s*$")


def yes_or_no(text: str) -> bool | None:
    """True for yes (fixed), False for no (not fixed), None when the message is neither."""
    if _FIXED_NOW.search(text) and not re.search(r"还|又|没", text):
        return True
    if _NO.search(text):
        return False
    if _YES.search(text):
        return True
    return None


def wants_anonymity(text: str) -> bool | None:
    """The answer to "要不要匿名？": True, False, or None when it is no answer."""
    if _ANONYMOUS_NO.search(text):
        return False
    if _ANONYMOUS_YES.search(text):
        return True
    return None
