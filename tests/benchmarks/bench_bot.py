"""Bot transport benchmark: webhook POST at the emulator -> reply back at the emulator.

Runs, in one process and one run, two bots behind the same emulator and real loopback HTTP:
  ceiling  aiogram's own SimpleRequestHandler, MemoryStorage, a trivial echo handler;
  product  our webhook -> inbox (SQL) -> Dispatcher with SQL FSM storage and event isolation,
           an echo handler that also writes FSM data (the real database-touching path).
Each of U users sends its next message when the reply to the previous one arrived (closed loop).
Prints updates/s, p50/p99 latency, CPU seconds per 1,000 updates, and product/ceiling ratios.

    python tests/benchmarks/bench_bot.py [updates_per_run=2000] [users=1,100] [database_url]

The emulator, the bot and the load share the process (and its CPU): figures are relative.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import build_dispatcher
from bot.emulator import BotApiEmulator, EmulatedUser
from bot.transport.inbox import InboxProcessor
from bot.transport.storage import SqlStorage
from bot.transport.webhook import setup_webhook
from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from support_desk.migrations import upgrade

TOKEN = "777000:benchmark-token"
SECRET = "bench_secret"
PATH = "/telegram/webhook"


def echo_router(touch_fsm: bool) -> Router:
    router = Router()

    if touch_fsm:

        @router.message()
        async def echo_fsm(message: Message, state: FSMContext) -> None:
            await state.update_data(last=message.text)
            await message.answer(message.text or "")

    else:

        @router.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text or "")

    return router


@asynccontextmanager
async def ceiling_bot(bot: Bot, tx: Transactor) -> AsyncIterator[str]:
    dispatcher = Dispatcher()
    dispatcher.include_router(echo_router(touch_fsm=False))
    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=SECRET).register(app, path=PATH)
    async with serving(app) as url:
        yield url


@asynccontextmanager
async def product_bot(bot: Bot, tx: Transactor) -> AsyncIterator[str]:
    dispatcher = build_dispatcher(
        tx, Texts(), SqlStorage(tx), SimpleEventIsolation(), [echo_router(touch_fsm=True)]
    )
    processor = InboxProcessor(tx, dispatcher, bot)
    app = web.Application()
    setup_webhook(app, processor, SECRET, PATH)
    stop = asyncio.Event()
    sweeper = asyncio.create_task(processor.run_sweeper(stop))  # retries, as in production
    async with serving(app) as url:
        yield url
    stop.set()
    await sweeper
    await processor.idle()


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url(PATH))
    finally:
        await server.close()


@dataclass
class Result:
    rate: float
    p50: float
    p99: float
    cpu_per_1000: float


async def load(emulator: BotApiEmulator, users: int, per_user: int, base_id: int) -> Result:
    people = [emulator.user(base_id + n, f"U{n}") for n in range(users)]
    latencies: list[float] = []

    async def converse(person: EmulatedUser) -> None:
        for i in range(per_user):
            update_id = person.send(f"m{i}")["update_id"]
            replies = await person.wait_for_messages(i + 1, timeout=60)
            latencies.append(replies[i].received_at - emulator.feed.first_posted[update_id])

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(converse(person) for person in people))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    total = users * per_user
    quantiles = statistics.quantiles(latencies, n=100)
    return Result(total / elapsed, quantiles[49] * 1000, quantiles[98] * 1000, cpu / total * 1000)


async def run_case(
    make: Callable[[Bot, Transactor], AbstractAsyncContextManager[str]],
    tx: Transactor,
    users: int,
    per_user: int,
    base_id: int,
) -> Result:
    async with BotApiEmulator(TOKEN) as emulator:
        # every case shares one database: its update ids must not repeat an earlier case's
        emulator.world.continue_update_ids_from(base_id * 100)  # 1,000,000 a case
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.url)))
        try:
            async with make(bot, tx) as url:
                await bot.set_webhook(url, secret_token=SECRET, max_connections=100)
                return await load(emulator, users, per_user, base_id)
        finally:
            await bot.session.close()


async def main(total: int, user_counts: list[int], database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)
    engine = make_engine(database_url)
    tx = Transactor(engine, SystemClock(), Settings(database_url=database_url))
    gc.freeze()  # aiogram's import-time objects out of every collection (docs/performance.md)
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  db: {engine.dialect.name}")
    print(f"{'users':>5} {'path':<22} {'upd/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cpu s/1k':>9}")
    base = 1_000_000
    for users in user_counts:
        per_user = max(1, total // users)
        results = {}
        for name, make in (
            ("ceiling (aiogram echo)", ceiling_bot),
            ("inbox + SQL FSM", product_bot),
        ):
            base += 10_000
            results[name] = result = await run_case(make, tx, users, per_user, base)
            print(
                f"{users:>5} {name:<22} {result.rate:>8.0f} {result.p50:>8.1f} "
                f"{result.p99:>8.1f} {result.cpu_per_1000:>9.2f}"
            )
        ceiling, product = results.values()
        print(
            f"{users:>5} {'ratio product/ceiling':<22} {product.rate / ceiling.rate:>8.2f} "
            f"{product.p50 / ceiling.p50:>8.2f} {product.p99 / ceiling.p99:>8.2f} "
            f"{product.cpu_per_1000 / ceiling.cpu_per_1000:>9.2f}"
        )
    await engine.dispose()


if __name__ == "__main__":
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    users = [int(u) for u in (sys.argv[2] if len(sys.argv) > 2 else "1,100").split(",")]
    url = sys.argv[3] if len(sys.argv) > 3 else ""
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(main(total, users, url or f"sqlite+aiosqlite:///{directory}/bench.db"))
