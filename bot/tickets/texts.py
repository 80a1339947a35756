"""What residents and leaders read about tickets: all of it, in one place."""

from __future__ import annotations

from bot.db.models import Ticket
from bot.kb.model import Knowledge


def what_it_is(knowledge: Knowledge, ticket: Ticket) -> str:
    """"照明" for a lighting report, "微心愿" for a wish, "咨询" for a resident asking for a
    person."""
    if ticket.kind in KIND_NAMES and ticket.kind != "report":
        return KIND_NAMES[ticket.kind]
    category = knowledge.report_category(ticket.category or "")
    return category.name if category else "报修"


def place_of(building: str | None, location: str | None) -> str:
    """"9号楼3楼楼道", or a placeholder when neither is known."""
    return "".join(x for x in (building, location) if x) or UNKNOWN_PLACE


UNKNOWN_PLACE = "位置待确认"
ASK_BUILDING = "请问是几号楼？直接回复楼号就行，比如“9号楼”“9号楼302”。说“取消”可以不报了。"
ASK_CATEGORY = ("请问是什么问题？直接说就行，比如“3楼楼道灯不亮”；也可以回复数字：\n{choices}\n"
                "说“取消”可以不报了。")
# An answer that gave the floor or room but not the building: what was understood, first.
NOTED_PLACE = "记下了：{location}。"
# After two answers that told no building: say what is needed another way, and who can help.
ASK_BUILDING_AGAIN = ("还是没看出是几号楼。请只回复楼号的数字，比如“9”。不知道楼号的，说“转人工”"
                      "请工作人员帮您；说“取消”可以不报了。")
# "几号楼？" answered 不知道 or 就是门口那幢: where the number is written, and who can help.
_WHERE_THE_NUMBER_IS = ("没关系。楼号写在单元门口或楼道口的牌子上，水电煤账单的地址里也有。"
                        "看到后回复楼号的数字就行，比如“9”；")
BUILDING_NUMBER_HOW = (_WHERE_THE_NUMBER_IS
                       + "实在不清楚，说“转人工”请工作人员帮您；说“取消”可以不报了。")
WISH_BUILDING_HOW = _WHERE_THE_NUMBER_IS + "说“取消”可以不许了。"
# An urgent problem filed for the duty staff before anyone knew the building.
FILED_WITHOUT_BUILDING = "楼号看到了直接发给我（比如“9号楼”），我马上转给楼栋长。"
CONFIRM_BUILDING = "是{building}吗？是的话回复1；不是的话，直接告诉我楼号。"
STILL_WAITING = {  # after answering something else while a report or wish is half taken
    "problem": "（您刚才要报的问题还没说是什么，直接告诉我就能登记；说“取消”就不报了。）",
    "building": "（您刚才的报修还差楼号，回复楼号就能登记；说“取消”就不报了。）",
    "building_confirm": "（您刚才的报修还要确认楼号：是{building}吗？回复“是”或者楼号就能登记。）",
    "wish": "（您刚才的微心愿还没说内容，直接告诉我就能登记。）",
    "wish_building": "（您刚才的微心愿还差楼号，回复楼号就能登记；说“取消”就不许了。）",
    "anonymous": "（您刚才的微心愿还差一步：要不要匿名？回复“匿名”或“不用匿名”。）",
    "OrderDraft": "（您刚才的订餐还没订好，回答上面的问题就能订；说“取消”就不订了。）",
    "SignupDraft": "（您刚才的送餐登记还没登记好；说“取消”就不登记了。）",
    "AppointmentDraft": "（您刚才的预约还没约好，回复数字就能约；说“取消”就不约了。）",
}
ASK_WISH_BUILDING = ("好的，帮您登记微心愿。请问您住几号楼？直接回复楼号就行，比如“9号楼”。"
                     "说“取消”可以不许了。")
ASK_WISH = "请说说您的心愿，比如“想学用智能手机”“想请人帮忙换灯泡”。说“取消”可以不许了。"
ASK_ANONYMOUS = "要不要匿名？回复1匿名（楼栋长看不到您的名字），回复2不用匿名。"
UNKNOWN_BUILDING = "没有找到“{text}”这栋楼。请回复楼号，比如“9号楼”。"
REPORT_CREATED = ("已登记，编号 {code}（{category}，{place}）。{who}会尽快处理，有进展会告诉您。"
                  "查询请说“查询 {code}”。")
