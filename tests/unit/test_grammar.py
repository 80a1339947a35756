"""The pure grammar of turns: commands, yes/no answers, places, phone numbers, emergencies.
Read from the surface text (Simplified, ASCII digits) as the dialogue gives it."""

from __future__ import annotations

import pytest

from intents.answers import (
    asks_progress,
    choice_named,
    detail_asked,
    number_unknown,
    rejects_answer,
    says_goodbye,
    wants_anonymity,
    yes_or_no,
)
from intents.commands import (
    Broadcast,
    Cancel,
    Home,
    Link,
    LinkRequest,
    ListCommand,
    Pick,
    Query,
    TicketCommand,
    Withdraw,
    merge_target,
    read_command,
)
from intents.details import (
    Place,
    mask_phones,
    only_phone,
    read_phone,
    read_place,
    tells_of_a_death,
)
from intents.engine import IntentEngine
from intents.safety import EmergencyDetector, EmergencySigns

SPOTS = ("楼道", "电梯", "厨房", "门口", "楼下")


@pytest.mark.parametrize(("text", "command"), [
    ("接单 R0001", TicketCommand("claim", "R0001")),
    ("接单r0012", TicketCommand("claim", "R0012")),
    ("好的我接单R1", TicketCommand("claim", "R0001")),
    ("回复 R0001 请问是哪个房间？", TicketCommand("reply", "R0001", "请问是哪个房间？")),
    ("完成 R0001：换了灯泡", TicketCommand("done", "R0001", "换了灯泡")),
    ("实现 W0002 已经教会了", TicketCommand("done", "W0002", "已经教会了")),
    ("无法实现 W0002 人手不够", TicketCommand("cannot", "W0002", "人手不够")),
    ("转交 R0003 12号楼", TicketCommand("transfer", "R0003", "12号楼")),
    ("合并 R0002 到 R0001", TicketCommand("merge", "R0002", "到 R0001")),
    ("/claim C0007", TicketCommand("claim", "C0007")),
    ("我的工单", ListCommand("mine")), ("我的报修", ListCommand("mine")),
    ("超时", ListCommand("overdue")), ("帮助", ListCommand("help")),
    ("怎么用？", ListCommand("help")), ("感谢留言", ListCommand("thanks")),
    ("发送失败", ListCommand("failed")), ("广播 明天停水", Broadcast("明天停水")),
    ("查询 R0001", Query("R0001")), ("R0001怎么样了", Query("R0001")),
    ("查询r7", Query("R0007")), ("坐C3路公交", None),
    ("撤销R0009，报错了", Withdraw("R0009", "报错了")),
    ("取消 R0002", Withdraw("R0002", "取消 R0002")),
    ("不用修了", Withdraw(None, "不用修了")),
    ("不用来修了，自己好了", Withdraw(None, "不用来修了，自己好了")),
    ("不要了，已经好了", Withdraw(None, "不要了，已经好了")),
    ("不用了 我自己搞定了", Withdraw(None, "不用了 我自己搞定了")),
    ("好了，不用了", Withdraw(None, "好了，不用了")), ("好了好了", None),
    ("太感谢了，问题解决了", None), ("我是说11号楼", None), ("我是讲11号楼", None),
    ("我是11号楼的", Home()), ("谢谢 我自己搞定了", None), ("已经搞定了，谢谢", None),
    ("取消", Cancel()), ("算了", Cancel()), ("不报了", Cancel()),
    ("绑定账号", LinkRequest()), ("绑定 123456", Link("123456")),
    ("我住9号楼302", Home()), ("我家在十二号楼", Home()),
    ("2", Pick(2)), ("第三个", Pick(3)), ("２", Pick(2)),
    ("敬老卡怎么办", None), ("12", None), ("还没修好", None), ("", None),
])
def test_commands(text: str, command: object) -> None:
    assert read_command(text) == command


def test_the_merge_target_is_the_second_code() -> None:
    assert merge_target("到 r12") == "R0012"
    assert merge_target("不知道") is None


def test_traditional_commands_read_once_normalised(engine: IntentEngine) -> None:
    surface = engine.normaliser.surface
    assert read_command(surface("我的報修")) == ListCommand("mine")
    assert read_command(surface("查詢 Ｒ０００１")) == Query("R0001")
    assert read_command(surface("接單 R0001")) == TicketCommand("claim", "R0001")


@pytest.mark.parametrize(("text", "answer"), [
    ("1", True), ("好了", True), ("修好了谢谢", True), ("可以了", True), ("亮了", True),
    ("不漏了", True), ("谢谢", True), ("嗯", True), ("已经修好了", True),
    ("2", False), ("没修好还是不亮", False), ("还是坏的", False), ("还没修好", False),
    ("还在滴比昨天少一点", False), ("没人来过", False), ("又坏了", False), ("没有", False),
    ("我想问下敬老卡", None), ("明天吃什么", None),
])
def test_yes_or_no(text: str, answer: bool | None) -> None:
    assert yes_or_no(text) is answer


