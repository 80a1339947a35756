"""Outbox recipients reach the right person on the right platform."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.channels.delivery import ChannelDeliverer
from bot.db.database import Database
from bot.db.unit_of_work import UnitOfWork
from bot.kb.model import Knowledge
from bot.messages import DeliveryError, Reply
from bot.tickets.outbox import OutboxSender


class RecordingSender:
    """A ChannelSender that keeps what it was given (or refuses everything)."""

    def __init__(self, platform: str, refuse: bool = False) -> None:
        self.platform = platform
        self.refuse = refuse
        self.sent: list[tuple[str, Reply]] = []

    async def send(self, user_id: str, reply: Reply, key: str) -> None:
        if self.refuse:
            raise DeliveryError(f"{self.platform} is down")
        self.sent.append((user_id, reply))


async def test_a_notification_carries_the_buttons_stored_with_it(
        knowledge: Knowledge, database: Database) -> None:
    async with UnitOfWork(database.sessions) as uow:
        uow.outbox.add("R0012:created:leader:张秀英", "leader:张秀英", "新报修 R0012",
                       ("接单 R0012", "查看 R0012"))
        uow.outbox.add("R0012:progress:x", "leader:张秀英", "R0012 进展")
        await uow.commit()
    wecom = RecordingSender("wecom")
    deliver = ChannelDeliverer(lambda: UnitOfWork(database.sessions), knowledge.roster,
                               {"wecom": wecom})
    sender = OutboxSender(lambda: UnitOfWork(database.sessions), deliver)
    await sender.deliver_due(dt.datetime.now(dt.UTC))
    assert [r.actions for _, r in wecom.sent] == [("接单 R0012", "查看 R0012"), ()]


async def test_each_kind_of_recipient_is_reached(knowledge: Knowledge, database: Database
                                                 ) -> None:
    async with UnitOfWork(database.sessions) as uow:
        resident = await uow.residents.get_or_create("telegram", "7001")
        await uow.commit()
    wecom, telegram, robot = (RecordingSender("wecom"), RecordingSender("telegram"),
                              RecordingSender("wecom_robot"))
    deliver = ChannelDeliverer(lambda: UnitOfWork(database.sessions), knowledge.roster,
                               {"wecom": wecom, "telegram": telegram, "wecom_robot": robot},
                               {"9号楼": "-100200300"})
    await deliver.send(f"resident:{resident.id}", Reply("R0001 已处理", actions=("1", "2")),
                       "R0001:3:done")
    await deliver.send("leader:张秀英", Reply("新报修 R0002", actions=("接单 R0002", "查看 R0002")),
                       "R0002:created:leader:张秀英")
    await deliver.send("staff:王建华", Reply("超时"), "R0002:escalate:王建华")
    await deliver.send("group:9号楼", Reply("已处理"), "R0001:3:done:group")
    assert telegram.sent[0][0] == "7001" and telegram.sent[0][1].actions == ("1", "2")
    assert [u for u, _ in wecom.sent] == ["zhangxiuying", "wangjianhua"]
    assert wecom.sent[0][1].actions == ("接单 R0002", "查看 R0002")
    assert robot.sent[0][0] == "9号楼"
    with pytest.raises(DeliveryError, match="no configured channel"):
        await deliver.send("leader:没有这个人", Reply("x"), "k")


async def test_a_platform_that_fails_falls_through_to_the_next(
        knowledge: Knowledge, database: Database) -> None:
    robot, telegram = RecordingSender("wecom_robot", refuse=True), RecordingSender("telegram")
    deliver = ChannelDeliverer(lambda: UnitOfWork(database.sessions), knowledge.roster,
                               {"wecom_robot": robot, "telegram": telegram},
                               {"9号楼": "-100200300"})
    await deliver.send("group:9号楼", Reply("通知"), "broadcast:1:9号楼")
    assert telegram.sent[0][0] == "-100200300"
    robot_only = ChannelDeliverer(lambda: UnitOfWork(database.sessions), knowledge.roster,
                                  {"wecom_robot": robot})
    with pytest.raises(DeliveryError, match="wecom_robot is down"):
        await robot_only.send("group:9号楼", Reply("通知"), "broadcast:2:9号楼")
