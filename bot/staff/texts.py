"""The staff desk's own words (page text is in its templates)."""

from __future__ import annotations

SIGN_IN_WRONG = "名字或密码不对。"
SIGN_IN_LOCKED = "连续输错太多次，请 {minutes} 分钟后再试。"
SIGN_IN_UNKNOWN = "名字或密码不对。"          # the same words: no hint which names exist
SIGNED_OUT = "已退出。"
FORM_EXPIRED = "页面已过期，请刷新后再提交。"
ACTION_EMPTY = "请选择要做的操作。"
RETRIED = "已重新排队发送。"
NOT_RETRIED = "这条通知已经不在失败列表里了。"
PASSWORD_SET = "已为{name}设置网页工作台密码。"
PASSWORD_UNKNOWN = "花名册里没有“{name}”（要写工作人员或楼栋长的名字）。"
PASSWORD_SHORT = "密码至少要 8 位。"
PASSWORD_MISMATCH = "两次输入的密码不一样。"

ALIAS_ADDED = "已把“{alias}”加为 {ref} 的说法，机器人已经用上了。"
ALIAS_UNDONE = "改动没有生效，已经撤回：{first}"
ALIAS_NOTHING = "没有可改的：这个说法已经有了，或者那一项没有 aliases 列表。"
IGNORED = "已把这 {count} 个问题从列表里拿掉。"
RELOADED = "知识库已重新加载。"
NOT_RELOADED = "知识库有 {count} 处错误，没有生效，机器人还在用原来的。"
KIND_NAMES = {"fallback": "答不上", "clarify": "反问后没选", "rejected": "说“不是这个”"}

PERIODS = {"week": "本周", "month": "本月", "custom": "自定义"}
KINDS = {"report": "报修", "wish": "微心愿", "consult": "找人工"}
STATES = {
    "new": "待接单", "claimed": "已接单", "in_progress": "处理中", "resolved": "已处理待确认",
    "closed": "已完成", "reopened": "重新处理", "transferred": "已转交", "merged": "已合并",
    "cancelled": "已撤销", "declined": "无法实现",
}
EVENTS = {  # a ticket's history, in words (the audit trail keeps the codes)
    "created": "登记", "opened": "查看", "claim": "接单", "progress": "进展", "done": "完成",
    "cannot": "无法实现", "transfer": "转交", "reply": "回复", "return": "退回", "merge": "合并",
    "merged_in": "并入", "confirmed": "居民确认修好", "reopened": "居民说没修好",
    "rated": "居民评价", "escalated": "超时上报值班", "auto_closed": "自动结束",
    "follow": "邻居同报", "unfollow": "邻居不再关注", "detail": "居民补充", "moved": "改地点",
    "located": "补充地点", "withdrawn": "居民撤销", "asked": "居民询问进度",
    "answered": "居民回答", "photo": "照片", "thanked": "居民感谢", "asked_again": "居民再问",
}
ACTIONS = {  # the chat commands the ticket page offers, with what their note means
    "接单": "", "进度": "进展说明", "完成": "处理结果", "转交": "转交给谁（名字）",
    "回复": "回复居民的话", "退回": "退回原因", "合并": "合并到哪个工单（编号）",
    "实现": "说明", "无法实现": "原因",
}