WISH_CREATED = "您的微心愿已登记{anonymous}，编号 {code}。楼栋长和志愿者认领后会告诉您。"
WISH_ANONYMOUS = "（匿名，楼栋长看不到您的名字）"
ME_TOO = "已有邻居报告了这个问题（{code}），处理进展会同时通知您。"
AGAIN = "已登记，编号 {code}：这个问题您已经报过了，现在{state}。您刚才说的，我已转告{who}。"
AGAIN_SAME = "已登记，编号 {code}：这个问题您已经报过了，现在{state}，有进展会告诉您。"
STATUS_NUDGED = "{code} 现在{state}。已帮您提醒{who}，有进展会告诉您。"
TO_HANDLER_ASKED = "{code} 居民在问进度：{text}"
TO_HANDLER_FOLLOWER = "{code} 又有邻居报了同样的问题：{text}"
EMERGENCY_FIRST = "紧急！{safety}"
URGENT_FIRST = "{safety}"
EMERGENCY_FILED = "已通知{who}，编号 {code}。"
WHO_AND_DUTY = "{who}和驿站值班人员"
EMERGENCY_WHERE = "请告诉我在几号楼几室（比如“12号楼301”），我马上转告。"
EMERGENCY_WHERE_EXACTLY = "请告诉我具体在几号楼几室（比如“{building}301”），我马上转告。"
EMERGENCY_AGAIN = "已经通知{who}了（{code}），您刚才说的情况也转告了。"
PLACE_GOT = "收到，{code} 的位置是{place}，已转告{who}。"
PLACE_NOT_WANTED = "{code} 已经结束了，不用再告诉我位置。还有危险请打 110、119 或 120。"
EMERGENCY_NOT_CANCELLED = ("{code} 是紧急情况，已经通知了值班人员，不会取消；我不再问位置了。"
                           "确实不需要了，请说“撤销 {code}”。")
PLACE_STILL_WANTED = "收到，已转告值班人员。请再告诉我在几号楼几室，比如“12号楼301”。"
DETAIL_ADDED = "已补充到 {code}，{who}会看到。"
PLACE_ADDED = "已记下，{code} 的位置是{place}，{who}会看到。"
PHONE_ADDED = "电话记下了，{who}需要时会打给您。"
MOVED = "已改成{building}，{code} 转给{who}。"
WITHDRAWN = "好的，{code} 已撤销，已告诉{who}。"
WITHDRAW_WHICH = "您现在没有在处理中的报修或微心愿，不用撤销。"
WITHDRAW_FINISHED = "{code} 已经结束了（{state}），不用撤销。"
UNFOLLOWED = "好的，{code} 的进展不再通知您。"
TO_FOLLOWER_WITHDRAWN = "邻居撤销了 {code}。如果您那里还有这个问题，请再跟我说一遍，我重新登记。"
NOT_YOURS_TO_WITHDRAW = "{code} 不是您登记的，不能撤销。您可以说“我的报修”看看自己的。"
CANCELLED = "好的，已取消，没有登记。"
NOTHING_TO_CANCEL = "现在没有正在办的事，不用取消。"
CANCEL_HINT = "{code} 已经登记了。要撤销它，请说“撤销 {code}”；不撤销的话，会有人来处理。"
EXPIRED = "上次的报修没有说完，已经自动取消了。需要的话请重新说一遍。"
EXPIRED_WISH = "上次的微心愿没有说完，已经自动取消了。需要的话请重新说一遍。"
BOUND = "记住了，您住{place}。以后报修不说楼号，就按{building}登记。"
WHO_LEADER = "楼栋长{name}"
WHO_BACKUP = "代班的{name}"
WHO_VOLUNTEER = "志愿者{name}"
WHO_STAFF = "驿站工作人员{name}"
WHO_DUTY = "驿站值班人员"
NO_TICKETS = "您还没有报修或微心愿。"
MY_TICKETS = "您的报修和微心愿：\n{lines}"
TICKET_LINE = "{code} {what}：{state}"
NOT_YOURS = "没有找到您的 {code}。请核对编号，或说“我的报修”看全部。"
STATUS = "{code} {what}\n状态：{state}\n登记时间：{created}"
STATES = {  # as residents read them
    "new": "已登记，等待{who}接单", "claimed": "{who}已接单", "in_progress": "{who}正在处理",
    "resolved": "已处理，等您确认", "closed": "已完成", "reopened": "重新处理中",
    "transferred": "已转交{who}", "merged": "已合并到其他工单", "cancelled": "已取消",
    "declined": "暂时无法实现",
}
STAFF_STATES = {  # as leaders and staff read them
    "new": "还没人接", "claimed": "{who}已接", "in_progress": "{who}在处理",
    "resolved": "已处理，等居民确认", "closed": "已完成", "reopened": "居民说没修好，重新处理",
    "transferred": "已转交{who}，还没接", "merged": "已合并", "cancelled": "已撤销",
    "declined": "无法实现",
}


