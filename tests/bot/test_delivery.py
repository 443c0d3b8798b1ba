"""The delivery worker against the emulator: T8, TG10, TG11 limits, permanent errors."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from aiogram import Bot
from sqlalchemy import select

from bot.emulator import BotApiEmulator
from bot.models import TelegramChat
from bot.transport.delivery import DeliveryPolicy, DeliveryWorker
from bot.transport.ratelimit import Limits, RateLimiter
from bot.transport.render import Renderer
from support_desk.core.clock import FrozenClock
from support_desk.core.outbox import OutboxRow
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork
from tests.bot.conftest import linked_user, notify

FAST = Limits(per_chat_interval=0.0, group_per_minute=10_000, global_per_second=100_000)


async def fake_pdf(kind: str, payload: Mapping[str, Any], locale: str) -> tuple[str, bytes] | None:
    if "credit_note_id" not in payload:
        return None
    return f"credit-note-{payload['credit_note_id']}.pdf", b"%PDF-1.4 fake"


def worker(tx: Transactor, bot: Bot, texts: Texts, **policy: Any) -> DeliveryWorker:
    return DeliveryWorker(
        tx, bot, Renderer(texts, fake_pdf), RateLimiter(FAST), DeliveryPolicy(**policy)
    )


async def outbox(tx: Transactor) -> list[OutboxRow]:
    async def rows(uow: UnitOfWork) -> list[OutboxRow]:
        return list((await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())

    return await tx.read(rows)


async def test_t8_a_notification_reaches_the_linked_chat_with_buttons_and_document(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    ann = await linked_user(tx, emulator, 1)
    buttons = [[{"text": "Open", "callback_data": "inv:s:42"}]]
    await notify(
        tx, 1, "no_such_kind", text="Credit note CN-7 <issued>", buttons=buttons, credit_note_id=7
    )

    await worker(tx, bot, texts).drain()

    text, document = ann.received()
    assert text.text == "Credit note CN-7 <issued>"
    assert text.buttons() == [{"text": "Open", "callback_data": "inv:s:42"}]
    assert document.document is not None
    assert document.document.file_name == "credit-note-7.pdf"
    assert [row.status for row in await outbox(tx)] == ["sent"]


async def test_t8_russian_customer_gets_the_russian_template(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    ivan = await linked_user(tx, emulator, 2, language="ru")
    await notify(tx, 2, "something_new")

    await worker(tx, bot, texts).drain()

    assert ivan.texts() == ["У вас новое сообщение от службы поддержки."]


async def test_t8_a_customer_without_a_chat_is_undeliverable_and_kept(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    await notify(tx, 99, "anything", text="hello")
    await notify(tx, None, "anything", text="hello")

    await worker(tx, bot, texts).drain()

    assert [(r.status, r.last_error) for r in await outbox(tx)] == [
        ("undeliverable", "no linked Telegram chat")
    ] * 2
    assert emulator.calls("sendMessage") == []


async def test_tg10_429_waits_retry_after_and_sends_the_same_message_once(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    ann = await linked_user(tx, emulator, 1)
    bob = await linked_user(tx, emulator, 2)
    emulator.fail("sendMessage", 429, retry_after=2, chat_id=ann.id)
    await notify(tx, 1, "x", text="for ann")
    await notify(tx, 2, "x", text="for bob")

    started = time.monotonic()
    await worker(tx, bot, texts).drain()

    refused, delivered = emulator.calls("sendMessage", 429), emulator.calls("sendMessage", 200)
    assert len(refused) == 1
    ann_sent = [c for c in delivered if c.chat_id == ann.id]
    assert len(ann_sent) == 1
    assert ann_sent[0].at - refused[0].at >= 2.0
    assert ann.texts() == ["for ann"]
    assert bob.texts() == ["for bob"]
    assert bob.received()[0].received_at - started < 1.9  # not stalled behind ann's 2 s wait
    assert [r.status for r in await outbox(tx)] == ["sent", "sent"]


async def test_tg10_a_user_who_blocked_the_bot_does_not_stall_the_queue(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    ann = await linked_user(tx, emulator, 1)
    bob = await linked_user(tx, emulator, 2)
    ann.block()
    for n in range(3):
        await notify(tx, 1, "x", text=f"ann {n}")
        await notify(tx, 2, "x", text=f"bob {n}")

    await worker(tx, bot, texts).drain()

    assert bob.texts() == ["bob 0", "bob 1", "bob 2"]
    rows = await outbox(tx)
    assert [r.status for r in rows if r.customer_id == 1] == ["failed"] * 3
    assert all("blocked" in (r.last_error or "") for r in rows if r.customer_id == 1)
    assert len(emulator.calls("sendMessage", 403)) == 1  # then the chat is known blocked
    chat = await tx.read(lambda uow: uow.session.get(TelegramChat, 1))
    assert chat is not None and chat.blocked_at is not None


async def test_t8_server_errors_are_retried_with_backoff_until_delivered(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts, clock: FrozenClock
) -> None:
    ann = await linked_user(tx, emulator, 1)
    emulator.fail("sendMessage", 502, times=2, description="Bad Gateway")
    await notify(tx, 1, "x", text="eventually")
    delivery = worker(tx, bot, texts, backoff_base=1.0)

    await delivery.drain()
    first = (await outbox(tx))[0]
    clock.advance(seconds=1)
    await delivery.drain()
    clock.advance(seconds=2)
    await delivery.drain()

    assert (first.status, first.attempts) == ("pending", 1)
    assert ann.texts() == ["eventually"]
    row = (await outbox(tx))[0]
    assert (row.status, row.attempts) == ("sent", 2)


async def test_t8_too_many_failures_give_up_and_keep_the_row(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts, clock: FrozenClock
) -> None:
    await linked_user(tx, emulator, 1)
    emulator.fail("sendMessage", 500, times=10)
    await notify(tx, 1, "x", text="never")
    delivery = worker(tx, bot, texts, max_attempts=3, backoff_base=1.0)

    for _ in range(4):
        await delivery.drain()
        clock.advance(seconds=60)

    row = (await outbox(tx))[0]
    assert row.status == "failed"
    assert "gave up after 3 attempts" in (row.last_error or "")


async def test_tg12_a_long_message_is_split_and_a_retry_resumes_after_the_sent_part(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts, clock: FrozenClock
) -> None:
    ann = await linked_user(tx, emulator, 1)
    text = "\n".join(f"line {n:05d} " + "é" * 40 for n in range(300))
    await notify(tx, 1, "x", text=text)
    emulator.world.faults.append(_fail_second_send())
    delivery = worker(tx, bot, texts, backoff_base=1.0)

    await delivery.drain()
    clock.advance(seconds=5)
    await delivery.drain()

    received = ann.texts()
    assert len(received) == 5
    assert "".join(received) == text
    assert len(emulator.calls("sendMessage", 200)) == 5


def _fail_second_send() -> Any:
    class SecondCall:
        method, times, chat_id = "sendMessage", 1, None
        seen = 0

        def error(self) -> Any:
            from bot.emulator.objects import ApiError

            return ApiError(500, "Internal Server Error")

    return SecondCall()
