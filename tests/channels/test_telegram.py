"""The Telegram adapter against a fake Bot API on loopback: webhook, groups, buttons, limits."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.base import ChannelSender
from bot.channels.inbox import MessageInbox
from bot.channels.telegram import START_PRIVATE_CHAT, ChatPacer, TelegramChannel
from bot.channels.telegram_settings import SECRET_HEADER, TelegramSettings
from bot.config import ConfigError
from bot.log_redaction import install_redaction, secrets_in
from bot.messages import DeliveryError, IncomingMessage, Reply
from tests.channels.fake_telegram import (
    BOT_ID,
    BOT_USERNAME,
    TOKEN,
    Failure,
    FakeBotApi,
    callback_update,
    group_chat,
    message_update,
)

SECRET = "webhook_Secret-123"
ALICE, BOB = 7001, 7002
GROUP = group_chat(-100200300)


class FakeClock:
    """Monotonic seconds that move only when something sleeps on them."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Record the wait and jump ahead."""
        self.slept.append(seconds)
        self.now += seconds


class RecordingCore:
    """A stand-in for the core: records messages, answers like the core (only when addressed)."""

    def __init__(self) -> None:
        self.messages: list[IncomingMessage] = []
        self.answer: Callable[[IncomingMessage], list[Reply]] = (
            lambda m: [Reply(f"收到：{m.text}")] if m.addressed else [])

    async def __call__(self, message: IncomingMessage) -> list[Reply]:
        self.messages.append(message)
        return self.answer(message)


class Harness:
    """A started channel on the fake API, its webhook served by a test client."""

    def __init__(self, api: FakeBotApi, core: RecordingCore, channel: TelegramChannel,
                 client: TestClient[web.Request, web.Application], clock: FakeClock) -> None:
        self.api, self.core, self.channel, self.client, self.clock = (
            api, core, channel, client, clock)

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        """POST an update to the webhook; the status."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        response = await self.client.post(self.channel.route, json=update, headers=headers)
        return response.status

    async def deliver(self, update: dict[str, Any]) -> None:
        """POST an update and wait until the channel has processed it."""
        assert await self.post(update) == 200
        await self.channel.join()


def settings(api: FakeBotApi, **options: Any) -> TelegramSettings:
    """Webhook settings pointing at the fake API."""
    return TelegramSettings(token=TOKEN, secret=SECRET, api_base=api.base_url, **options)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def harness(api: FakeBotApi) -> AsyncIterator[Harness]:
    core, clock = RecordingCore(), FakeClock()
    channel = TelegramChannel(settings(api), core, pacer=ChatPacer(clock=clock, sleep=clock.sleep),
                              sleep=clock.sleep)
    await channel.start()
    app = web.Application()
    channel.add_routes(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield Harness(api, core, channel, client, clock)
    await client.close()
    await channel.stop()


def mention(text: str, handle: str = f"@{BOT_USERNAME}") -> dict[str, Any]:
    """A mention entity for `handle` inside `text` (offsets in UTF-16 code units)."""
    offset = len(text[:text.index(handle)].encode("utf-16-le")) // 2
    return {"type": "mention", "offset": offset, "length": len(handle)}


def command(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram puts on a message starting with /."""
    return [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]


# --- webhook protocol ----------------------------------------------------------------------

@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
async def test_webhook_without_the_right_secret_is_refused(harness: Harness,
                                                           secret: str | None) -> None:
    assert await harness.post(message_update(1, ALICE, "你好"), secret=secret) == 403
    await harness.channel.join()
    assert harness.core.messages == []
    assert harness.api.sent == []


async def test_webhook_rejects_bad_json_and_oversized_bodies(harness: Harness) -> None:
    headers = {SECRET_HEADER: SECRET}
    route = harness.channel.route
    assert (await harness.client.post(route, data=b"{not json", headers=headers)).status == 400
    assert (await harness.client.post(route, data=b"[1, 2]", headers=headers)).status == 400
    huge = b'{"update_id": 1, "x": "' + b"a" * 300_000 + b'"}'
    assert (await harness.client.post(route, data=huge, headers=headers)).status == 413
    assert harness.core.messages == []