def state_text(ticket: Ticket, who: str, for_staff: bool = False) -> str:
    """A ticket's state in words, for a resident or for staff; `who` handles it."""
    table = STAFF_STATES if for_staff else STATES
    return table.get(ticket.state, ticket.state).format(who=who)
NOTIFY_NEW = "新{kind} {code}：{about}\n{description}\n回复“接单 {code}”认领。"
NOTIFY_URGENT = ("【急】新{kind} {code}：{about}\n{description}\n"
                 "请尽快处理，回复“接单 {code}”认领。")
NOTIFY_EMERGENCY = "【紧急】{code}：{about}\n{description}\n请立即处理或联系居民。"
KIND_NAMES = {"report": "报修", "wish": "微心愿", "consult": "咨询"}
TO_HANDLER_DETAIL = "{code} 居民补充：{text}"
TO_HANDLER_PLACE = "{code} 位置：{place}"
TO_HANDLER_WITHDRAWN = "{code} 居民撤销了，不用再处理。居民说：{reason}"
TO_HANDLER_MOVED = "{code} 居民说楼号报错了，已改成{building}，转给{name}。"
TO_HANDLER_NOT_HERE = "{code} 不在您的楼，在{place}，已交给驿站值班人员。"
TO_HANDLER_REPEATED = "{code} 居民又来问了：{text}"

# -- building leaders and staff --------------------------------------------------------------
QUEUE_EMPTY = "您现在没有待办工单。"
QUEUE = "待办工单（{count}）：\n{lines}"
STATION_QUEUE = "全站未完成的工单（{count}）：\n{lines}"
OVERDUE_LIST = "过了回应时限还没人回应的（{count}）：\n{lines}"
NO_OVERDUE = "没有超时的工单。"
MORE_LINES = "……还有 {count} 张"
QUEUE_LINE = "{code} {what} {building}{place} {age}{flag}"
QUEUE_LINE_OWNER = "{code} {what} {building}{place} {age}（{state}）{flag}"
OVERDUE = "【已超时】"
URGENT = "【急】"
NO_SUCH_TICKET = "没有找到工单 {code}。"
NOT_YOUR_TICKET = "{code} 不是您负责的楼栋，不能操作。有疑问请联系驿站值班人员。"
CLOSED_ALREADY = "{code} 已经结束（{state}），不能再操作。"
CONSULT_CLAIMED = "已接待 {code}。答复居民说“回复 {code} 内容”，处理完说“完成 {code} 说明”。"
CLAIMED = "已接单 {code}。处理中可以说“进度 {code} 内容”，修好后说“完成 {code} 说明”。"
CLAIMED_BY_OTHER = "{code} 刚被{name}接走了。"
CONFLICT = "刚才同时有别的操作，这条没有保存。请再发一次。"
PROGRESS_SAVED = "已记录 {code} 的进展，并告诉了居民。"
DONE_SAVED = "已标记 {code} 完成，正在请居民确认。"
WISH_DONE_SAVED = "已标记 {code} 已实现，已告诉居民。"
WISH_CANNOT_SAVED = "已标记 {code} 无法实现，已告诉居民。"
CANNOT_IS_FOR_WISHES = "“无法实现”只用于微心愿。报修处理不了，请说“退回 {code} 原因”交给驿站。"
CONSULT_DONE_SAVED = "已结束 {code}，已告诉居民。"
CONSULT_STAFF_ONLY = "{code} 是居民找工作人员的咨询，只有驿站工作人员可以处理。"
CONSULT_CLAIMED_BY_OTHER = ("{code} 已由{name}接待（首问负责）。要接手，请{name}说"
                            "“转交 {code} 您的名字”。")
