"""Bot fixtures: the Bot API emulator on loopback and an aiogram Bot pointed at it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.redis import RedisStorage

from bot.chats import link_chat
from bot.emulator import BotApiEmulator, EmulatedUser
from support_desk.core.messages import CustomerMessage
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork
from tests import backends

TOKEN = "424242:AAH-test-token-for-the-emulator"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A database of our own: other suites truncate theirs while ours run."""
    return backends.prepare_postgres(backends.worker_database(backends.PG_BASE_DB + "_bot"))


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.url))
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    yield bot
    await bot.session.close()


@pytest.fixture(scope="session")
def texts() -> Texts:
    return Texts()


async def linked_user(
    tx: Transactor, emulator: BotApiEmulator, customer_id: int, language: str = "en"
) -> EmulatedUser:
    """A Telegram user whose chat is linked to `customer_id`."""
    user = emulator.user(10_000 + customer_id, f"User{customer_id}")
    await tx.run(link_chat, customer_id, user.id, user.id, language)
    return user


async def notify(
    tx: Transactor, customer_id: int | None, kind: CustomerMessage | str, **payload: object
) -> int:
    """Queue one message: a typed one, or (the transitional path) a kind and its payload."""

    async def write(uow: UnitOfWork) -> int:
        uow.notify(customer_id, kind, **payload)  # type: ignore[arg-type, call-overload]
        await uow.session.flush()
        return uow.notified[0].id

    return await tx.run(write)


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    # Redis databases 15, 14, ... : one per pytest-xdist worker, since each flushes its own; a
    # second run on the same machine starts lower (SUPPORT_DESK_TEST_REDIS_DB=11 takes 11, 10).
    worker = int(backends.WORKER.removeprefix("gw") or 0)
    first = int(os.environ.get("SUPPORT_DESK_TEST_REDIS_DB", "15"))
    url = os.environ.get("SUPPORT_DESK_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{first - worker}")
    storage = RedisStorage.from_url(url)
    try:
        await storage.redis.ping()
    except (OSError, ConnectionError) as exc:
        await storage.close()
        message = f"Redis is not reachable at {url}: {exc}"
        if backends.require("redis"):
            pytest.fail(message + " (SUPPORT_DESK_REQUIRE_REDIS=1)")
        pytest.skip(message)
    await storage.redis.flushdb()
    yield url
    await storage.redis.flushdb()
    await storage.close()