@pytest.mark.parametrize("body", [
    b"[" * 100_000,                                           # deeper than json can nest
    b'{"update_id": "abc", "message": "x"}',                  # the SDK cannot read it
    b'{"update_id": 5, "message": "x"}',
    b'{"update_id": 5, "message": {"chat": 1}}',
    b'{"message": {"text": "hi"}}',                           # no update_id
    b'{"update_id": 1.5}',
    b'{"update_id": true}',
])
async def test_malformed_updates_get_a_4xx_never_a_500(harness: Harness, body: bytes) -> None:
    response = await harness.client.post(harness.channel.route, data=body,
                                         headers={SECRET_HEADER: SECRET})
    assert 400 <= response.status < 500
    await harness.channel.join()
    assert harness.core.messages == []
    # and the channel still works
    await harness.deliver(message_update(9, ALICE, "你好"))
    assert [m.text for m in harness.core.messages] == ["你好"]


async def test_default_route_is_derived_from_the_token_without_showing_it(
        api: FakeBotApi) -> None:
    route = settings(api).route
    assert route == "/telegram/" + hashlib.sha256(TOKEN.encode()).hexdigest()[:32]
    assert TOKEN not in route
    assert settings(api, webhook_path="station-7_x").route == "/telegram/station-7_x"


async def test_the_same_update_fifty_times_reaches_the_core_once(harness: Harness) -> None:
    update = message_update(42, ALICE, "今日菜单")
    statuses = await asyncio.gather(*(harness.post(update) for _ in range(50)))
    await harness.channel.join()
    assert set(statuses) == {200}
    assert len(harness.core.messages) == 1
    assert len(harness.api.sent) == 1


async def test_one_persons_messages_reach_the_core_in_order(harness: Harness) -> None:
    gate, bob_arrived = asyncio.Event(), asyncio.Event()

    async def slow_for_alice(message: IncomingMessage) -> list[Reply]:
        harness.core.messages.append(message)
        if message.user_id == str(BOB):
            bob_arrived.set()
        elif message.text == "我要报修":
            await gate.wait()
        return []

    channel = TelegramChannel(settings(harness.api), slow_for_alice)
    await channel.start()
    app = web.Application()
    channel.add_routes(app)
    async with TestClient(TestServer(app)) as client:
        for update_id, user, text in [(1, ALICE, "我要报修"), (2, ALICE, "5栋"), (3, BOB, "你好")]:
            response = await client.post(channel.route, json=message_update(update_id, user, text),
                                         headers={SECRET_HEADER: SECRET})
            assert response.status == 200
        await bob_arrived.wait()
        assert [m.text for m in harness.core.messages] == ["我要报修", "你好"]
        gate.set()
        await channel.join()
    await channel.stop()
    assert [m.text for m in harness.core.messages] == ["我要报修", "你好", "5栋"]


async def test_private_message_reaches_the_core_and_the_reply_goes_back(
        harness: Harness) -> None:
    await harness.deliver(message_update(10, ALICE, "今天有什么菜"))
    [message] = harness.core.messages
    assert (message.platform, message.user_id, message.text, message.kind) == (
        "telegram", str(ALICE), "今天有什么菜", "text")
    assert message.chat_id is None and message.addressed
    assert message.message_id == "10"
    assert message.session_key == f"telegram:{ALICE}"
    [sent] = harness.api.sent
    assert sent.chat_id == str(ALICE)
    assert sent.params["text"] == "收到：今天有什么菜"
    assert "parse_mode" not in sent.params and "reply_markup" not in sent.params


async def test_commands_map_to_the_core_words(harness: Harness) -> None:
    for update_id, text in enumerate(["/start", "/report@yizhan_bot 3楼漏水", "/mytickets",
                                      "/weather\n明天"], start=20):
        await harness.deliver(message_update(update_id, ALICE, text, entities=command(text)))
    assert [m.text for m in harness.core.messages] == [
        "你好", "我要报修 3楼漏水", "我的工单", "weather 明天"]


async def test_photo_and_voice_become_image_and_voice(harness: Harness) -> None:
    photo = [{"file_id": f"photo-{size}", "file_unique_id": f"u{size}", "width": size,
              "height": size} for size in (90, 1280, 320)]
    await harness.deliver(message_update(30, ALICE, "", photo=photo, caption="楼道灯坏了"))
    voice = {"file_id": "voice-1", "file_unique_id": "v1", "duration": 3}
    await harness.deliver(message_update(31, ALICE, "", voice=voice))
    assert [(m.kind, m.text) for m in harness.core.messages] == [
        ("image", "photo-1280"), ("voice", "")]


