"""Regressions of the transport: an update or an outbox row is handled once even when its lease
passes while it waits or sends; the poller survives database errors; a message to a customer
without a chat reaches them once they link."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message
from sqlalchemy import Connection, inspect
from sqlalchemy.exc import OperationalError

import billing
from billing.commands import DeliverInvoice
from bot.emulator import BotApiEmulator
from bot.transport import inbox_store
from bot.transport.delivery import DeliveryWorker
from bot.transport.inbox import InboxPolicy, InboxProcessor
from bot.transport.polling import Poller
from bot.transport.ratelimit import RateLimiter
from bot.transport.render import Renderer
from support_desk.core.clock import FrozenClock
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from tests.bot.conftest import linked_user, notify
from tests.bot.customer_bot import customer_bot
from tests.bot.test_delivery import FAST, outbox
from tests.bot.test_linking import token_for
from tests.factories import STAFF, make_customer, make_invoice


class GatedHandler:
    """A message handler that records each call and waits at `gate` until a test opens it."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    def dispatcher(self) -> Dispatcher:
        router = Router()

        @router.message()
        async def handle(message: Message) -> None:
            self.calls.append(message.message_id)
            self.entered.set()
            await self.gate.wait()

        dispatcher = Dispatcher()
        dispatcher.include_router(router)
        return dispatcher


def updates(emulator: BotApiEmulator, count: int, user_id: int = 601) -> list[dict[str, Any]]:
    user = emulator.user(user_id, "Ann")
    return [user.send(f"m{n}") for n in range(count)]


async def test_an_update_waiting_past_its_lease_is_not_started_again_by_the_sweeper(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, clock: FrozenClock
) -> None:
    handler = GatedHandler()
    processor = InboxProcessor(tx, handler.dispatcher(), bot, InboxPolicy(parallel=1))

    await processor.accept(updates(emulator, 2))
    await handler.entered.wait()
    clock.advance(seconds=121)  # both leases pass while update 1 runs and update 2 waits
    started = await processor.sweep()
    handler.gate.set()
    await processor.idle()

    assert started == 0
    assert handler.calls == [1, 2]


async def test_an_update_taken_over_by_another_process_while_it_waited_is_not_handled_here(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, clock: FrozenClock
) -> None:
    handler = GatedHandler()
    processor = InboxProcessor(tx, handler.dispatcher(), bot, InboxPolicy(parallel=1))

    sent = updates(emulator, 2)
    await processor.accept(sent)
    await handler.entered.wait()
    clock.advance(seconds=121)
    taken = await tx.run(inbox_store.claim_due, "other-process", 10, 120.0)
    handler.gate.set()
    await processor.idle()

    assert [raw["update_id"] for raw in taken] == [raw["update_id"] for raw in sent]
    assert handler.calls == [1]  # update 2 is the other process's now


