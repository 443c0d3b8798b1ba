"""Regressions of the transport: an update or an outbox row is handled once even when its lease
passes while it waits or sends; the poller survives database errors; a message to a customer
without a chat reaches them once they link."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message

from bot.emulator import BotApiEmulator
from bot.transport import inbox_store
from bot.transport.inbox import InboxPolicy, InboxProcessor
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor


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
