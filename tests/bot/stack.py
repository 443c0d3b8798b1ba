"""A bot wired as in production (webhook -> inbox -> Dispatcher), around test-only routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import build_dispatcher
from bot.transport.inbox import InboxPolicy, InboxProcessor
from bot.transport.storage import SqlStorage
from bot.transport.webhook import setup_webhook
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor

SECRET = "s3cret_Token-42"
PATH = "/telegram/webhook"


class Survey(StatesGroup):
    odd = State()
    even = State()


@dataclass
class Effects:
    """What the handlers did, in order: the tests' view of side effects."""

    seen: list[int] = field(default_factory=list)
    fail_first: set[int] = field(default_factory=set)


def test_router(effects: Effects) -> Router:
    router = Router(name="transport-test")

    @router.message(Command("menu"))
    async def menu(message: Message) -> None:
        button = InlineKeyboardButton(text="Ping", callback_data="ping")
        await message.answer("menu", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]))

    @router.callback_query(F.data == "ping")
    async def ping(query: CallbackQuery) -> None:
        effects.seen.append(-1)

    @router.message()
    async def step(message: Message, state: FSMContext) -> None:
        """A two-state flow that counts: a lost or reordered update shows in `n` and `m<n>`."""
        if message.message_id in effects.fail_first:
            effects.fail_first.discard(message.message_id)
            raise RuntimeError("injected failure mid-handler")
        effects.seen.append(message.message_id)
        n = int((await state.get_data()).get("n", 0)) + 1
        await state.update_data({"n": n, f"m{n}": message.text})
        await state.set_state(Survey.even if n % 2 == 0 else Survey.odd)
        await message.answer(f"{n}:{message.text}")

    return router


@dataclass
class Stack:
    processor: InboxProcessor
    server: TestServer
    storage: BaseStorage
    effects: Effects

    @property
    def url(self) -> str:
        return str(self.server.make_url(PATH))


@asynccontextmanager
async def running_stack(
    tx: Transactor,
    bot: Bot,
    effects: Effects | None = None,
    storage: BaseStorage | None = None,
    isolation: BaseEventIsolation | None = None,
    **policy: Any,
) -> AsyncIterator[Stack]:
    effects = effects or Effects()
    storage = storage or SqlStorage(tx)
    dispatcher = build_dispatcher(
        tx, Texts(), storage, isolation or SimpleEventIsolation(), [test_router(effects)]
    )
    processor = InboxProcessor(tx, dispatcher, bot, InboxPolicy(**policy))
    app = web.Application()
    setup_webhook(app, processor, SECRET, PATH)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield Stack(processor, server, storage, effects)
        await processor.idle()
    finally:
        await server.close()
