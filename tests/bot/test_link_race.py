"""T8: a message that found no chat is never closed as undeliverable behind the back of a link
being made at that moment (the worker waits for the link, then delivers). Both backends."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.chats import link_chat
from bot.transport import outbox_store
from support_desk.core.outbox import OutboxRow
from support_desk.core.tx import Transactor, UnitOfWork

CUSTOMER, USER = 7, 70_007


async def test_t8_a_worker_deciding_no_chat_waits_for_a_link_in_flight(tx: Transactor) -> None:
    async def queue(uow: UnitOfWork) -> None:
        uow.notify(CUSTOMER, "x", text="your invoice")

    await tx.run(queue)
    linked, release = asyncio.Event(), asyncio.Event()

    async def link_slowly(uow: UnitOfWork) -> None:
        await link_chat(uow, CUSTOMER, USER, USER)
        linked.set()
        await release.wait()  # the link's transaction stays open while the worker looks

    linking = asyncio.create_task(tx.run(link_slowly))
    await linked.wait()
    leasing = asyncio.create_task(tx.run(outbox_store.lease_due, "worker", 10, 30.0))
    await asyncio.sleep(0.3)
    release.set()
    await linking
    leased = await leasing

    async def status(uow: UnitOfWork) -> str:
        return str(await uow.session.scalar(select(OutboxRow.status)))

    assert [(row.chat_id, row.payload["text"]) for row in leased] == [(USER, "your invoice")]
    assert await tx.read(status) == "pending"