TRANSFERRED = "已把 {code} 转交给{name}。"
TRANSFER_UNKNOWN = "没有找到“{target}”。请写楼号（如“12号楼”）或楼栋长的名字。"
TRANSFER_STAFF_UNKNOWN = "没有找到“{target}”。咨询只能转交给驿站工作人员，请写名字（如“陈晓燕”）。"
REPLIED = "已把您的话转告 {code} 的居民。"
REPLY_EMPTY = "请把要说的话写在编号后面，比如“回复 {code} 请问是几室？”。"
PROGRESS_EMPTY = "请把进展写在编号后面，比如“进度 {code} 已买好灯泡，下午来换”，我转告居民。"
RETURN_EMPTY = "请把退回的原因写在编号后面，比如“退回 {code} 要物业来修”，驿站好接着处理。"
MERGE_SAME = "不能把 {code} 合并到它自己。请写两个不同的工单号，比如“合并 R0002 R0001”。"
TO_ASSIGNEE_OTHER_ACTED = "{code} 由{name}{what}了，您不用再管。"
ACTED = {"done": "标记完成", "cannot": "标记无法实现", "progress": "更新了进展",
         "transfer": "转交给别人", "return": "退回驿站", "merge": "合并"}
CONFIRM_BUT_OPEN = "谢谢。{code} 现在{state}，处理好了会再告诉您。"
TO_HANDLER_MOVED_SAME = "{code} 居民说楼号报错了，已改成{building}，还是您负责。"
CANNOT_EMPTY = "请把原因写在编号后面，比如“无法实现 {code} 这周志愿者排满了”，我转告居民。"
MISSING_CODE = "请在命令后面写上工单号或内容，比如“{example}”。说“我的工单”可以看您的工单。"
MISSING_CODE_EXAMPLES = {
    "open": "查看 R0001", "claim": "接单 R0001", "progress": "进度 R0001 已买好灯泡",
    "done": "完成 R0001 已换好", "cannot": "无法实现 W0001 原因", "transfer": "转交 R0001 12号楼",
    "reply": "回复 R0001 请问是几室？", "return": "退回 R0001 原因", "merge": "合并 R0002 R0001",
    "broadcast": "广播 明天上午9点到12点停水",
}


RETURNED = "已把 {code} 退回驿站值班队列，已告诉居民。"
HELP = {
    "leader": ("楼栋长可以说：\n我的工单（看要处理的）\n超时（看超时没接的）\n接单 R0123\n"
               "查看 R0123（看详情和居民电话）\n进度 R0123 已买好灯泡\n完成 R0123 已换好\n"
               "回复 R0123 请问是几室？\n转交 R0123 12号楼\n退回 R0123 原因（交给驿站）\n"
               "合并 R0124 R0123（同一个问题）"),
    "volunteer": ("志愿者可以说：\n我的工单（看没人认领的微心愿和交给您的报修）\n接单 W0012\n"
                  "查看 W0012\n进度 W0012 已约好周六\n实现 W0012 已经教会了\n"
                  "无法实现 W0012 原因\n回复 W0012 内容\n退回 W0012 原因"),
    "staff": ("工作人员可以说：\n我的工单（全站没完成的）\n超时（全站超时没接的）\n"
              "接单 C0007（接待找人工的居民）\n回复 C0007 内容\n完成 C0007 说明\n"
              "转交 C0007 陈晓燕\n查看 R0123\n转交 R0123 12号楼\n合并 R0124 R0123\n"
              "感谢留言\n发送失败\n广播 通知内容\n"
              "食堂：明天午餐统计、送餐名单、停餐 梅园助餐点 明天 原因、售罄 红烧肉\n"
              "送餐：送餐登记（等审核的）、批准送餐 S0001、不批准 S0001 原因\n"
              "预约：今天的预约、办结 Y0001、未到 Y0001"),
}
TO_RESIDENT_CLAIMED = "您的{what} {code}，{name}已接单，会尽快处理。"
TO_RESIDENT_CONSULT_CLAIMED = "驿站工作人员{name}已经接待您的问题（{code}），会尽快回复您。"
TO_RESIDENT_CONSULT_DONE = "{code} 工作人员已处理完：{note}\n还有问题随时找我。"
TO_RESIDENT_CONSULT_DONE_PLAIN = "{code} 工作人员已经处理完了。还有问题随时找我。"
TO_RESIDENT_RETURNED = "您的{what} {code} 已转给驿站值班人员处理，会尽快联系您。"
TO_RESIDENT_PROGRESS = "{code} 进展：{note}"
TO_RESIDENT_DONE = "{code} 已处理：{note}\n已修好了吗？回复1确认，回复2没修好（也可以直接说）。"
TO_RESIDENT_DONE_PLAIN = "{code} 已经处理了。\n已修好了吗？回复1确认，回复2没修好（也可以直接说）。"
TO_RESIDENT_REPLY = "{code} {name}说：{note}"
TO_RESIDENT_WISH_DONE = ("您的微心愿 {code} 已实现：{note}\n愿意的话，回一句感谢的话，我们会转达；"
                         "也可以回复 1 到 5 给这次帮忙打个分（5 最满意）。")