# --- groups --------------------------------------------------------------------------------

async def test_group_message_not_addressed_reaches_the_core_but_nothing_is_sent(
        harness: Harness) -> None:
    await harness.deliver(message_update(50, ALICE, "今天天气不错", chat=GROUP))
    [message] = harness.core.messages
    assert not message.addressed
    assert message.chat_id == str(GROUP["id"])
    assert harness.api.sent == []


async def test_group_mention_addresses_the_bot_and_is_stripped(harness: Harness) -> None:
    text = f"@{BOT_USERNAME} 我要报修"
    await harness.deliver(message_update(51, ALICE, text, chat=GROUP, entities=[mention(text)]))
    [message] = harness.core.messages
    assert message.addressed and message.text == "我要报修"
    [sent] = harness.api.sent
    assert sent.chat_id == str(GROUP["id"])


async def test_mention_after_astral_characters_is_cut_at_the_right_place(
        harness: Harness) -> None:
    text = f"🙏🙏 请问 @{BOT_USERNAME.upper()} 几点开门"
    await harness.deliver(message_update(52, ALICE, text, chat=GROUP,
                                         entities=[mention(text, f"@{BOT_USERNAME.upper()}")]))
    [message] = harness.core.messages
    assert message.addressed and message.text == "🙏🙏 请问  几点开门"


async def test_text_mention_of_the_bot_addresses_it(harness: Harness) -> None:
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "驿站助手"}
    entity = {"type": "text_mention", "offset": 0, "length": 4, "user": bot}
    await harness.deliver(message_update(57, ALICE, "驿站助手 帮助", chat=GROUP, entities=[entity]))
    [message] = harness.core.messages
    assert message.addressed and message.text == "帮助"


async def test_mention_of_someone_else_does_not_address_the_bot(harness: Harness) -> None:
    text = "@someone_else 你好"
    await harness.deliver(message_update(53, ALICE, text, chat=GROUP,
                                         entities=[mention(text, "@someone_else")]))
    [message] = harness.core.messages
    assert not message.addressed and message.text == text


async def test_reply_to_the_bot_addresses_it(harness: Harness) -> None:
    bots_message = {"message_id": 900, "date": 0, "chat": GROUP,
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "驿站助手"},
                    "text": "请问哪栋楼？"}
    await harness.deliver(message_update(54, ALICE, "5栋", chat=GROUP,
                                         reply_to_message=bots_message))
    [message] = harness.core.messages
    assert message.addressed and message.text == "5栋"


async def test_group_commands_address_the_bot_unless_meant_for_another(
        harness: Harness) -> None:
    await harness.deliver(message_update(55, ALICE, "/menu", chat=GROUP,
                                         entities=command("/menu")))
    await harness.deliver(message_update(56, ALICE, "/menu@other_bot", chat=GROUP,
                                         entities=command("/menu@other_bot")))
    [message] = harness.core.messages
    assert message.addressed and message.text == "今日菜单"


async def test_two_users_in_one_group_have_distinct_sessions(harness: Harness) -> None:
    await harness.deliver(message_update(60, ALICE, "1", chat=GROUP))
    await harness.deliver(message_update(61, BOB, "1", chat=GROUP))
    alice, bob = harness.core.messages
    assert alice.chat_id == bob.chat_id == str(GROUP["id"])
    assert alice.session_key != bob.session_key
    assert alice.session_key == f"telegram:{GROUP['id']}:{ALICE}"


async def test_private_reply_in_a_group_goes_to_the_user_and_403_is_tolerated(
        harness: Harness) -> None:
    harness.core.answer = lambda m: [Reply("工单详情（私聊）", private=True), Reply("已私信您")]
    text = f"@{BOT_USERNAME} 我的工单"
    await harness.deliver(message_update(70, ALICE, text, chat=GROUP, entities=[mention(text)]))
    assert [(s.chat_id, s.params["text"]) for s in harness.api.sent] == [
        (str(ALICE), "工单详情（私聊）"), (str(GROUP["id"]), "已私信您")]

    harness.api.forbid_chat(BOB)
    await harness.deliver(message_update(71, BOB, text, chat=GROUP, entities=[mention(text)]))
    # Bob never opened the bot: the group is told how to get the details, then the note
    assert [(s.chat_id, s.params["text"]) for s in harness.api.sent[2:]] == [
        (str(GROUP["id"]), START_PRIVATE_CHAT), (str(GROUP["id"]), "已私信您")]


