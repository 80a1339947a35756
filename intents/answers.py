"""Answers to the bot's own yes/no questions, in residents' words. Pure.

"已修好了吗？" is answered 1 / 好了 / 修好了，谢谢 / 可以了 / 亮了 (yes) or 2 / 没修好 / 还是坏的 /
还在滴，比昨天少一点 / 没人来过 (no). Read the normalised text (Simplified, digits, no
punctuation): 還沒修好 is 还没修好 by then.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# "No" is read first: 没修好 contains 修好, 还是不亮 contains 亮.
_FIXED_NOW = re.compile(r"不(?:漏|滴|堵|响|臭|渗|冒|晃|坏)了")
_NO = re.compile(
    r"^\s*(?:2|二|两|第2个?)\s*$|没修好|没有修好|未修好|没好|没有好|还没|没弄好|没搞好|没解决|没有解决|"
    r"没处理|没有处理|还是|还在|仍然|仍旧|依然|依旧|照旧|老样子|一样的|又坏|又不|又漏|又堵|不行|"
    r"没用|没有用|不好|不对|不满意|有问题|问题还|没人来|没有人来|没来|没看到人|根本没|没变|"
    r"不灵|一点没|还那样|"
    r"不亮|不通|不能用|用不了|打不开|关不上|坏的|坏了|漏|堵|^\s*没有\s*$|^\s*没\s*$|^\s*不是\s*$")
_YES = re.compile(
    r"^\s*(?:1|一|第1个?)\s*$|好了|修好|弄好|搞好|可以了|行了|没问题|解决了|处理好|亮了|通了|"
    r"正常了|能用了|满意|确认|好咗")
# A reply made only of words that say yes (是的, 对的对的, 没错, 好额, 谢谢侬), particles aside.
_YES_WORD = re.compile(r"是|对|嗯|好|行|可以|要|没错|就是|对头|ok|谢谢|多谢|感谢|辛苦")
_YES_PARTICLES = re.compile(r"你们|侬|你|的|额|呀|啊|了|哦|咯|嘞|吧|呢|哈|滴")
_ANONYMOUS_YES = re.compile(
    r"(?<!不)匿名|隐名|(?:不要|别|勿要|不用|不想|不愿意)(?:写|留|告诉|让|给|透露|公开)"
    r".{0,6}(?:名字|姓名|是我|知道|晓得)|保密|^\s*(?:1|要|要的|是|好|好的|可以|对|对的)\s*$|"
    r"(?:名字|姓名)(?:就|也|还是)?(?:不要|别|勿要|不用|不想|不)(?:写|留|告诉|透露|公开|给)|"
    r"不写(?:我的?)?(?:名字|姓名)")   # 名字就不要写了: the name first
_NOT_ANONYMOUS = re.compile(r"(?:不用|不要|无需|不必|不)匿名|实名")
_ANONYMOUS_NO = re.compile(r"不用匿名|不要匿名|不匿名|实名|无所谓|没关系|不用了?|不要了?|写吧|"
                           r"可以写|^\s*2\s*$|^\s*否\s*$|"
                           r"(?:写|留|写上|留下)(?:我的?)?(?:名字|姓名)|(?:名字|姓名)(?:写上|留着|写好)")


def yes_or_no(text: str) -> bool | None:
    """True for yes (fixed), False for no (not fixed), None when the message is neither."""
    if _FIXED_NOW.search(text) and not re.search(r"还|又|没", text):
        return True
    if _NO.search(text):
        return False
    if text.strip() in ("你好", "您好"):
        return None
    if _YES.search(text) or (_YES_WORD.search(text) and not _YES_PARTICLES.sub(
            "", _YES_WORD.sub("", text)).strip()):
        return True
    return None


def wants_anonymity(text: str) -> bool | None:
    """The answer to "要不要匿名？": True, False, or None when it is no answer. 不要写我名字
    asks for anonymity although it starts with 不要."""
    if _NOT_ANONYMOUS.search(text):
        return False
    if _ANONYMOUS_YES.search(text):
        return True
    if _ANONYMOUS_NO.search(text):
        return False
    return None


def _bare(text: str) -> str:
    """A short answer without the spaces and punctuation around it."""
    return text.strip(" ，。！!？?~")


# "几号楼？" answered without a number: 不知道 / 忘记了 / 记不清是几号, or the building pointed
# at (就是大门口那幢, 对面那栋楼): the number is still wanted, asked for another way.
_NUMBER_UNKNOWN = re.compile(
    r"^(?:我|阿拉|伲)?(?:也|真|实在|倒)?(?:不知道|不晓得|勿晓得|弗晓得|伐晓得|不清楚|搞不清|弄不清|"
    r"说不上来|讲不出|忘记|忘了|忘掉|记不得|记不清|不记得|想不起来?)"
    r"(?:了|哦|啊|呀|额|嘞)?(?:是|住)?(?:几号楼?|几幢|几栋|楼号|门牌号?|号码|哪幢|哪栋)?"
    r"[啊呀的吧哦嘛呢了额诶耶]*$")
_POINTED_BUILDING = re.compile(r"(?:那|这|哪|伊|搿)(?:一)?(?:幢|栋|座|排)(?:楼|房子)?")


def number_unknown(text: str) -> bool:
    """Whether an answer to "几号楼？" says the number is not known, or points at the building
    without it (就是大门口那幢)."""
    bare = _bare(text)
    return _NUMBER_UNKNOWN.match(bare) is not None or (
        len(bare) <= 12 and _POINTED_BUILDING.search(bare) is not None
        and not re.search(r"\d", bare))


# After a report: a short question about its progress and nothing else (进度怎么样了, 修了吗,
# 有人来了吗, 啥时候来修), which might otherwise read like an item's 进度查询.
_PROGRESS_ONLY = re.compile(
    r"^(?:我|我们)?(?:报的|报修的|的)?(?:那个|刚才那个|刚才的)?(?:修|维修|报修|事情|灯|水管)?(?:的)?"
    r"(?:进度|进展|情况)?(?:现在)?(?:怎么样|如何|有消息|修了|修好了?|弄好了?|好了|来了|有人来了?|"
    r"什么时候来修?|什么时候修|啥时候来修?|几时来修?)"
    r"[吗呢啊呀了没有]*$")
# ... and asked as a question (好了 alone answers one)
_ASKING = re.compile(r"[吗没呢]|怎么样|如何|什么时候|啥时候|几时|进度|进展|情况|有消息")


def asks_progress(text: str) -> bool:
    """Whether the message only asks how something is getting on (进度怎么样了, 修了吗, a bare
    怎么样了): after a report, how the report is."""
    bare = _bare(text)
    return _PROGRESS_ONLY.match(bare) is not None and _ASKING.search(bare) is not None


# Words asking about a report's progress anywhere in a message (还没人来, 什么时候来修).
_PROGRESS_WORDS = re.compile(r"什么时候|啥时候|几时|多久|来看过|有人来|怎么还没|还没来|还没人|进度|"
                             r"修好没|好了没|弄好没|怎么样了|到底")


def mentions_progress(text: str) -> bool:
    """Whether a message about a report asks how it is getting on, among other words."""
    return _PROGRESS_WORDS.search(text) is not None or asks_progress(text)



# A detail of the answer just given, asked for in words instead of its number (要带什么 for
# "回复 1 看所需材料", 流程呢, 谁能办), or a line of it asked again (在哪里办, 要多久, 要钱吗).
_DETAIL_ASKED = (
    ("materials", re.compile(r"带什么|带啥|带些什么|带点什么|带点啥|材料|证件|资料|准备什么|"
                             r"准备啥|拿什么|拿啥")),
    ("steps", re.compile(r"流程|步骤|手续|怎么办理|怎么弄|怎么办|怎么操作|程序")),
    ("eligible", re.compile(r"谁能办|谁可以办|谁能申请|谁可以申请|条件|资格|符合|够不够")),
    ("where", re.compile(r"在哪里|去哪里|到哪里|在哪|去哪|到哪|哪里办|地址|几号窗口|哪个窗口|"
                         r"在几楼|几楼")),
    ("time", re.compile(r"多久|几天|多长时间|多少时间|多少天|什么时候|啥时候|几时|多少时候")),
    ("fee", re.compile(r"要钱|收钱|收费|多少钱|费用|免费|铜钿|钞票")))
# ... nothing else said beside it
_AROUND_DETAIL = re.compile(r"[要呢的啊呀吗哦那还我们需请问一下些都是有什么啥东西看办理去能好拿到"
                            r"可以领伐不]")
_WORDS_LONGEST = 10
# An action as residents say it, as the catalogue names it.
_ACTION_SAID = {"补办": "补领", "重办": "补领", "新办": "申领", "办新的": "申领", "换新的": "换领"}


def detail_asked(text: str) -> str | None:
    """The detail a short message asks for about the answer just given (materials, steps,
    eligible, where, time, fee), when it asks for nothing else."""
    bare = re.sub(r"\s", "", text)
    if not bare or len(bare) > _WORDS_LONGEST:
        return None
    return next((part for part, words in _DETAIL_ASKED
                 if words.search(bare) and not _AROUND_DETAIL.sub("", words.sub("", bare))),
                None)


def choice_named(text: str, labels: Sequence[str | None]) -> int | None:
    """The number (from 1) of the one offered item whose label holds a short message (挂失 ->
    "看敬老卡挂失补领", 补办 -> 补领), or holds it without the words around it (还有医保呢 ->
    "看新生儿城乡居民医保参保登记"): None when it names none, or several. `labels` are the
    offered choices' labels, None for a choice that is no item (材料, 流程)."""
    bare = re.sub(r"\s", "", text)
    if not bare or len(bare) > _WORDS_LONGEST:
        return None
    said = bare.removesuffix("的").removesuffix("那个")
    for words in dict.fromkeys((said, _AROUND_A_CHOICE.sub("", said))):
        words = _ACTION_SAID.get(words, words)
        named = [n for n, label in enumerate(labels, start=1)
                 if label is not None and len(words) >= 2 and words in label]
        if named:
            return named[0] if len(named) == 1 else None
    return None


