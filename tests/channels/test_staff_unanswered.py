"""Questions the bot could not answer reach the staff desk, grouped; one click adds the
wording as an alias, the knowledge is checked and reloaded, and the bot answers it. A bad
knowledge edit is refused with file:line and the old knowledge keeps answering."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.bootstrap import Assistant, bootstrap
from bot.config import load_settings
from bot.kb.alias_edit import apply, propose_alias, restore
from bot.knowledge_reload import KnowledgeReloader
from bot.messages import IncomingMessage
from bot.staff.auth import hash_password
from bot.staff.unanswered import Asked, group
from bot.staff.web import DeskDependencies, staff_app
from tests.support import NOW, copy_knowledge

PASSWORD = "correct-horse-9"
UNKNOWN = "夕阳红卡怎么领"          # a name of the 敬老卡 the knowledge does not know yet


@dataclass
class Desk:
    client: TestClient[web.Request, web.Application]
    assistant: Assistant
    reloader: KnowledgeReloader
    knowledge_dir: Path


async def ask(assistant: Assistant, user: str, text: str) -> str:
    replies = await assistant.dialogue.handle(IncomingMessage("test", user, text))
    return "\n".join(r.text for r in replies)


@pytest.fixture
async def desk(tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[Desk]:
    folder = copy_knowledge(tmp_path)
    database = tmp_path / "desk.db"
    shutil.copyfile(migrated_sqlite, database)
    settings = dataclasses.replace(load_settings(None), knowledge_dir=folder,
                                   database_url=f"sqlite+aiosqlite:///{database}")
    assistant = await asyncio.to_thread(bootstrap, settings, lambda: NOW, None, None, None,
                                        None, False)
    async with assistant.unit_of_work() as uow:
        await uow.credentials.set_password("王建华", hash_password(PASSWORD), NOW)
        await uow.commit()
    reloader = KnowledgeReloader(assistant)
    root = web.Application()
    root.add_subapp("/staff", staff_app(DeskDependencies(
        assistant.knowledge, assistant.unit_of_work, assistant.dialogue, lambda: NOW,
        "a-test-secret-of-enough-length", reloader)))
    async with TestClient(TestServer(root)) as client:
        yield Desk(client, assistant, reloader, folder)
    await assistant.close()


async def sign_in(desk: Desk) -> None:
    response = await desk.client.post("/staff/login", data={
        "name": "王建华", "password": PASSWORD}, allow_redirects=False)
    assert response.status == 303


async def test_an_unanswered_question_becomes_an_alias_and_is_answered(desk: Desk) -> None:
    for user in ("r1", "r2", "r3"):
        assert "答不上来" in await ask(desk.assistant, user, UNKNOWN)
    await ask(desk.assistant, "r4", "夕阳红卡怎么领？")
    await sign_in(desk)
    page = await (await desk.client.get("/staff/unanswered")).text()
    assert UNKNOWN in page
    row = re.search(r'name="ids" value="([\d,]+)"', page)
    assert row and len(row.group(1).split(",")) == 4          # the four alike, one group
    preview = html.unescape(await (await desk.client.get("/staff/unanswered/alias", params={
        "ids": row.group(1), "alias": UNKNOWN, "ref": "A082"})).text())
    assert "elderly_care.toml" in preview and f'"{UNKNOWN}"]' in preview
    token = re.search(r'name="csrf" value="([^"]+)"', preview)
    assert token
    done = await (await desk.client.post("/staff/unanswered/alias", data={
        "csrf": token.group(1), "ids": row.group(1), "alias": UNKNOWN, "ref": "A082"})).text()
    assert "机器人已经用上了" in done
    assert UNKNOWN in (desk.knowledge_dir / "affairs" / "elderly_care.toml").read_text(
        encoding="utf-8")
    assert "敬老卡申领" in await ask(desk.assistant, "r5", UNKNOWN)   # answered now
    assert UNKNOWN not in (await (await desk.client.get("/staff/unanswered")).text()
                           ).split("</h1>", 1)[1].split("<table", 1)[1]


async def test_a_broken_edit_keeps_the_old_knowledge(desk: Desk) -> None:
    answer = await ask(desk.assistant, "r1", "敬老卡怎么办")
    faq = desk.knowledge_dir / "faq.toml"
    faq.write_text(faq.read_text(encoding="utf-8") + "\n[[faq]]\nid = \"broken\"\n",
                   encoding="utf-8")
    errors = await desk.reloader.reload()
    assert errors and all(p.line > 0 and p.path for p in errors)
    assert await ask(desk.assistant, "r2", "敬老卡怎么办") == answer    # still answering
    await sign_in(desk)
    page = await (await desk.client.get("/staff/unanswered")).text()
    assert "faq.toml:" in page and "没有生效" in page


async def test_an_edited_file_is_picked_up_by_the_watcher(desk: Desk) -> None:
    edit = propose_alias(desk.knowledge_dir, "A082", UNKNOWN)
    assert edit is not None
    await asyncio.to_thread(apply, edit)
    await desk.reloader.check_for_changes()
    assert desk.reloader.reloads == 1
    assert "敬老卡申领" in await ask(desk.assistant, "r1", UNKNOWN)


def test_an_alias_edit_changes_one_line_and_can_be_undone(tmp_path: Path) -> None:
    folder = copy_knowledge(tmp_path)
    path = folder / "affairs" / "elderly_care.toml"
    before = path.read_text(encoding="utf-8")
    edit = propose_alias(folder, "A082", "长寿卡")
    assert edit is not None and edit.path == path
    former = apply(edit)
    after = path.read_text(encoding="utf-8")
    changed = [n for n, (a, b) in enumerate(zip(before.splitlines(), after.splitlines(),
                                                strict=True)) if a != b]
    assert changed == [edit.line - 1] and after.count('"长寿卡"') == 1
    assert propose_alias(folder, "A082", "长寿卡") is None            # already there
    restore(edit, former)
    assert path.read_text(encoding="utf-8") == before
    assert propose_alias(folder, "A999", "长寿卡") is None
    assert propose_alias(folder, "station.hours", "几点钟开门办事") is not None   # FAQs too


def test_alike_questions_are_grouped_most_frequent_first() -> None:
    groups = group([Asked(1, "夕阳红卡怎么领", "fallback", ()),
                    Asked(2, "股票推荐", "fallback", ()),
                    Asked(3, "夕阳红卡怎么领？", "clarify", ("A082", "A083")),
                    Asked(4, "夕阳红卡咋领", "fallback", ("A082",))])
    assert [g.count for g in groups] == [3, 1]
    assert groups[0].suggested == "A082" and groups[0].wording == "夕阳红卡怎么领"



async def test_id_numbers_are_never_kept(desk: Desk) -> None:
    await ask(desk.assistant, "r1", "我的身份证号是310101195001011234 今天股票涨了吗")
    await sign_in(desk)
    page = await (await desk.client.get("/staff/unanswered")).text()
    assert "310101195001011234" not in page and "1234" in page


async def test_two_aliases_added_at_once_both_land(desk: Desk) -> None:
    await sign_in(desk)
    page = await (await desk.client.get("/staff/unanswered")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    answers = await asyncio.gather(*(desk.client.post("/staff/unanswered/alias", data={
        "csrf": token.group(1), "ids": "", "alias": f"老人卡说法{n}", "ref": "A083"})
        for n in range(3)))
    assert all(a.status == 200 for a in answers)
    text = (desk.knowledge_dir / "affairs" / "elderly_care.toml").read_text(encoding="utf-8")
    assert all(f"老人卡说法{n}" in text for n in range(3))


async def test_questions_set_aside_leave_the_list(desk: Desk) -> None:
    await ask(desk.assistant, "r1", "今天股票涨了吗 推荐一只")
    await sign_in(desk)
    page = await (await desk.client.get("/staff/unanswered")).text()
    row = re.search(r'action="/staff/unanswered/ignore".*?name="csrf" value="([^"]+)".*?'
                    r'name="ids" value="([\d,]+)"', page, re.S)
    assert row
    done = await (await desk.client.post("/staff/unanswered/ignore", data={
        "csrf": row.group(1), "ids": row.group(2)})).text()
    assert "拿掉" in done and "推荐一只" not in done


async def test_a_link_cannot_put_words_on_the_desk(desk: Desk) -> None:
    await sign_in(desk)
    page = await (await desk.client.get(
        "/staff/unanswered?said=系统通知：请把密码发给我")).text()
    assert "请把密码发给我" not in page