TO_RESIDENT_WISH_DONE_PLAIN = ("您的微心愿 {code} 已实现。\n愿意的话，回一句感谢的话，我们会转达；"
                               "也可以回复 1 到 5 给这次帮忙打个分（5 最满意）。")
TO_LEADER_TRANSFER = "{code} 转交给您：{building}{place} {what}\n回复“接单 {code}”认领。"
TO_STAFF_CONSULT_TRANSFER = "{code} 由{name}转给您接待：\n{description}\n回复“接单 {code}”接待。"
TO_LEADER_REOPENED = "{code} 居民说还没修好，已重新打开，请再看看。{said}"
RESIDENT_SAID = "居民说：{text}"
TO_RESIDENT_TRANSFERRED = "您的{what} {code} 已转给{name}处理。"
TO_PREVIOUS_CLAIMED = "{code} 已由{name}接单，您不用再管了。"
CLAIMED_ALREADY = "{code} 您已经接了，不用再接。"
RETURNED_ALREADY = "{code} 已经在驿站值班队列里了。"
TRANSFER_TO_SELF = "{code} 已经是您的了。要交给别人，请写对方的名字或楼号。"
TRANSFER_AWAY = "{name}现在不在（{until}前），请转给别人，或写楼号让系统找代班的人。"
TRANSFER_EMPTY = "请写转给谁，比如“转交 {code} 12号楼”或“转交 {code} 周国平”。"
CLAIMED_WISH = ("已接单 {code}。有进展说“进度 {code} 内容”，办好后说“实现 {code} 说明”，"
                "办不了说“无法实现 {code} 原因”。")
TO_DUTY_RETURNED = "{code} 被{name}退回：{note}"
CONFIRMED = "谢谢确认，{code} 已完成。"
# 满意度: asked once after a confirmed repair or a fulfilled wish; answering is optional.
RATE_ASK = "方便的话，给这次处理打个分：回复 1 到 5（5 最满意）。不想打分就不用回。"
RATE_LABELS = ("很不满意", "不满意", "一般", "满意", "很满意")
RATED = "谢谢您的评价（{score} 分），我们会转给驿站。"
RATED_LOW = "谢谢您的评价（{score} 分）。哪里做得不好，可以直接说，我们转给驿站改进。"
REOPENED = "抱歉还没修好，{code} 已重新交给{who}处理，您说的情况也转告了。"
CONFIRMED_ALREADY = "谢谢，{code} 已经完成了。还有问题随时告诉我。"
THANKS_SAVED = "谢谢您，我们会转达。"

# -- deadlines ---------------------------------------------------------------------------------
REMIND = "提醒：{code}（{what}，{place}）已过处理时限的一半，还没处理完，请抓紧。"
ESCALATE = "【超时】{code}（{what}，{place}）已超过处理时限，负责人：{who}。请跟进。"
AUTO_CLOSED = "{code} 处理完已经3天，没有收到您的确认，已自动结束。如果还有问题，请再报一次。"
RESIDENT_ANSWERED = "{code} 居民回复：{text}"
RELAYED = "已转告{who}。"

