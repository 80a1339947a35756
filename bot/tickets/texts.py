"""What residents and leaders read about tickets: all of it, in one place."""

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