# The words around another thing asked after, in passing: 还有医保呢, 那挂失的呢, 另外医保.
# (Not 怎么办: 敬老卡怎么办 asks about the card afresh, not about the 挂失 offered with it.)
_AROUND_A_CHOICE = re.compile(r"^(?:那么|那|还有|另外)|(?:的呢|呢|那个呢)$")


_GOODBYE = re.compile(r"再见|再會|再会|拜拜|bye|回头见|下次再聊|晚安|下趟再|下次再来", re.I)


def says_goodbye(text: str) -> bool:
    """Whether a thank-you line also takes leave (好的拜拜, 明白啦，再会)."""
    return _GOODBYE.search(text) is not None


# "不是这个" said alone after an answer: that answer was not what was asked.
_REJECTS = re.compile(r"^(?:不是|不对|错了|搞错了|弄错了|不是的|不是这个|不是这样|不是这个意思|"
                      r"不是我要问的|不是问这个|我不是问这个|答非所问|问的不是这个|勿是|勿对)"
                      r"[啊呀的吧哦嘛呢了额]*$")


def rejects_answer(text: str) -> bool:
    """Whether the message only says the last answer was not what was asked (不是这个, 不对)."""
    return _REJECTS.match(_bare(text)) is not None


# A 1-5 rating (满意度) in residents' words: 5, 5分, 五星, 很满意; 一般 is 3, 不满意 2.
_RATING_NUMBER = re.compile(r"^([1-5一二三四五])\s*(?:分|星|颗星)?$")
_RATING_WORDS = (("非常不满意", 1), ("很不满意", 1), ("太差", 1), ("不满意", 2), ("一般", 3),
                 ("还行", 3), ("马马虎虎", 3), ("还可以", 4), ("满意", 4), ("挺好", 4),
                 ("非常满意", 5), ("很满意", 5), ("特别满意", 5), ("太好了", 5), ("满分", 5))
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}


def rating_of(text: str) -> int | None:
    """The 1-5 score a short message gives, or None when it gives none."""
    said = text.strip(" ，。！!~的啊呀吧哦了")
    found = _RATING_NUMBER.match(said)
    if found:
        digit = found.group(1)
        return _NUMERALS.get(digit) or int(digit)
    for words, score in sorted(_RATING_WORDS, key=lambda w: -len(w[0])):
        if said == words or said in (words + "了", "很" + words if score == 4 else ""):
            return score
    return None