# --- buttons -------------------------------------------------------------------------------

async def test_choices_become_an_inline_keyboard(harness: Harness) -> None:
    menu = Reply("请选择：\n1. 报修\n2. 微心愿", choices=("报修", "微心愿"))
    harness.core.answer = lambda m: [menu]
    await harness.deliver(message_update(80, ALICE, "帮助"))
    [sent] = harness.api.sent
    assert sent.buttons == [("报修", "1"), ("微心愿", "2")]


async def test_actions_become_buttons_and_oversized_ones_are_skipped(harness: Harness) -> None:
    too_long = "接单 " + "长" * 30
    harness.core.answer = lambda m: [Reply("新工单 R0012", actions=("接单 R0012", too_long,
                                                                  "完成 R0012"))]
    await harness.deliver(message_update(81, ALICE, "工单"))
    [sent] = harness.api.sent
    assert sent.buttons == [("接单 R0012", "接单 R0012"), ("完成 R0012", "完成 R0012")]


async def test_button_press_is_answered_and_fed_to_the_core(harness: Harness) -> None:
    await harness.deliver(callback_update(90, ALICE, "2", chat=GROUP, message_id=1234))
    [answered] = harness.api.of("answerCallbackQuery")
    assert answered.params["callback_query_id"] == "q90"
    [edited] = harness.api.of("editMessageReplyMarkup")
    assert (edited.chat_id, edited.params["message_id"]) == (str(GROUP["id"]), "1234")
    [message] = harness.core.messages
    assert (message.user_id, message.text, message.chat_id, message.message_id) == (
        str(ALICE), "2", str(GROUP["id"]), "cb:q90")
    assert message.addressed
    [sent] = harness.api.sent
    assert (sent.chat_id, sent.params["text"]) == (str(GROUP["id"]), "收到：2")


async def test_button_press_still_reaches_the_core_when_answering_fails(
        harness: Harness) -> None:
    harness.api.fail_next("answerCallbackQuery", Failure(400, "Bad Request: query is too old"))
    await harness.deliver(callback_update(91, ALICE, "接单 R0012"))
    assert [m.text for m in harness.core.messages] == ["接单 R0012"]
    assert len(harness.api.sent) == 1


# --- limits and the outbox sender ------------------------------------------------------------

async def test_long_text_is_split_within_4096_characters(harness: Harness) -> None:
    text = "通知" * 5000
    harness.core.answer = lambda m: [Reply(text, choices=("知道了",))]
    await harness.deliver(message_update(100, ALICE, "通知"))
    pieces = [s.params["text"] for s in harness.api.sent]
    assert len(pieces) == 3
    assert all(len(piece) <= 4096 for piece in pieces)
    assert "".join(pieces) == text
    assert [bool(s.buttons) for s in harness.api.sent] == [False, False, True]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB's own RetryAfter internals
async def test_sender_honours_a_short_retry_after(harness: Harness) -> None:
    harness.api.fail_next("sendMessage", Failure(429, "Too Many Requests: retry after 3", 3))
    sender: ChannelSender = harness.channel.sender
    assert sender.platform == "telegram"
    await sender.send(str(ALICE), Reply("您的工单已完成"), key="outbox-1")
    assert 3.0 in harness.clock.slept
    [sent] = harness.api.sent
    assert sent.params["text"] == "您的工单已完成"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB's own RetryAfter internals
async def test_sender_gives_up_on_a_long_retry_after(harness: Harness) -> None:
    harness.api.fail_next("sendMessage", Failure(429, "Too Many Requests: retry after 120", 120))
    with pytest.raises(DeliveryError):
        await harness.channel.sender.send(str(ALICE), Reply("提醒"), key="outbox-2")
    assert 120.0 not in harness.clock.slept
    assert harness.api.sent == []


async def test_sender_turns_refusals_into_delivery_errors(harness: Harness) -> None:
    harness.api.forbid_chat(BOB)
    with pytest.raises(DeliveryError):
        await harness.channel.sender.send(str(BOB), Reply("提醒"), key="outbox-3")
    await harness.channel.sender.send(str(GROUP["id"]), Reply("新工单", actions=("接单 R1",)),
                                      key="outbox-4")
    [sent] = harness.api.sent
    assert sent.chat_id == str(GROUP["id"]) and sent.buttons == [("接单 R1", "接单 R1")]


