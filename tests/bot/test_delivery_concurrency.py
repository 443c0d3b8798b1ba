"""Two delivery workers on one outbox: every row is sent exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from aiogram import Bot
from sqlalchemy import func, select

from bot.chats import link_chat
from bot.emulator import BotApiEmulator
from bot.transport.delivery import DeliveryPolicy, DeliveryWorker
from bot.transport.ratelimit import RateLimiter
from bot.transport.render import Renderer
from support_desk.core.outbox import OutboxRow
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork
from tests.bot.test_delivery import FAST

CUSTOMERS = 100
MESSAGES = 1_000


async def _fill(uow: UnitOfWork) -> None:
    for n in range(MESSAGES):
        uow.notify(n % CUSTOMERS + 1, "x", text=f"message {n}")


async def _link_all(uow: UnitOfWork) -> None:
    for customer in range(1, CUSTOMERS + 1):
        await link_chat(uow, customer, 10_000 + customer, 10_000 + customer)


@pytest.mark.slow
async def test_t8_two_workers_deliver_each_of_1000_rows_exactly_once(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    for customer in range(1, CUSTOMERS + 1):
        emulator.user(10_000 + customer, f"User{customer}")
    await tx.run(_link_all)
    await tx.run(_fill)
    workers = [
        DeliveryWorker(tx, bot, Renderer(texts), RateLimiter(FAST), DeliveryPolicy(batch=40))
        for _ in range(2)
    ]

    await asyncio.gather(*(worker.drain() for worker in workers))

    sent = Counter(
        m.text for messages in emulator.world.chats.values() for m in messages if m.from_bot
    )
    assert len(sent) == MESSAGES
    assert set(sent.values()) == {1}
    assert len(emulator.calls("sendMessage")) == MESSAGES

    async def statuses(uow: UnitOfWork) -> dict[str, int]:
        rows = await uow.session.execute(
            select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        )
        return {str(status): int(count) for status, count in rows.all()}  # noqa: C416

    assert await tx.read(statuses) == {"sent": MESSAGES}
