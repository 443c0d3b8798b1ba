"""Delivery benchmark: outbox rows through the product's delivery worker to the Bot API
emulator at Telegram's limits (30 messages/s overall, 1/s per chat), CPU share of one core.

Beside it, in the same run, the ceiling: aiogram's own `bot.send_message` (`send_document` for
the credit notes) in a loop through the same limiter to the same emulator, the same texts and
documents, nothing read from or written to the database. Cases:
  text          a ticket reply (a typed message, one part);
  credit notes  a credit note with its PDF as the document (the PDF drawn at its first send,
                then kept: the "drawn" line is the first send, "kept" a second one).

    python -m tests.benchmarks.bench_delivery [--messages 300] [--chats 60] [database_url]

The emulator shares the process (and its CPU) with the worker, in both the product's cases and
the ceiling's: the difference between the two is what the worker costs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BufferedInputFile

import billing
from billing.commands import CancelInvoice
from bot.chats import link_chat
from bot.emulator import BotApiEmulator
from bot.transport.delivery import DeliveryWorker
from bot.transport.documents import credit_note_loader
from bot.transport.ratelimit import RateLimiter
from bot.transport.render import Part, Renderer
from support_desk.core.actors import Actor
from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.messages import CustomerMessage, read_message
from support_desk.core.outbox import OutboxRow, OutboxStatus
from support_desk.core.settings import Settings
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork
from support_desk.migrations import upgrade
from tests.factories import line, make_customer, make_invoice
from ticketing.services.thread import TicketReply

TOKEN = "777001:delivery-benchmark"


@dataclass
class Result:
    messages: int
    seconds: float
    cpu: float

    @property
    def share(self) -> float:
        return self.cpu / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu / self.messages * 1000


async def enqueue(tx: Transactor, rows: Sequence[tuple[int, CustomerMessage]]) -> None:
    async def write(uow: UnitOfWork) -> None:
        for customer_id, message in rows:
            uow.notify(customer_id, message)

    await tx.run(write)


async def measure(emulator: BotApiEmulator, count: int, send: Awaitable[None]) -> Result:
    """Time `send` until `count` more messages reached the emulator."""
    world = emulator.world
    start = sum(1 for c in world.calls if c.method in ("sendMessage", "sendDocument"))
    target = start + count
    cpu, started = time.process_time(), time.perf_counter()
    task = asyncio.ensure_future(send)
    await world.wait_until(
        lambda: (
            sum(1 for c in world.calls if c.method in ("sendMessage", "sendDocument")) >= target
        ),
        timeout=600,
    )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return Result(count, elapsed, cpu)


async def through_worker(
    tx: Transactor, emulator: BotApiEmulator, worker: DeliveryWorker, count: int
) -> Result:
    stop = asyncio.Event()

    async def run() -> None:
        try:
            await worker.run(stop)
        finally:
            stop.set()

    return await measure(emulator, count, run())


async def through_aiogram(
    bot: Bot,
    renderer: Renderer,
    chats: list[tuple[int, CustomerMessage]],
    count: int,
    emulator: BotApiEmulator,
) -> Result:
    """aiogram's own calls, one per message, the same limiter; the parts rendered beforehand
    (the ceiling reads nothing, writes nothing)."""
    limiter = RateLimiter()
    prepared: list[tuple[int, list[Part]]] = [
        (chat, await renderer.render(message, "en")) for chat, message in chats
    ]

    async def send() -> None:
        async def one(chat: int, parts: list[Part]) -> None:
            for part in parts:
                await limiter.acquire(chat)
                if part.document is not None:
                    name, content = part.document
                    await bot.send_document(
                        chat,
                        BufferedInputFile(content, name),
                        caption=part.caption,
                        parse_mode="HTML",
                        reply_markup=part.keyboard,
                    )
                else:
                    await bot.send_message(
                        chat, part.text or "", parse_mode="HTML", reply_markup=part.keyboard
                    )

        await asyncio.gather(*(one(chat, parts) for chat, parts in prepared))

    return await measure(emulator, count, send())


async def main(args: argparse.Namespace) -> None:
    url = args.database_url
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    tx = Transactor(engine, SystemClock(), Settings(database_url=url))
    texts = Texts()
    per_chat = max(1, args.messages // args.chats)
    count = per_chat * args.chats
    async with BotApiEmulator(TOKEN) as emulator:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.url)))
        renderer = Renderer(texts, credit_note_loader(tx, texts))
        customers = []
        for n in range(args.chats):
            customer = await make_customer(tx)
            user = emulator.user(50_000 + n, f"C{n}")
            await tx.run(link_chat, customer.id, user.id, user.id, "en")
            customers.append((customer, user.id))
        texts_rows = [
            (c.id, TicketReply(ticket_id=1, text=f"An answer to your question, part {i}."))
            for i in range(per_chat)
            for c, _ in customers
        ]
        # credit notes: cancel invoices through billing (each queues its credit note message)
        for _ in range(per_chat):
            for customer, _ in customers:
                invoice = await make_invoice(tx, customer, line(1000))
                cancel = CancelInvoice(invoice.id, "bench", Actor.customer(customer.id))
                await tx.run(billing.cancel_invoice, cancel)

        async def pending_notes(uow: UnitOfWork) -> list[tuple[int, CustomerMessage]]:
            from sqlalchemy import select

            rows = await uow.session.scalars(
                select(OutboxRow)
                .where(OutboxRow.status == OutboxStatus.PENDING)
                .order_by(OutboxRow.id)
            )
            out = []
            for row in rows:
                message = read_message(row.kind, row.payload)
                assert message is not None and row.customer_id is not None
                out.append((row.customer_id, message))
            return out

        notes = await tx.read(pending_notes)
        chat_of = {c.id: chat for c, chat in customers}
        gc.freeze()
        print(
            f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  "
            f"db: {engine.dialect.name}  {count} messages to {args.chats} chats per case"
        )
        print(f"{'case':<34} {'msg/s':>6} {'cpu ms/msg':>10} {'cpu share':>9}")

        def show(name: str, r: Result) -> None:
            print(f"{name:<34} {r.messages / r.seconds:>6.1f} {r.cpu_ms:>10.2f} {r.share:>8.1%}")

        results: dict[str, Result] = {}
        worker = DeliveryWorker(tx, bot, renderer, RateLimiter())
        results["notes drawn"] = await through_worker(tx, emulator, worker, len(notes))
        show("worker: credit notes, PDF drawn", results["notes drawn"])
        await enqueue(tx, notes)  # the same notes again: their PDFs are kept now
        worker = DeliveryWorker(tx, bot, renderer, RateLimiter())
        results["notes kept"] = await through_worker(tx, emulator, worker, len(notes))
        show("worker: credit notes, PDF kept", results["notes kept"])
        results["aiogram notes"] = await through_aiogram(
            bot, renderer, [(chat_of[c], m) for c, m in notes], len(notes), emulator
        )
        show("aiogram send_document (ceiling)", results["aiogram notes"])
        await enqueue(tx, texts_rows)
        worker = DeliveryWorker(tx, bot, renderer, RateLimiter())
        results["text"] = await through_worker(tx, emulator, worker, count)
        show("worker: text", results["text"])
        results["aiogram text"] = await through_aiogram(
            bot, renderer, [(chat_of[c], m) for c, m in texts_rows], count, emulator
        )
        show("aiogram send_message (ceiling)", results["aiogram text"])
        for name, ceiling in (("text", "aiogram text"), ("notes kept", "aiogram notes")):
            extra = results[name].share - results[ceiling].share
            print(
                f"the worker's own share, {name:<10}: {extra:>6.1%} of a core "
                f"({results[name].cpu_ms - results[ceiling].cpu_ms:.2f} ms per message)"
            )
        await bot.session.close()
    await engine.dispose()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url", nargs="?", default="")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--chats", type=int, default=60)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    with tempfile.TemporaryDirectory() as directory:
        if not arguments.database_url:
            arguments.database_url = f"sqlite+aiosqlite:///{directory}/bench.db"
        asyncio.run(main(arguments))