@pytest.mark.parametrize(("text", "answer"), [
    ("1", True), ("匿名", True), ("要", True), ("2", False), ("不用匿名", False),
    ("实名", False), ("随便", None),
    ("不要写名字", True), ("别写我名字", True), ("名字不要写", True), ("名字就不要写了", True),
    ("不写名字", True), ("名字可以写", False), ("写我名字好了", False), ("名字写上好了", False),
    ("写名字", False), ("留名字", False)])
def test_anonymity(text: str, answer: bool | None) -> None:
    assert wants_anonymity(text) is answer


@pytest.mark.parametrize(("text", "unknown"), [
    ("不知道", True), ("不晓得", True), ("忘记了", True), ("我也不清楚是几号楼", True),
    ("记不得门牌号了", True), ("就是大门口那幢", True), ("对面那栋楼", True),
    ("9号楼", False), ("9", False), ("不知道怎么办理敬老卡", False), ("那幢楼漏水了 6号", False),
    ("对面那幢楼外墙的瓷砖掉下来砸到车了", False)])
def test_a_building_number_not_known(text: str, unknown: bool) -> None:
    assert number_unknown(text) is unknown


@pytest.mark.parametrize(("text", "building", "location", "only"), [
    ("9号楼2单元301", "9号楼", "2单元301室", True),
    ("12号301室", "12号楼", "301室", True),
    ("12-301", "12号楼", "301室", True),
    ("5号楼302", "5号楼", "302室", True),
    ("4楼，402", None, "4楼402室", True),
    ("三楼到四楼当中灯不亮", None, "3楼到4楼之间", False),
    ("三四楼之间的灯", None, "3楼到4楼之间", False),
    ("不是12号楼，是23号楼", "23号楼", None, True),
    ("不对，是6号楼", "6号楼", None, True),
    ("搞错了，应该是12号楼", "12号楼", None, True),
    ("不好意思写错了 6号楼", "6号楼", None, True),
    ("是12号楼伐", "12号楼", None, True),
    ("是12号楼吗？", "12号楼", None, True),
    ("十二号楼", "12号楼", None, True),
    ("3楼楼道灯坏了", None, "3楼楼道", False),
    ("厨房里煤气味道很重", None, "厨房", False),
    ("301号", None, "301室", True),
    ("还在滴，比昨天少一点", None, None, False),
    ("13800001234", None, None, False),
])
def test_places(text: str, building: str | None, location: str | None, only: bool) -> None:
    place = read_place(text, SPOTS)
    assert (place.building_name, place.location, place.only_place) == (building, location, only)


def test_a_later_place_completes_an_earlier_one() -> None:
    first = read_place("楼道灯坏了", SPOTS)
    assert first.merged(read_place("5号楼302", SPOTS)) == Place(5, None, (), "302", "楼道")


def test_phone_numbers() -> None:
    assert read_phone("电话 138 0000 1234") == "13800001234"
    assert mask_phones("打13800001234找我") == "打*******1234找我"
    assert only_phone("我电话13912345678") and not only_phone("13912345678楼道灯坏了")


def test_an_emergency_needs_its_words_together_and_not_its_exceptions() -> None:
    lift = EmergencySigns("lift", "elevator", ("电梯困人",), (("电梯",), ("困", "关在")),
                          ("演练",))
    fall = EmergencySigns("fall", "other", ("爬不起来",))
    detector = EmergencyDetector((lift, fall))
    assert detector.detect("有人困在电梯里") is lift
    assert detector.detect("电梯困人演练") is None
    assert detector.detect("电梯坏了") is None
    assert detector.detect("跌跤了爬不起来") is fall


@pytest.mark.parametrize(("text", "situation"), [
    ("有人被困在电梯里", "lift_trapped"), ("电梯卡牢了，里面有人关了里向", "lift_trapped"),
    ("楼道里电瓶车充电冒烟了", "fire"), ("屋里跌跤了，爬不起来", "fall"),
    ("我老伴突然晕倒了", "taken_ill"), ("厨房里煤气味道老重的", "gas"),
    ("阳台上面的花盆要掉下来了", "facade"), ("空调外机松动了", "facade"),
    ("去年摔了一跤，工伤认定怎么申请", None), ("跌倒险怎么买", None),
    ("家里着火了东西都烧掉了临时救助怎么申请", None), ("灭火器过期了", None),
    ("电梯坏了", None), ("煤气费怎么交", None), ("他说里面很闷 喘不过气", "taken_ill"),
    ("隔壁老太好几天没开门了 敲门也没人应", "no_answer"),
])
def test_the_stations_emergencies(engine: IntentEngine, text: str, situation: str | None
                                  ) -> None:
    import datetime as dt

    assert engine.classify(text, dt.date(2026, 11, 23)).emergency == situation


