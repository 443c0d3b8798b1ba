"""Bot transport benchmark: webhook POST at the emulator -> reply back at the emulator.

Runs, in one process and one run, bots behind the same emulator and real loopback HTTP:
  ceiling  aiogram's own SimpleRequestHandler, MemoryStorage, a trivial echo handler;
  product  our webhook -> inbox (SQL) -> Dispatcher with SQL FSM storage and event isolation,
           an echo handler that also writes FSM data (the real database-touching path);
  taps     our webhook -> inbox -> the product's real routers against a seeded database: a
           linked customer sends /invoices, opens the invoice, taps "Cancel invoice", "Yes,
           cancel it" (the cancellation, its credit note delivered with its PDF by the
           delivery worker) and "Undo cancellation", again and again (1 user).
Three loads:
  closed   each of U users sends its next message when the reply to the previous one arrived;
  open     Poisson arrivals at R updates/s spread over U users, whatever the replies do
           (latency from the update's creation, so queueing counts), --rate R1,R2;
  taps     the customer's taps one after the other; CPU per tap (handler alone, and with the
           outbox messages it caused delivered), beside the echo's CPU per update.
Prints updates/s, p50/p99/max latency, CPU ms per update, and product/ceiling ratios.

    python tests/benchmarks/bench_bot.py [updates=2000] [users=1,100] [database_url]
        [--rate 30,60] [--seconds 10] [--cycles 20] [--only closed,open,taps] [--no-gc-freeze]

The emulator, the bot and the load share the process (and its CPU): figures are relative.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

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
from bot.chats import link_chat
from bot.emulator import BotApiEmulator, ChatMessage, EmulatedUser
from bot.money_callbacks import ListCD
from bot.transport.delivery import DeliveryWorker
from bot.transport.documents import credit_note_loader
from bot.transport.inbox import InboxProcessor
from bot.transport.ratelimit import Limits, RateLimiter
from bot.transport.render import Renderer
from bot.transport.storage import SqlStorage
from bot.transport.webhook import setup_webhook
from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from support_desk.migrations import upgrade
from tests.factories import line, make_customer, make_invoice

TOKEN = "777000:benchmark-token"
SECRET = "bench_secret"
PATH = "/telegram/webhook"
FAST = Limits(per_chat_interval=0.0, group_per_minute=10_000, global_per_second=100_000)


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


@dataclass
class Running:
    url: str
    processor: InboxProcessor | None = None
    delivery: DeliveryWorker | None = None


@asynccontextmanager
async def ceiling_bot(bot: Bot, tx: Transactor) -> AsyncIterator[Running]:
    dispatcher = Dispatcher()
    dispatcher.include_router(echo_router(touch_fsm=False))
    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=SECRET).register(app, path=PATH)
    async with serving(app) as url:
        yield Running(url)


@asynccontextmanager
async def inbox_bot(
    bot: Bot, tx: Transactor, routers: list[Router] | None, delivery: bool = False
) -> AsyncIterator[Running]:
    texts = Texts()
    dispatcher = build_dispatcher(tx, texts, SqlStorage(tx), SimpleEventIsolation(), routers)
    processor = InboxProcessor(tx, dispatcher, bot)
    app = web.Application()
    setup_webhook(app, processor, SECRET, PATH)
    stop = asyncio.Event()
    sweeper = asyncio.create_task(processor.run_sweeper(stop))  # retries, as in production
    worker = None
    if delivery:
        renderer = Renderer(texts, credit_note_loader(tx, texts))
        worker = DeliveryWorker(tx, bot, renderer, RateLimiter(FAST))
    async with serving(app) as url:
        yield Running(url, processor, worker)
    stop.set()
    await sweeper
    await processor.idle()


def product_bot(bot: Bot, tx: Transactor) -> AbstractAsyncContextManager[Running]:
    return inbox_bot(bot, tx, [echo_router(touch_fsm=True)])


def taps_bot(bot: Bot, tx: Transactor) -> AbstractAsyncContextManager[Running]:
    return inbox_bot(bot, tx, None, delivery=True)  # the product's own routers


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url(PATH))
    finally:
        await server.close()


class GcClock:
    """Seconds spent in garbage collections so far (gc.callbacks)."""

    spent = 0.0
    _started = 0.0

    @classmethod
    def tick(cls, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            cls._started = time.perf_counter()
        else:
            cls.spent += time.perf_counter() - cls._started


gc.callbacks.append(GcClock.tick)


@dataclass
class Result:
    rate: float
    p50: float
    p99: float
    worst: float
    cpu_per_update: float  # ms
    gc_per_update: float = 0.0  # ms


def rank(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted `ordered` (never above its maximum)."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary(
    latencies: list[float], count: int, elapsed: float, cpu: float, gc_spent: float
) -> Result:
    ordered = sorted(latencies)
    return Result(
        count / elapsed,
        rank(ordered, 0.50) * 1000,
        rank(ordered, 0.99) * 1000,
        ordered[-1] * 1000,
        cpu / count * 1000,
        (GcClock.spent - gc_spent) / count * 1000,
    )


def has(chat: list[ChatMessage], count: int) -> bool:
    return len(chat) >= count


async def closed_loop(
    emulator: BotApiEmulator, running: Running, users: int, per_user: int, base_id: int
) -> Result:
    people = [emulator.user(base_id + n, f"U{n}") for n in range(users)]
    latencies: list[float] = []

    async def converse(person: EmulatedUser) -> None:
        chat = emulator.world.chats.setdefault(person.id, [])  # both sides, in order

        for i in range(per_user):
            update_id = person.send(f"m{i}")["update_id"]
            # the reply is the chat's (2i+2)-th message (counted, not filtered: O(1) a check)
            await emulator.world.wait_until(partial(has, chat, 2 * i + 2), timeout=60)
            reply = chat[2 * i + 1]
            latencies.append(reply.received_at - emulator.feed.first_posted[update_id])

    cpu, started, gc_spent = time.process_time(), time.perf_counter(), GcClock.spent
    await asyncio.gather(*(converse(person) for person in people))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return summary(latencies, users * per_user, elapsed, cpu, gc_spent)


async def open_loop(
    emulator: BotApiEmulator,
    running: Running,
    users: int,
    rate: float,
    seconds: float,
    base_id: int,
) -> Result:
    """Poisson arrivals at `rate`/s, each from a user drawn at random; latency from the update's
    creation to its reply, so time spent queueing anywhere counts."""
    people = [emulator.user(base_id + n, f"U{n}") for n in range(users)]
    chats = [emulator.world.chats.setdefault(p.id, []) for p in people]  # both sides
    chance = random.Random(base_id)  # the same arrivals for every path
    sent: dict[str, float] = {}
    count = int(rate * seconds)
    cpu, started, gc_spent = time.process_time(), time.perf_counter(), GcClock.spent
    deadline = time.monotonic()
    for n in range(count):
        deadline += chance.expovariate(rate)
        if (wait := deadline - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        text = f"o{n}"
        sent[text] = time.monotonic()
        chance.choice(people).send(text)
    await emulator.world.wait_until(lambda: sum(map(len, chats)) >= 2 * count, timeout=600)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    latencies = [m.received_at - sent[m.text or ""] for p in people for m in p.received()]
    return summary(latencies, count, elapsed, cpu, gc_spent)


TAPS = (
    "/invoices",
    "back to the list",
    "open invoice",
    "Cancel invoice",
    "Yes, cancel it",
    "Undo cancellation",
)
BACK = ListCD(page=1).pack()


@dataclass
class TapResult:
    latency: list[float]  # s, webhook POST -> the handler's last Bot API call
    cpu_handler: list[float]  # s, POST -> the inbox idle
    cpu_total: list[float]  # s, with the outbox messages the tap caused delivered


async def taps(
    emulator: BotApiEmulator, running: Running, tx: Transactor, cycles: int, base_id: int
) -> dict[str, TapResult]:
    """One linked customer with an unpaid invoice, tapping through it `cycles` times."""
    assert running.processor is not None and running.delivery is not None
    processor, delivery = running.processor, running.delivery
    customer = await make_customer(tx)
    await make_invoice(tx, customer, line(1000))
    user = emulator.user(base_id, "Tapper")
    await tx.run(link_chat, customer.id, user.id, user.id, "en")
    results = {name: TapResult([], [], []) for name in TAPS}
    world, feed = emulator.world, emulator.feed

    def now(message: ChatMessage) -> ChatMessage:
        current = world.find(message.chat_id, message.message_id)
        assert current is not None
        return current

    async def tap(name: str, make: Callable[[], dict[str, Any]]) -> None:
        cpu, calls = time.process_time(), len(world.calls)
        update = make()
        uid = update["update_id"]
        await world.wait_until(lambda: any(u == uid and s == 200 for u, s in feed.deliveries))
        await processor.idle()
        handled = time.process_time()
        replies = [c.at for c in world.calls[calls:] if c.method != "answerCallbackQuery"]
        await delivery.drain()
        done = time.process_time()
        result = results[name]
        result.latency.append(max(replies, default=time.monotonic()) - feed.first_posted[uid])
        result.cpu_handler.append(handled - cpu)
        result.cpu_total.append(done - cpu)

    await tap("/invoices", partial(user.send, "/invoices"))  # once: commands are throttled
    listing = user.received()[-1]
    for cycle in range(cycles):
        if cycle:  # from the invoice's page back to the list (the same message, edited)
            await tap("back to the list", partial(user.press, BACK, now(listing)))
        opened = now(listing).buttons()[0]["callback_data"]
        await tap("open invoice", partial(user.press, opened, now(listing)))
        for label in TAPS[3:]:
            await tap(label, partial(user.press, label))
    return results


async def run_case(
    make: Callable[[Bot, Transactor], AbstractAsyncContextManager[Running]],
    tx: Transactor,
    base_id: int,
    load: Callable[[BotApiEmulator, Running], Awaitable[Any]],
) -> Any:
    async with BotApiEmulator(TOKEN) as emulator:
        # every case shares one database: its update ids must not repeat an earlier case's
        emulator.world.continue_update_ids_from(base_id * 100)  # 1,000,000 a case
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.url)))
        try:
            async with make(bot, tx) as running:
                await bot.set_webhook(running.url, secret_token=SECRET, max_connections=100)
                return await load(emulator, running)
        finally:
            await bot.session.close()


PATHS = (("ceiling (aiogram echo)", ceiling_bot), ("inbox + SQL FSM", product_bot))
HEADER = (
    f"{'users':>5} {'path':<24} {'upd/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
    f"{'cpu ms':>7} {'gc ms':>6}"
)


def row(users: int, name: str, r: Result) -> str:
    return (
        f"{users:>5} {name:<24} {r.rate:>7.0f} {r.p50:>8.1f} {r.p99:>8.1f} {r.worst:>8.1f} "
        f"{r.cpu_per_update:>7.2f} {r.gc_per_update:>6.3f}"
    )


async def main(args: argparse.Namespace) -> None:
    database_url = args.database_url
    await asyncio.to_thread(upgrade, database_url)
    engine = make_engine(database_url)
    tx = Transactor(engine, SystemClock(), Settings(database_url=database_url))
    if args.gc_freeze:  # start-up's objects out of every collection, as `support-desk run` does
        gc.collect()
        gc.freeze()
    print(f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  db: {engine.dialect.name}")
    base = 1_000_000
    echo_cpu: float | None = None
    if "closed" in args.only:
        print("closed loop: the next message once the reply arrived")
        print(HEADER)
        for users in args.users:
            per_user = max(1, args.updates // users)
            results = []
            for name, make in PATHS:
                base += 10_000
                load = partial(closed_loop, users=users, per_user=per_user, base_id=base)
                result = await run_case(make, tx, base, load)
                results.append(result)
                print(row(users, name, result))
            ceiling, product = results
            if users == 1:
                echo_cpu = ceiling.cpu_per_update
            print(
                f"{users:>5} {'ratio product/ceiling':<24} {product.rate / ceiling.rate:>7.2f} "
                f"{product.p50 / ceiling.p50:>8.2f} {product.p99 / ceiling.p99:>8.2f} "
                f"{product.worst / ceiling.worst:>8.2f} "
                f"{product.cpu_per_update / ceiling.cpu_per_update:>7.2f}"
            )
    if "open" in args.only:
        print(f"open loop: Poisson arrivals, {args.seconds:g} s per case")
        print(f"{'rate':>5} " + HEADER)
        for users in args.users:
            for rate in args.rate:
                for name, make in PATHS:
                    base += 10_000
                    load = partial(
                        open_loop, users=users, rate=rate, seconds=args.seconds, base_id=base
                    )
                    result = await run_case(make, tx, base, load)
                    print(f"{rate:>5g} " + row(users, name, result))
    if "taps" in args.only:
        if echo_cpu is None:
            base += 10_000
            load = partial(closed_loop, users=1, per_user=300, base_id=base)
            ceiling = await run_case(ceiling_bot, tx, base, load)
            echo_cpu = ceiling.cpu_per_update
        base += 10_000
        tapping = partial(taps, tx=tx, cycles=args.cycles, base_id=base)
        results = await run_case(taps_bot, tx, base, tapping)
        print(
            f"a customer's taps, 1 user, {args.cycles} cycles; echo CPU {echo_cpu:.2f} ms/update"
        )
        print(
            f"{'tap':<20} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'cpu ms':>7} "
            f"{'+outbox':>8} {'echo/tap cpu':>12}"
        )
        for name, r in results.items():
            lat = sorted(r.latency)
            handler = statistics.median(r.cpu_handler) * 1000
            total = statistics.median(r.cpu_total) * 1000
            print(
                f"{name:<20} {rank(lat, 0.5) * 1000:>8.1f} {rank(lat, 0.99) * 1000:>8.1f} "
                f"{lat[-1] * 1000:>8.1f} {handler:>7.1f} {total:>8.1f} {echo_cpu / handler:>12.3f}"
            )
    await engine.dispose()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("updates", nargs="?", type=int, default=2000)
    parser.add_argument("users", nargs="?", default="1,100")
    parser.add_argument("database_url", nargs="?", default="")
    parser.add_argument("--rate", default="30,60", help="open loop: updates/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="open loop: per case")
    parser.add_argument("--cycles", type=int, default=20, help="taps: cycles of taps")
    parser.add_argument("--only", default="closed,open,taps")
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false")
    args = parser.parse_args(argv)
    args.users = [int(u) for u in args.users.split(",")]
    args.rate = [float(r) for r in args.rate.split(",")]
    args.only = set(args.only.split(","))
    return args


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    with tempfile.TemporaryDirectory() as directory:
        if not arguments.database_url:
            arguments.database_url = f"sqlite+aiosqlite:///{directory}/bench.db"
        asyncio.run(main(arguments))