# -- wishes, thanks, linked accounts -----------------------------------------------------------
TO_RESIDENT_WISH_CANNOT = "很抱歉，您的微心愿 {code} 暂时无法实现：{note}"
THANKS_LIST = "居民感谢留言（可以公布）：\n{lines}"
THANKS_LINE = "{code} {building}：{text}"
NO_THANKS = "还没有新的感谢留言。"
LINK_CODE = "绑定码 {code}，10分钟内有效。请在另一个平台（服务号或Telegram）发送“绑定 {code}”。"
LINKED = "已关联，两边的报修和微心愿记录合在一起了。"
LINK_UNKNOWN = "绑定码不对或已过期。请在原来的平台重新说“绑定账号”获取新码。"
LINK_SAME = "这个账号已经关联好了，不用再绑定。"
MERGED = "已把 {code} 合并到 {into}，{code} 的居民会收到 {into} 的进展。"
MERGE_UNKNOWN = "合并要写两个工单号，比如“合并 R0002 R0001”（把前一个并进后一个）。"
TO_RESIDENT_MERGED = "您的{what} {code} 和邻居报的 {into} 是同一个问题，已合并，进展会一起通知您。"
PHOTO_IN_FLOW = "照片收到了，会附在这次报修里。"
PHOTO_ATTACHED = "照片收到了，已附在 {code} 里，楼栋长能看到。"
PHOTO_ALONE = "照片收到了。请再说说是什么问题、在几号楼，我帮您登记。"
TO_LEADER_PHOTO = "{code} 居民补充了一张照片。"

# -- privacy -----------------------------------------------------------------------------------
PHONE_LINE = "\n联系电话 {phone}（说“查看 {code}”看完整号码）"
PHONE_HINT = "（说“查看 {code}”看完整号码）"
NO_BUILDING = "楼号未知"
OPENED = ("{code} {what}（{state}）\n地点：{place}\n内容：{description}\n居民：{resident}\n"
          "电话：{phone}\n照片：{photos} 张\n登记：{created}")
NOBODY = "（已注销）"
NO_PHONE = "未留"
ANONYMOUS = "（匿名）"

# -- building groups -----------------------------------------------------------------------------
GROUP_RESOLVED = "【已处理】{place}的{what}问题（{code}）已处理好。谢谢大家的耐心。"
BROADCAST = "【驿站通知】{text}"
BROADCAST_SENT = "已发到 {count} 个楼栋群。"
BROADCAST_NO_GROUPS = "还没有设置可以通知的楼栋群（config.toml 的 notice_groups）。"
STAFF_ONLY = "这个只有驿站工作人员可以用。"
NO_FAILED = "没有发送失败的通知。"
FAILED_LIST = "发送失败的通知（请电话联系本人）：\n{lines}"
FAILED_LINE = "给 {recipient}：{text}（{error}）"

# -- asking for a person (转人工) -------------------------------------------------------------
HANDOFF_OPEN = ("好的，已请驿站值班的{names}联系您，编号 {code}。一般半小时内回复您。"
                "急事请直接打 {duty_phone}。")
HANDOFF_CLOSED = ("好的，已经转给驿站工作人员，编号 {code}。现在驿站下班了，工作人员会在{when}"
                  "以后联系您。急事请打 {duty_phone}；有危险请打 110、119 或 120。")
HANDOFF_ASK_PHONE = "方便的话回一个手机号，工作人员可以直接打给您。"
HANDOFF_PHONE_KNOWN = "工作人员会打您留的电话（{phone}）。"
HANDOFF_AGAIN = "已经在请工作人员联系您了（{code}），您刚才说的也转告了。急事请打 {duty_phone}。"
NOTIFY_HANDOFF = ("【转人工】{code} {who}想找工作人员。{phone}\n最近说的话：\n{said}\n"
                  "回复“接单 {code}”接待，或“回复 {code} 内容”直接答复。")
SAID_LINE = "{time} {text}"
NOTHING_SAID = "（没有说别的）"
RESIDENT_UNKNOWN = "一位居民"
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
NEXT_OPENING = "{month}月{day}日（{weekday}）{time}"
