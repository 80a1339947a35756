"""A fake Telegram Bot API on 127.0.0.1 for protocol tests: answers what the adapter calls,
records every call, and can be told to refuse (429 with retry_after, 403 for a chat)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token_for-the-fake-api"
BOT_ID = 123456
BOT_USERNAME = "yizhan_bot"
MAX_TEXT_CHARS = 4096
MAX_CALLBACK_BYTES = 64
LONG_POLL_CAP = 0.5          # seconds a getUpdates with nothing queued is held open


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call as PTB posted it: the method and its form fields (nested as JSON)."""

    method: str
    params: dict[str, str]

    def json(self, name: str) -> Any:
        """A field PTB sent JSON-encoded (reply_markup, allowed_updates), decoded."""
        return json.loads(self.params[name])

    @property
    def chat_id(self) -> str:
        """The chat the call is about."""
        return self.params["chat_id"]

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button sent, row by row."""
        if "reply_markup" not in self.params:
            return []
        rows = self.json("reply_markup")["inline_keyboard"]
        return [(button["text"], button["callback_data"]) for row in rows for button in row]


@dataclass(frozen=True)
class Failure:
    """An error answer the fake gives instead of success."""

    status: int
    description: str
    retry_after: int | None = None

    def body(self) -> dict[str, Any]:
        """The Bot API error object."""
        answer: dict[str, Any] = {"ok": False, "error_code": self.status,
                                  "description": self.description}
        if self.retry_after is not None:
            answer["parameters"] = {"retry_after": self.retry_after}
        return answer


class FakeBotApi:
    """The fake server. `base_url` goes to PTB's `base_url` (or YIZHAN_TELEGRAM_API_BASE)."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[ApiCall] = []
        self._failures: dict[str, list[Failure]] = {}
        self._forbidden_chats: set[str] = set()
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._message_ids = itertools.count(1000)
        self._runner: web.AppRunner | None = None
        self._port = 0

    async def start(self) -> None:
        """Listen on 127.0.0.1 at a free port."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """The API base, e.g. http://127.0.0.1:PORT/bot."""
        return f"http://127.0.0.1:{self._port}/bot"

    def fail_next(self, method: str, failure: Failure, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with an error."""
        self._failures.setdefault(method, []).extend([failure] * times)

    def forbid_chat(self, chat_id: int) -> None:
        """sendMessage to this chat gets 403 (the user never started the bot)."""
        self._forbidden_chats.add(str(chat_id))

    def queue_update(self, update: dict[str, Any]) -> None:
        """An update for the next getUpdates."""
        self._updates.append(update)
        self._new_update.set()

    def of(self, method: str) -> list[ApiCall]:
        """The successful calls of one method, in order."""
        return [call for call in self.calls if call.method == method]

    @property
    def sent(self) -> list[ApiCall]:
        """The messages delivered (sendMessage calls that succeeded)."""
        return self.of("sendMessage")

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until `method` has succeeded `count` times (bounded, for polling tests)."""
        async with asyncio.timeout(timeout):
            while len(self.of(method)) < count:
                self._new_call.clear()
                await self._new_call.wait()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(Failure(401, "Unauthorized").body(), status=401)
        method = request.match_info["method"]
        form = await request.post()
        params = {key: str(value) for key, value in form.items()}
        failure = self._failure(method, params)
        if failure is not None:
            return web.json_response(failure.body(), status=failure.status)
        answer = self._answers().get(method)
        if answer is None:
            return web.json_response(Failure(404, "Not Found").body(), status=404)
        result = await answer(params)
        self.calls.append(ApiCall(method, params))
        self._new_call.set()
        return web.json_response({"ok": True, "result": result})

    def _failure(self, method: str, params: dict[str, str]) -> Failure | None:
        queued = self._failures.get(method)
        if queued:
            return queued.pop(0)
        if method != "sendMessage":
            return None
        if params.get("chat_id") in self._forbidden_chats:
            return Failure(403, "Forbidden: bot can't initiate conversation with a user")
        if not params.get("text", "").strip():
            return Failure(400, "Bad Request: message text is empty")
        if len(params["text"]) > MAX_TEXT_CHARS:
            return Failure(400, "Bad Request: message is too long")
        call = ApiCall(method, params)
        if any(len(data.encode()) > MAX_CALLBACK_BYTES for _, data in call.buttons):
            return Failure(400, "Bad Request: BUTTON_DATA_INVALID")
        return None

    def _answers(self) -> dict[str, Callable[[dict[str, str]], Any]]:
        return {"getMe": self._get_me, "sendMessage": self._send_message,
                "answerCallbackQuery": self._true, "editMessageReplyMarkup": self._true,
                "editMessageText": self._true, "setWebhook": self._true,
                "deleteWebhook": self._true, "getUpdates": self._get_updates}

    async def _get_me(self, params: dict[str, str]) -> dict[str, Any]:
        return bot_user()

    async def _true(self, params: dict[str, str]) -> bool:
        return True

    async def _send_message(self, params: dict[str, str]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": bot_user(), "text": params["text"]}

    async def _get_updates(self, params: dict[str, str]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", "0"))
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and float(params.get("timeout", "0")) > 0:
            self._new_update.clear()
            try:
                async with asyncio.timeout(LONG_POLL_CAP):
                    await self._new_update.wait()
            except TimeoutError:
                pass
        return list(self._updates)


def bot_user() -> dict[str, Any]:
    """The bot as getMe describes it."""
    return {"id": BOT_ID, "is_bot": True, "first_name": "驿站助手", "username": BOT_USERNAME,
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}


def person(user_id: int, name: str = "居民") -> dict[str, Any]:
    """A resident as Telegram describes them."""
    return {"id": user_id, "is_bot": False, "first_name": name}


def private_chat(user_id: int) -> dict[str, Any]:
    """The private chat with a user (same id as the user)."""
    return {"id": user_id, "type": "private", "first_name": "居民"}


def group_chat(chat_id: int = -100200300) -> dict[str, Any]:
    """A supergroup."""
    return {"id": chat_id, "type": "supergroup", "title": "幸福里驿站"}


def message_update(update_id: int, user_id: int, text: str, chat: dict[str, Any] | None = None,
                   entities: list[dict[str, Any]] | None = None, **extra: Any
                   ) -> dict[str, Any]:
    """An update carrying a message (private chat unless `chat` is given)."""
    message: dict[str, Any] = {"message_id": update_id + 5000, "date": int(time.time()),
                               "chat": chat or private_chat(user_id), "from": person(user_id),
                               **extra}
    if text:
        message["text"] = text
    if entities:
        message["entities"] = entities
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, user_id: int, data: str, chat: dict[str, Any] | None = None,
                    message_id: int = 1000) -> dict[str, Any]:
    """An update carrying a button press on one of the bot's messages."""
    message = {"message_id": message_id, "date": int(time.time()),
               "chat": chat or private_chat(user_id), "from": bot_user(), "text": "请选择"}
    return {"update_id": update_id,
            "callback_query": {"id": f"q{update_id}", "from": person(user_id),
                               "chat_instance": "ci-1", "data": data, "message": message}}