async def test_an_update_renews_its_lease_only_when_a_quarter_of_it_has_passed(
    tx: Transactor,
    emulator: BotApiEmulator,
    bot: Bot,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renewals: list[int] = []
    renew = inbox_store.begin

    async def counted(uow: Any, update_id: int, owner: str, seconds: float) -> bool:
        renewals.append(update_id)
        return await renew(uow, update_id, owner, seconds)

    monkeypatch.setattr(inbox_store, "begin", counted)
    handler = GatedHandler()
    processor = InboxProcessor(tx, handler.dispatcher(), bot, InboxPolicy(parallel=1))

    sent = updates(emulator, 2)
    await processor.accept(sent)
    await handler.entered.wait()  # update 1 starts at once: its fresh lease needs no renewal
    clock.advance(seconds=31)  # update 2 waited past a quarter of its lease: renewed first
    handler.gate.set()
    await processor.idle()

    assert handler.calls == [1, 2]
    assert renewals == [sent[1]["update_id"]]


class GatedLimiter(RateLimiter):
    """No limits, but `acquire` waits at `gate`: a worker held up between leasing and sending."""

    def __init__(self) -> None:
        super().__init__(FAST)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def acquire(self, chat_id: int) -> None:
        self.entered.set()
        await self.gate.wait()
        await super().acquire(chat_id)


async def test_an_outbox_row_whose_lease_passes_mid_send_is_sent_once_by_two_workers(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts, clock: FrozenClock
) -> None:
    ann = await linked_user(tx, emulator, 1)
    await notify(tx, 1, "x", text="once")
    slow_limiter = GatedLimiter()
    slow = DeliveryWorker(tx, bot, Renderer(texts), slow_limiter, owner="slow")
    fast = DeliveryWorker(tx, bot, Renderer(texts), RateLimiter(FAST), owner="fast")

    sending = asyncio.create_task(slow.run_once())
    await slow_limiter.entered.wait()  # leased, about to send
    clock.advance(seconds=121)
    await fast.drain()  # the lease passed: the other worker takes the row and sends it
    slow_limiter.gate.set()
    await sending

    assert ann.texts() == ["once"]
    assert len(emulator.calls("sendMessage")) == 1
    assert [row.status for row in await outbox(tx)] == ["sent"]


class FlakyProcessor(InboxProcessor):
    """The database refuses the first batch, as when it restarts under the poller."""

    failed = 0

    async def accept(self, updates: list[inbox_store.Raw]) -> int:
        if not self.failed:
            self.failed += 1
            raise OperationalError("INSERT INTO tg_inbox", {}, Exception("connection lost"))
        return await super().accept(updates)


async def test_the_poller_keeps_polling_after_a_database_error(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot
) -> None:
    handler = GatedHandler()
    handler.gate.set()
    processor = FlakyProcessor(tx, handler.dispatcher(), bot)
    poller = Poller(bot, processor, timeout=1)
    stop = asyncio.Event()
    polling = asyncio.create_task(poller.run(stop))
    ann = emulator.user(602, "Ann")

    ann.send("first")
    await asyncio.wait_for(handler.entered.wait(), 10)
    handler.entered.clear()
    ann.send("second")
    await asyncio.wait_for(handler.entered.wait(), 10)
    stop.set()
    await asyncio.wait_for(polling, 5)
    await processor.idle()

    assert processor.failed == 1
    assert handler.calls == [1, 2]


async def test_a_stopped_poller_does_not_wait_out_telegrams_long_poll(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot
) -> None:
    handler = GatedHandler()
    poller = Poller(bot, InboxProcessor(tx, handler.dispatcher(), bot), timeout=25)
    stop = asyncio.Event()
    polling = asyncio.create_task(poller.run(stop))
    await emulator.world.wait_until(lambda: bool(emulator.calls("deleteWebhook")))
    await asyncio.sleep(0.3)  # the first getUpdates is now held open by the emulator, up to 25 s

    stop.set()
    await asyncio.wait_for(polling, 2)

    assert handler.calls == []


async def test_an_invoice_delivered_before_the_customer_linked_arrives_once_they_link(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx, name="Ann Example")
    invoice = await make_invoice(tx, customer)
    ann = emulator.user(5101, "Ann")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await tx.run(billing.deliver_invoice, DeliverInvoice(invoice.id, actor=STAFF))
        await stack.delivery.drain()
        before = [row.status for row in await outbox(tx)]
        await stack.settle(ann.send(f"/start {await token_for(tx, customer)}"))
        await stack.delivery.drain()

    assert before == ["undeliverable"]
    assert invoice.number is not None
    (welcome,) = ann.received()  # one message: the invoice folded into the welcome, as it is now
    assert invoice.number in (welcome.text or "") and "Unpaid" in (welcome.text or "")
    assert any(b["text"].startswith(invoice.number) for b in welcome.buttons())
    assert [row.status for row in await outbox(tx)] == ["folded"]


async def test_telegram_chats_are_found_by_chat_id_through_an_index(tx: Transactor) -> None:
    def indexed_columns(conn: Connection) -> list[list[str | None]]:
        return [index["column_names"] for index in inspect(conn).get_indexes("telegram_chats")]

    async with tx.engine.connect() as conn:
        indexed = await conn.run_sync(indexed_columns)

    assert ["chat_id"] in indexed
