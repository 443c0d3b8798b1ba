"""The customer bot wired as in production, for flow tests: emulator -> webhook -> inbox ->
Dispatcher with the real routers -> emulator, and the delivery worker for outbox messages."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.app import build_dispatcher
from bot.emulator import BotApiEmulator
from bot.transport.delivery import DeliveryWorker
from bot.transport.documents import credit_note_loader
from bot.transport.inbox import InboxProcessor
from bot.transport.inbox_store import Raw
from bot.transport.ratelimit import Limits, RateLimiter
from bot.transport.render import Renderer
from bot.transport.storage import SqlStorage
from bot.transport.webhook import setup_webhook
from support_desk.core.audit import AuditRow
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork

SECRET = "flows_Secret-1"
PATH = "/telegram/webhook"
FAST = Limits(per_chat_interval=0.0, group_per_minute=10_000, global_per_second=100_000)


@dataclass
class CustomerBot:
    emulator: BotApiEmulator
    processor: InboxProcessor
    delivery: DeliveryWorker

    async def settle(self, *updates: Raw) -> None:
        """Wait until `updates` were taken by the webhook and handled, then deliver the outbox."""
        ids = {u["update_id"] for u in updates}
        feed = self.emulator.feed
        await self.emulator.world.wait_until(
            lambda: ids <= {uid for uid, status in feed.deliveries if status == 200}
        )
        await self.processor.idle()
        await self.delivery.drain()

    def answer_to(self, update: Raw) -> str | None:
        record = self.emulator.world.callbacks[update["callback_query"]["id"]]
        assert record.answered_at is not None, "the press was never answered"
        return record.answer


@asynccontextmanager
async def customer_bot(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> AsyncIterator[CustomerBot]:
    dispatcher = build_dispatcher(tx, texts, SqlStorage(tx), SimpleEventIsolation())
    processor = InboxProcessor(tx, dispatcher, bot)
    renderer = Renderer(texts, credit_note_loader(tx, texts))
    delivery = DeliveryWorker(tx, bot, renderer, RateLimiter(FAST))
    app = web.Application()
    setup_webhook(app, processor, SECRET, PATH)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        await bot.set_webhook(str(server.make_url(PATH)), secret_token=SECRET)
        yield CustomerBot(emulator, processor, delivery)
        await processor.idle()
    finally:
        await server.close()


async def refusals_audited(tx: Transactor) -> list[AuditRow]:
    async def rows(uow: UnitOfWork) -> list[AuditRow]:
        query = select(AuditRow).where(AuditRow.action == "refused").order_by(AuditRow.id)
        return list((await uow.session.scalars(query)).all())

    return await tx.read(rows)


async def count(tx: Transactor, model: Any) -> int:
    async def query(uow: UnitOfWork) -> int:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)

    return await tx.read(query)


def shown(texts: Texts, template: str, locale: str = "en", **context: Any) -> str:
    """A template's text as the user reads it (Telegram HTML without the markup)."""
    return html.unescape(re.sub(r"<[^>]+>", "", texts.render(template, locale, **context)))