def test_pacer_spaces_messages_per_chat_and_per_group() -> None:
    clock = FakeClock()
    pacer = ChatPacer(clock=clock, sleep=clock.sleep)
    assert [pacer.reserve("7001") for _ in range(3)] == [0.0, 1.0, 2.0]
    assert pacer.reserve("7002") == 0.0
    group = [pacer.reserve("-100200300") for _ in range(21)]
    assert group[:20] == [float(n) for n in range(20)]
    assert group[20] == 60.0
    clock.now = 100.0
    assert pacer.reserve("-100200300") == 0.0


async def test_stop_cancels_updates_still_running_after_the_grace_period(
        api: FakeBotApi) -> None:
    started, never = asyncio.Event(), asyncio.Event()

    async def stuck_core(message: IncomingMessage) -> list[Reply]:
        started.set()
        await never.wait()
        return []

    channel = TelegramChannel(settings(api), stuck_core, drain_seconds=0.01)
    await channel.start()
    app = web.Application()
    channel.add_routes(app)
    async with TestClient(TestServer(app)) as client:
        response = await client.post(channel.route, json=message_update(1, ALICE, "你好"),
                                     headers={SECRET_HEADER: SECRET})
        assert response.status == 200
        await started.wait()
        await channel.stop()
        response = await client.post(channel.route, json=message_update(2, ALICE, "你好"),
                                     headers={SECRET_HEADER: SECRET})
        assert response.status == 503


async def test_start_sets_the_webhook_with_the_secret(api: FakeBotApi) -> None:
    channel = TelegramChannel(settings(api, webhook_url="https://station.example.org:8443/"),
                              RecordingCore())
    await channel.start()
    await channel.stop()
    [call] = api.of("setWebhook")
    assert call.params["url"] == "https://station.example.org:8443" + channel.route
    assert call.params["secret_token"] == SECRET
    assert call.json("allowed_updates") == ["message", "callback_query"]


# --- polling -------------------------------------------------------------------------------

async def test_polling_mode_gets_updates_through_get_updates(api: FakeBotApi) -> None:
    core = RecordingCore()
    polling = TelegramSettings(token=TOKEN, api_base=api.base_url, mode="polling")
    channel = TelegramChannel(polling, core)
    app = web.Application()
    channel.add_routes(app)
    assert len(app.router.routes()) == 0
    await channel.start()
    try:
        api.queue_update(message_update(500, ALICE, "今日菜单"))
        await api.wait_for("sendMessage")
    finally:
        await channel.stop()
    assert [m.text for m in core.messages] == ["今日菜单"]
    assert api.sent[0].params["text"] == "收到：今日菜单"


# --- configuration -------------------------------------------------------------------------

ENV = {"YIZHAN_TELEGRAM_TOKEN": TOKEN, "YIZHAN_TELEGRAM_SECRET": SECRET}


def test_off_without_token_or_table() -> None:
    assert TelegramSettings.from_env({}, {}) is None
    assert TelegramSettings.from_env(ENV, {"enabled": False}) is None


def test_on_with_a_token_and_reads_the_environment() -> None:
    env = {**ENV, "YIZHAN_TELEGRAM_API_BASE": "http://127.0.0.1:9/bot"}
    found = TelegramSettings.from_env(env, {"webhook_path": "abc"})
    assert found is not None
    assert (found.token, found.secret, found.api_base, found.mode, found.route) == (
        TOKEN, SECRET, "http://127.0.0.1:9/bot", "webhook", "/telegram/abc")
    assert TOKEN not in repr(found) and SECRET not in repr(found)


def test_polling_needs_no_webhook_secret() -> None:
    found = TelegramSettings.from_env({"YIZHAN_TELEGRAM_TOKEN": TOKEN}, {"mode": "polling"})
    assert found is not None and found.mode == "polling" and found.secret is None


