"""The delivery worker against the emulator: T8, TG10, TG11 limits, permanent errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from sqlalchemy import select

from billing.documents import AttachesCreditNote
from billing.messages import CreditNoteIssued
from bot.emulator import BotApiEmulator
from bot.models import TelegramChat
from bot.transport.delivery import DeliveryPolicy, DeliveryWorker
from bot.transport.ratelimit import Limits, RateLimiter
from bot.transport.render import Renderer
from support_desk.core.clock import FrozenClock
from support_desk.core.messages import CustomerMessage, MessageUnreadable
from support_desk.core.outbox import OutboxRow, OutboxStatus
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork
from tests.bot.conftest import linked_user, notify

FAST = Limits(per_chat_interval=0.0, group_per_minute=10_000, global_per_second=100_000)


async def fake_pdf(message: CustomerMessage, locale: str) -> tuple[str, bytes] | None:
    if not isinstance(message, AttachesCreditNote):
        return None
    return f"credit-note-{message.credit_note_id}.pdf", b"%PDF-1.4 fake"


def worker(tx: Transactor, bot: Bot, texts: Texts, **policy: Any) -> DeliveryWorker:
    return DeliveryWorker(
        tx, bot, Renderer(texts, fake_pdf), RateLimiter(FAST), DeliveryPolicy(**policy)
    )


async def outbox(tx: Transactor) -> list[OutboxRow]:
    async def rows(uow: UnitOfWork) -> list[OutboxRow]:
        return list((await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())

    return await tx.read(rows)


def credit_note(**changes: Any) -> CreditNoteIssued:
    fields: dict[str, Any] = {
        "credit_note_id": 7,
        "credit_note_number": "CN-000007",
        "credit_note_kind": "cancellation",
        "invoice_id": 3,
        "invoice_number": "INV-000003",
        "total_minor": 1200,
        "settled_minor": 1200,
        "refund_minor": 0,
        "account_credit_minor": 0,
        "currency": "EUR",
        "reason": "not needed",
        "undo_until": datetime(2026, 11, 23, 10, 20, tzinfo=UTC),
    }
    return CreditNoteIssued(**(fields | changes))


async def test_t8_a_notification_reaches_the_linked_chat_with_buttons_and_document(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    ann = await linked_user(tx, emulator, 1)
    await notify(tx, 1, credit_note())

    await worker(tx, bot, texts).drain()

    [document] = ann.received()  # the credit note is the record: its text is the caption
    assert "CN-000007" in (document.caption or "") and "INV-000003" in (document.caption or "")
    assert [b["text"] for b in document.buttons()] == ["Undo cancellation"]
    assert document.document is not None
    assert document.document.file_name == "credit-note-7.pdf"
    assert [row.status for row in await outbox(tx)] == ["sent"]


async def test_t8_a_row_queued_before_messages_were_typed_reads_as_its_type(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    """The row format did not change: the old payload (undo_until as isoformat(), the same keys)
    is read back typed, with the type's template, keyboard and document; a key the type no
    longer has is ignored."""
    ann = await linked_user(tx, emulator, 1)
    payload = credit_note().payload() | {"undo_until": "2026-11-23T10:20:00+00:00", "gone": 1}
    await queue_raw(tx, 1, "credit_note_issued", payload)

    await worker(tx, bot, texts).drain()

    [document] = ann.received()
    assert "CN-000007" in (document.caption or "")
    assert [b["text"] for b in document.buttons()] == ["Undo cancellation"]
    assert document.document is not None and document.document.file_name == "credit-note-7.pdf"


async def test_t8_a_row_that_does_not_fit_its_type_still_tells_the_customer(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    ann = await linked_user(tx, emulator, 1)
    await queue_raw(tx, 1, "credit_note_issued", {"credit_note_id": 7, "total": "renamed"})

    await worker(tx, bot, texts).drain()

    assert ann.texts() == ["You have a new message from Support Desk."]
    assert [row.status for row in await outbox(tx)] == ["sent"]


async def test_an_old_style_call_for_a_typed_kind_is_checked_against_its_type(
    tx: Transactor,
) -> None:
    """Transitional `notify("kind", **payload)`: a payload that does not fit the kind's type is
    refused where it is written, and one that fits is stored as the type writes it."""
    with pytest.raises(MessageUnreadable):
        await notify(tx, 1, "ticket_reply", ticket_id=3, body="renamed")
    await notify(tx, 1, "ticket_reply", ticket_id="3", text="fits")

    stored = [(r.kind, r.payload) for r in await outbox(tx)]
    assert stored == [("ticket_reply", {"ticket_id": 3, "text": "fits"})]


async def test_t8_a_kind_no_type_claims_gets_its_text_or_the_generic_one(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    ann = await linked_user(tx, emulator, 1)
    await notify(tx, 1, "rating_request_v0", ticket_id=3)
    await notify(tx, 1, "no_such_kind", text="Hello <there>", credit_note_id=7)

    await worker(tx, bot, texts).drain()

    assert ann.texts() == ["You have a new message from Support Desk.", "Hello <there>"]
    assert all(not m.buttons() and m.document is None for m in ann.received())


async def queue_raw(tx: Transactor, customer_id: int, kind: str, payload: dict[str, Any]) -> None:
    """A row as an earlier version (or a broken writer) left it, bypassing `notify`."""

    async def write(uow: UnitOfWork) -> None:
        uow.session.add(
            OutboxRow(
                customer_id=customer_id,
                kind=kind,
                payload=payload,
                created_at=uow.now,
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=uow.now,
            )
        )

    await tx.run(write)


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


async def test_an_idle_round_looks_without_taking_a_lease_and_a_due_row_is_still_taken(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts, monkeypatch: Any
) -> None:
    """An idle worker polls every second: the look is a read, so it never takes SQLite's write
    lock (or PostgreSQL's row locks) only to find nothing; a due row is leased as before."""
    ann = await linked_user(tx, emulator, 1)
    delivery, writes, real_run = worker(tx, bot, texts), [], tx.run

    async def counted(use_case: Any, *args: Any, **kwargs: Any) -> Any:
        writes.append(use_case.__name__)
        return await real_run(use_case, *args, **kwargs)

    monkeypatch.setattr(tx, "run", counted)
    idle = [await delivery.run_once() for _ in range(3)]
    await notify(tx, 1, credit_note())
    busy = await delivery.run_once()

    assert idle == [0, 0, 0] and busy == 1
    assert writes.count("lease_due") == 1
    assert len(ann.received()) == 1
