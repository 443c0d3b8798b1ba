"""The offline demo survives a restart: two demo servers, one after the other, on one database
file; the second shows the first one's conversation and answers the next message (its update
ids go on from the first one's, so the inbox takes it as new)."""

from __future__ import annotations

import asyncio
import contextlib
import re

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.demo import DEMO_USER_ID
from bot.emulator import BotApiEmulator
from bot.emulator.saved import restore, snapshot
from bot.emulator.world import Document
from bot.models import InboxRow
from support_desk import cli
from support_desk.core.settings import Settings
from support_desk.migrations import upgrade

CHAT = f"/chat/{DEMO_USER_ID}"
BOT_BUBBLE = re.compile(r'<li class="message bot"')


async def _started(capsys: pytest.CaptureFixture[str]) -> str:
    printed = ""
    async with asyncio.timeout(60):
        while (found := re.search(r"customer at (http://\S+?)/?\n", printed)) is None:
            await asyncio.sleep(0.05)
            printed += capsys.readouterr().out
    return found.group(1)


async def _bot_messages(http: aiohttp.ClientSession, chat: str, at_least: int) -> str:
    """The live part of the chat once the bot has sent `at_least` messages."""
    async with asyncio.timeout(30):
        while True:
            async with http.get(f"{chat}{CHAT}/messages") as page:
                html = await page.text()
            if len(BOT_BUBBLE.findall(html)) >= at_least:
                return html
            await asyncio.sleep(0.2)


async def _post(http: aiohttp.ClientSession, chat: str, action: str, **form: str) -> None:
    headers = {"Origin": chat}
    async with http.post(f"{chat}{CHAT}/{action}", data=form, headers=headers) as answer:
        assert answer.status == 200, await answer.text()  # after the 303 back to the chat


@contextlib.asynccontextmanager
async def _demo(settings: Settings, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    task = asyncio.create_task(cli._serve(settings))
    try:
        yield await _started(capsys)
    finally:
        task.cancel()  # what Ctrl-C does to the served task
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_restarted_demo_shows_the_conversation_and_answers_the_next_message(
    database_url: str, engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a SQLite file and on PostgreSQL (`engine` empties the latter afterwards)."""
    url = database_url
    settings = Settings(database_url=url, bot_token=None, http_port=0, demo_chat_port=0)
    await asyncio.to_thread(upgrade, url)
    async with aiohttp.ClientSession() as http:
        async with _demo(settings, capsys) as chat:
            await _post(http, chat, "send", text="/start")
            await _post(http, chat, "contact")
            before = await _bot_messages(http, chat, 2)  # the answer to /start, one welcome
        bot_said = len(BOT_BUBBLE.findall(before))

        async with _demo(settings, capsys) as chat:
            shown = await _bot_messages(http, chat, bot_said)
            assert "/start" in shown and "Alex" in shown
            await _post(http, chat, "send", text="/invoices")
            after = await _bot_messages(http, chat, bot_said + 1)

    assert "/invoices" in after
    async with engine.connect() as conn:
        updates = await conn.scalar(select(func.count(func.distinct(InboxRow.update_id))))
    assert updates == 3  # /start, the contact, /invoices: none dropped as a repeat


async def test_the_saved_chat_keeps_messages_buttons_documents_and_numbering() -> None:
    async with BotApiEmulator("1:t") as first:
        alex = first.user(7, "Alex")
        alex.send("/invoices")
        markup = {"inline_keyboard": [[{"text": "Undo", "callback_data": "undo:1"}]]}
        first.world.add_message(7, from_bot=True, text="Credit note CN-1", reply_markup=markup)
        pdf = first.world.new_file_id()
        document = Document(pdf, "CN-1.pdf", "application/pdf", b"%PDF-1.4 demo")
        first.world.add_message(7, from_bot=True, document=document, caption="CN-1")
        first.webchat.sources[(7, 2)] = "<b>Credit note</b> CN-1"
        saved = snapshot(first.world, first.webchat, first.feed)
        last_update = first.world.last_update_id

    async with BotApiEmulator("1:t") as second:
        restore(second.world, second.webchat, second.feed, saved)
        again = second.user(7)
        texts = [m.text or m.caption for m in again.visible()]
        assert texts == ["/invoices", "Credit note CN-1", "CN-1"]
        assert again.visible()[1].buttons()[0]["callback_data"] == "undo:1"
        kept = again.visible()[2].document
        assert kept is not None and kept.content == b"%PDF-1.4 demo"
        assert second.webchat.page(again)["items"][1].body == "<b>Credit note</b> CN-1"
        assert again.send("next")["update_id"] == last_update + 1
        assert again.visible()[-1].message_id == 4
        assert second.world.new_file_id() != pdf
        assert [u["message"]["text"] for u in saved["pending"]] == ["/invoices"]  # unfetched