@pytest.mark.parametrize(("env", "table", "named"), [
    ({}, {"enabled": True}, "YIZHAN_TELEGRAM_TOKEN"),
    ({"YIZHAN_TELEGRAM_TOKEN": TOKEN}, {}, "YIZHAN_TELEGRAM_SECRET"),
    ({**ENV, "YIZHAN_TELEGRAM_SECRET": "has space"}, {}, "YIZHAN_TELEGRAM_SECRET"),
    ({**ENV, "YIZHAN_TELEGRAM_SECRET": "x" * 257}, {}, "YIZHAN_TELEGRAM_SECRET"),
    (ENV, {"token": TOKEN}, "YIZHAN_TELEGRAM_TOKEN"),
    (ENV, {"mode": "carrier-pigeon"}, "mode"),
    (ENV, {"enabled": "yes"}, "enabled"),
    (ENV, {"colour": "blue"}, "colour"),
    (ENV, {"webhook_path": "../etc"}, "webhook_path"),
    (ENV, {"webhook_url": "http://station.example.org"}, "webhook_url"),
    (ENV, {"webhook_url": "https://station.example.org:8080"}, "webhook_url"),
    ({**ENV, "YIZHAN_TELEGRAM_API_BASE": "ftp://x"}, {}, "YIZHAN_TELEGRAM_API_BASE"),
])
def test_configuration_errors_name_what_is_wrong(env: dict[str, str], table: dict[str, Any],
                                                 named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        TelegramSettings.from_env(env, table)


async def test_the_bot_token_never_reaches_the_log(api: FakeBotApi,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    undo = install_redaction(secrets_in({"YIZHAN_TELEGRAM_TOKEN": TOKEN,
                                         "YIZHAN_TELEGRAM_SECRET": SECRET}))
    try:
        caplog.set_level(logging.DEBUG)
        core, clock = RecordingCore(), FakeClock()
        channel = TelegramChannel(settings(api), core,
                                  pacer=ChatPacer(clock=clock, sleep=clock.sleep),
                                  sleep=clock.sleep)
        await channel.start()
        app = web.Application()
        channel.add_routes(app)
        async with TestClient(TestServer(app)) as client:
            harness = Harness(api, core, channel, client, clock)
            await harness.deliver(message_update(1, ALICE, "你好"))
            api.fail_next("sendMessage", Failure(400, "Bad Request: chat not found"))
            await harness.deliver(message_update(2, ALICE, "再问一个"))
        await channel.stop()
        logging.getLogger("anything").error("calling %s/bot%s/sendMessage", api.base_url, TOKEN)
        try:
            raise RuntimeError(f"failed on /bot{TOKEN}/getMe?secret={SECRET}")
        except RuntimeError:
            logging.getLogger("anything").exception("request failed")
        assert api.sent                                   # the bot did talk to the API
        logged = caplog.text + "".join(r.getMessage() + (r.exc_text or "")
                                       for r in caplog.records)
        assert TOKEN not in logged and TOKEN.split(":")[1] not in logged
        assert SECRET not in logged
        assert "***" in logged
    finally:
        undo()


class StuckCore(RecordingCore):
    """A core that takes the message and never answers (its worker is about to die)."""

    async def __call__(self, message: IncomingMessage) -> list[Reply]:
        self.messages.append(message)
        await asyncio.Event().wait()
        return []


async def test_an_update_answered_200_survives_the_worker_dying(api: FakeBotApi,
                                                                tmp_path: Path) -> None:
    """Telegram never resends an update it got 200 for: the update is on disk first, and the
    next worker answers it."""
    clock = FakeClock()
    dying_inbox = MessageInbox(tmp_path, "worker-a")
    dying = TelegramChannel(settings(api), StuckCore(),
                            pacer=ChatPacer(clock=clock, sleep=clock.sleep), sleep=clock.sleep,
                            inbox=dying_inbox, drain_seconds=0.1)
    await dying.start()
    app = web.Application()
    dying.add_routes(app)
    async with TestClient(TestServer(app)) as client:
        response = await client.post(dying.route, json=message_update(41, ALICE, "9号楼灯坏了"),
                                     headers={SECRET_HEADER: SECRET})
        assert response.status == 200
    dying_inbox.close()                           # kill -9: the journal stays, unlocked
    core = RecordingCore()
    after = TelegramChannel(settings(api), core, pacer=ChatPacer(clock=clock, sleep=clock.sleep),
                            sleep=clock.sleep, inbox=MessageInbox(tmp_path, "worker-b"))
    await after.start()
    assert [m.text for m in core.messages] == ["9号楼灯坏了"]
    assert any("收到：9号楼灯坏了" in str(call) for call in api.sent)
    await after.stop()
    await dying.stop()