@pytest.mark.parametrize(("text", "means"), [
    ("阿拉姆妈哪能办", "怎么办"), ("好伐", "好吗"), ("寻勿着", "找不到"),
    ("有样物事坏了", "东西坏了"), ("屋里厢跌跤了", "家里"), ("礼拜天食堂开伐", "礼拜天"),
    ("夜饭吃啥", "晚饭"), ("机器人讲勿清爽", "说不清楚"), ("我要寻真人讲话", "找真人说话"),
    ("電梯卡牢了", "电梯卡住了"), ("ｒ０００１", "r0001"),
    ("伲子个残疾证", "儿子"), ("孙囡刚生出来", "孙女"), ("每个号头领钞票", "每个月领钱"),
    ("屋里呒没人", "没有人"), ("到侬搿搭好办伐", "你们这里"), ("爷娘侪走脱了", "父母都去世了"),
])
def test_every_turn_is_normalised_dialect_included(engine: IntentEngine, text: str,
                                                   means: str) -> None:
    assert means in engine.normaliser.normalise(text).clean.replace(" ", "")


@pytest.mark.parametrize(("text", "rejects"), [
    ("不是这个", True), ("不对", True), ("错了！", True), ("不是我要问的", True), ("勿对额", True),
    ("不是这个，我是卡丢了", False), ("不是报修", False), ("对的", False), ("1", False)])
def test_rejects_answer(text: str, rejects: bool) -> None:
    assert rejects_answer(text) is rejects


@pytest.mark.parametrize(("text", "death"), [
    ("我爸去世了", True), ("我老伴上个月走了他养老金卡里还有钱", True),
    ("我妈没了以后房子怎么办", True), ("人走了以后医保卡里的钱", True),
    ("老公出差走了", False), ("卡不在了", False), ("钱没了", False),
    ("我老伴过辈了", True), ("阿拉阿哥上个月走脱了", True), ("想去世纪公园坐几路车", False),
    ("阿拉屋里只狗走脱了", False), ("家里保姆阿姨走了", False), ("我以前办过身份证", False)])
def test_a_death_told(text: str, death: bool) -> None:
    assert tells_of_a_death(text) is death


@pytest.mark.parametrize(("text", "asks"), [
    ("进度怎么样了", True), ("修了吗", True), ("有人来了吗", True), ("什么时候来修", True),
    ("我报的修怎么样了", True), ("好了", False), ("敬老卡办理进度怎么样了", False)])
def test_a_question_about_a_reports_progress(text: str, asks: bool) -> None:
    assert asks_progress(text) is asks


DETAILS_OFFERED = [("materials", "看所需材料"), ("steps", "看办理流程"), ("eligible", "看谁能办"),
                   ("item", "看敬老卡挂失补领")]


@pytest.mark.parametrize(("text", "number"), [
    ("挂失", 4), ("补办", 4), ("敬老卡怎么办", None), ("要带什么", None), ("好的", None),
    ("对的", None), ("在哪里办", None), ("还有医疗补助呢", 5), ("那挂失的呢", 4),
    ("还有呢", None)])
def test_an_offered_item_named_in_words(text: str, number: int | None) -> None:
    offered = [None if kind != "item" else label
               for kind, label in [*DETAILS_OFFERED, ("item", "看优抚对象医疗补助申请")]]
    assert choice_named(text, offered) == number


@pytest.mark.parametrize(("text", "part"), [
    ("要带什么", "materials"), ("要带啥东西", "materials"), ("材料呢", "materials"),
    ("流程呢", "steps"), ("怎么办", "steps"), ("谁能办", "eligible"), ("在哪里办", "where"),
    ("几号窗口", "where"), ("要多久", "time"), ("多长时间能办好", "time"), ("要钱吗", "fee"),
    ("敬老卡怎么办", None), ("社保卡要带什么", None), ("好的", None), ("挂失", None)])
def test_a_detail_asked_in_words(text: str, part: str | None) -> None:
    assert detail_asked(text) == part


@pytest.mark.parametrize(("text", "bye"), [("好的拜拜", True), ("明白啦，再会", True),
                                           ("谢谢侬", False)])
def test_a_goodbye(text: str, bye: bool) -> None:
    assert says_goodbye(text) is bye


@pytest.mark.parametrize(("text", "building", "others"), [
    ("9号楼和10号楼的楼道灯都坏了", 10, (9,)), ("9号楼、10号楼、11号楼电梯都停了", 11, (9, 10)),
    ("我住9号楼，10号楼门口的路灯坏了", 10, ()), ("不是9号楼是10号楼", 10, ()),
    ("9号楼和10号楼之间的路灯坏了", 10, ())])
def test_the_same_problem_in_several_buildings(text: str, building: int,
                                               others: tuple[int, ...]) -> None:
    place = read_place(text)
    assert (place.building, place.others) == (building, others)
