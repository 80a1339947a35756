"""What residents and leaders read about tickets: all of it, in one place."""

from __future__ import annotations

from bot.db.models import Ticket
from bot.kb.model import Knowledge


def what_it_is(knowledge: Knowledge, ticket: Ticket) -> str:
    """"照明" for a lighting report, "微心愿" for a wish."""
    if ticket.kind == "wish":
        return "微心愿"
    category = knowledge.report_category(ticket.category or "")
    return category.name if category else "报修"


def place_of(building: str | None, location: str | None) -> str:
    """"9号楼3楼楼道", or a placeholder when neither is known."""
    return "".join(x for x in (building, location) if x) or UNKNOWN_PLACE


UNKNOWN_PLACE = "位置待确认"
ASK_BUILDING = "请问是几号楼？直接回复楼号就行，比如“9号楼”。说“取消”可以不报了。"
ASK_CATEGORY = ("请问是什么问题？回复数字或直接说：\n{choices}\n说“取消”可以不报了。")
ASK_WISH = "请说说您的心愿，比如“想学用智能手机”“想请人帮忙换灯泡”。说“取消”可以不许了。"
ASK_ANONYMOUS = "要不要匿名？回复1匿名（楼栋长看不到您的名字），回复2不用匿名。"
UNKNOWN_BUILDING = "没有找到“{text}”这栋楼。请回复楼号，比如“9号楼”。"
REPORT_CREATED = ("已登记，编号 {code}（{category}，{place}）。{who}会尽快处理，有进展会告诉您。"
                  "查询请说“查询 {code}”。")
WISH_CREATED = "您的微心愿已登记，编号 {code}。楼栋长和志愿者认领后会告诉您。"
ME_TOO = "已有邻居报告了这个问题（{code}），处理进展会同时通知您。"
EMERGENCY_FIRST = "紧急！{safety}"
CANCELLED = "好的，已取消，没有登记。"
NOTHING_TO_CANCEL = "现在没有正在办的事，不用取消。"
EXPIRED = "上次的报修没有说完，已经自动取消了。需要的话请重新说一遍。"
BOUND = "记住了，您住{place}。"
WHO_LEADER = "楼栋长{name}"
WHO_DUTY = "驿站值班人员"
NO_TICKETS = "您还没有报修或微心愿。"
MY_TICKETS = "您的报修和微心愿：\n{lines}"
TICKET_LINE = "{code} {what}：{state}"
NOT_YOURS = "没有找到您的 {code}。请核对编号，或说“我的报修”看全部。"
STATUS = "{code} {what}\n状态：{state}\n登记时间：{created}"
STATES = {
    "new": "已登记，等待楼栋长接单", "claimed": "楼栋长已接单", "in_progress": "正在处理",
    "resolved": "已处理，等您确认", "closed": "已完成", "reopened": "重新处理中",
    "transferred": "已转交", "merged": "已合并到其他工单", "cancelled": "已取消",
}
NOTIFY_NEW = "新{kind} {code}：{building}{place} {category}\n{description}\n回复“接单 {code}”认领。"
NOTIFY_EMERGENCY = ("【紧急】{code}：{building}{place} {category}\n{description}\n"
                    "请立即处理或联系居民。")
KIND_NAMES = {"report": "报修", "wish": "微心愿"}

# -- building leaders and staff --------------------------------------------------------------
QUEUE_EMPTY = "您现在没有待办工单。"
QUEUE = "待办工单（{count}）：\n{lines}"
QUEUE_LINE = "{code} {what} {building}{place} {age}{flag}"
OVERDUE = "【已超时】"
URGENT = "【急】"
NO_SUCH_TICKET = "没有找到工单 {code}。"
NOT_YOUR_TICKET = "{code} 不是您负责的楼栋，不能操作。有疑问请联系驿站值班人员。"
CLOSED_ALREADY = "{code} 已经结束（{state}），不能再操作。"
CLAIMED = "已接单 {code}。处理中可以说“进度 {code} 内容”，修好后说“完成 {code} 说明”。"
CLAIMED_BY_OTHER = "{code} 刚被{name}接走了。"
CONFLICT = "{code} 刚被别人处理了，请说“我的工单”再看一下。"
PROGRESS_SAVED = "已记录 {code} 的进展，并告诉了居民。"
DONE_SAVED = "已标记 {code} 完成，正在请居民确认。"
TRANSFERRED = "已把 {code} 转交给{name}。"
TRANSFER_UNKNOWN = "没有找到“{target}”。请写楼号（如“12号楼”）或楼栋长的名字。"
REPLIED = "已把您的话转告 {code} 的居民。"
RETURNED = "已把 {code} 退回驿站值班队列。"
COMMAND_HELP = ("楼栋长可以说：我的工单；接单 R0123；查看 R0123；进度 R0123 内容；"
                "完成 R0123 说明；转交 R0123 12号楼；回复 R0123 内容；退回 R0123 原因。"
                "工作人员还可以说：广播 通知内容；发送失败。")
TO_RESIDENT_CLAIMED = "您的{what} {code}，{name}已接单，会尽快处理。"
TO_RESIDENT_PROGRESS = "{code} 进展：{note}"
TO_RESIDENT_DONE = "{code} 已处理：{note}\n已修好了吗？回复1确认，回复2没修好。"
TO_RESIDENT_REPLY = "{code} 楼栋长{name}说：{note}"
TO_RESIDENT_WISH_DONE = "您的微心愿 {code} 已实现：{note}\n愿意的话，回一句感谢的话，我们会转达。"
TO_LEADER_TRANSFER = "{code} 转交给您：{building}{place} {what}\n回复“接单 {code}”认领。"
TO_LEADER_REOPENED = "{code} 居民说还没修好，已重新打开，请再看看。"
TO_DUTY_RETURNED = "{code} 被{name}退回：{note}"
CONFIRMED = "谢谢确认，{code} 已完成。"
REOPENED = "抱歉还没修好，{code} 已重新交给楼栋长处理。"
THANKS_SAVED = "谢谢您，我们会转达。"

# -- deadlines ---------------------------------------------------------------------------------
REMIND = "提醒：{code}（{what}，{place}）已过处理时限的一半，还没处理完，请抓紧。"
ESCALATE = "【超时】{code}（{what}，{place}）已超过处理时限，负责人：{who}。请跟进。"
AUTO_CLOSED = "{code} 处理完已经3天，没有收到您的确认，已自动结束。如果还有问题，请再报一次。"
RESIDENT_ANSWERED = "{code} 居民回复：{text}"
RELAYED = "已转告楼栋长。"

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
IN_GROUP_CODE = "已收到，编号 {code}。详细情况我私信发给您了。"
IN_GROUP_PRIVATE = "这是个人信息，我私信发给您了。"
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
