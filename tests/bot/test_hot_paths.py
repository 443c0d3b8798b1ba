"""The bot's hot paths made cheaper (issue 13), both backends: group commit of the inbox's
"done" marks and of the delivery worker's "sent" marks, no lease renewal while a lease is fresh,
the Core statements writing exactly the rows the ORM path writes, and text filters that run on
the event loop instead of a thread."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot
from aiogram.dispatcher.event.handler import FilterObject
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from billing import document_files, documents
from billing.commands import Remainder
from billing.errors import NotYourInvoice
from billing.history import cancellation_preview, preview_cancellation
from bot.chats import ChatLink, link_of_user, read_link
from bot.emulator import BotApiEmulator
from bot.handlers import menu, my_tickets, tickets
from bot.models import FsmRow, InboxRow
from bot.transport import inbox_store, outbox_store, storage
from bot.transport.delivery import DeliveryWorker
from bot.transport.group_commit import GroupCommit
from bot.transport.inbox import InboxPolicy, InboxProcessor
from bot.transport.ratelimit import RateLimiter
from bot.transport.render import Renderer
from support_desk.core.clock import FrozenClock
from support_desk.core.outbox import OutboxRow
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork
from tests.bot import test_money_flow as money_flow
from tests.bot.conftest import linked_user, notify
from tests.bot.customer_bot import customer_bot
from tests.bot.test_delivery import FAST, outbox
from tests.bot.test_invoice_flow import CANCEL, delivered
from tests.bot.test_transport_fixes import GatedHandler, updates
from tests.factories import line, make_customer, make_invoice, pay


def statements(engine: AsyncEngine, start: str) -> list[str]:
    """Every SQL statement that starts with `start` from now on (the list fills as they run)."""
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def record(*args: Any) -> None:
        sql = " ".join(str(args[2]).split())
        if sql.startswith(start):
            seen.append(sql)

    return seen


async def test_marks_that_arrive_together_are_written_in_one_batch() -> None:
    batches: list[list[int]] = []

    async def write(keys: list[int]) -> list[int]:
        batches.append(keys)
        await asyncio.sleep(0)
        return [k for k in keys if k != 3]  # 3 was no longer ours

    marks = GroupCommit(write)
    first = await asyncio.gather(*(marks.add(k) for k in range(5)))
    later = await marks.add(9)

    assert batches == [[0, 1, 2, 3, 4], [9]]
    assert first == [True, True, True, False, True] and later is True


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_goes_on() -> None:
    calls: list[list[str]] = []

    async def write(keys: list[str]) -> list[str]:
        calls.append(keys)
        if len(calls) == 1:
            raise OSError("database gone")
        return keys

    marks = GroupCommit(write)
    failed = await asyncio.gather(marks.add("a"), marks.add("b"), return_exceptions=True)

    assert [type(e) for e in failed] == [OSError, OSError]
    assert await marks.add("c") is True
    await marks.idle()


async def test_the_done_marks_of_updates_that_end_together_are_one_update(
    tx: Transactor, engine: AsyncEngine, emulator: BotApiEmulator, bot: Bot
) -> None:
    handler = GatedHandler()
    processor = InboxProcessor(tx, handler.dispatcher(), bot, InboxPolicy())
    sent = [updates(emulator, 1, user_id=700 + n)[0] for n in range(10)]
    await processor.accept(sent)
    while len(handler.calls) < 10:  # noqa: ASYNC110 (every handler waits at the gate)
        await asyncio.sleep(0.01)
    marks = statements(engine, "UPDATE tg_inbox SET status")
    handler.gate.set()
    await processor.idle()

    async def statuses(uow: UnitOfWork) -> list[str]:
        return list((await uow.session.scalars(select(InboxRow.status))).all())

    assert await tx.read(statuses) == ["done"] * 10
    assert 1 <= len(marks) <= 2  # the first mark alone, at most, then all the others at once


async def test_the_core_inbox_statements_write_the_rows_the_orm_path_writes(
    tx: Transactor, emulator: BotApiEmulator
) -> None:
    orm = updates(emulator, 1)[0]
    core = {**orm, "update_id": orm["update_id"] + 1}
    assert await tx.run(inbox_store.record, [orm], "p", 60.0) == [orm]
    assert await tx.run_core(inbox_store.store_new, [core], "p", 60.0) == [core]
    assert await tx.run_core(inbox_store.store_new, [core], "p", 60.0) == []  # a repeat

    async def rows(uow: UnitOfWork) -> list[dict[str, Any]]:
        found = (await uow.session.scalars(select(InboxRow).order_by(InboxRow.update_id))).all()
        return [
            {c.key: getattr(r, c.key) for c in InboxRow.__table__.columns if c.key != "raw"}
            | {"raw": {k: v for k, v in r.raw.items() if k != "update_id"}, "update_id": None}
            for r in found
        ]

    stored = await tx.read(rows)
    await tx.run(inbox_store.finish, orm["update_id"], "p")
    ours = await tx.run_core(inbox_store.finish_many, [core["update_id"], 12345], "p")
    finished = await tx.read(rows)

    assert stored[0] == stored[1] and finished[0] == finished[1]
    assert ours == [core["update_id"]] and finished[0]["status"] == "done"
    assert await tx.run_core(inbox_store.finish_many, [core["update_id"]], "other") == []


@pytest.mark.parametrize("column", ["state", "data"])
async def test_the_core_fsm_write_writes_the_row_the_orm_upsert_writes(
    tx: Transactor, column: str
) -> None:
    value: Any = "Flow:step" if column == "state" else {"n": 1, "text": "привет"}

    async def orm_write(uow: UnitOfWork, key: str, values: dict[str, Any]) -> None:
        await uow.session.execute(storage._upsert(uow, key, values))

    async def row(uow: UnitOfWork, key: str) -> tuple[Any, ...]:
        found = await uow.session.get(FsmRow, key)
        assert found is not None
        return (found.state, found.data, found.updated_at)

    for _ in range(2):  # the insert, then the update of an existing row
        await tx.run(orm_write, "orm", {column: value})
        await tx.run_core(storage._write, "core", column, value)
        assert await tx.read(row, "orm") == await tx.read(row, "core")


async def test_a_fresh_lease_is_sent_without_a_renewal_and_marks_sent_together_are_batched(
    tx: Transactor,
    engine: AsyncEngine,
    emulator: BotApiEmulator,
    bot: Bot,
    texts: Texts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renewals: list[int] = []
    renew = outbox_store.renew

    async def counted(uow: UnitOfWork, outbox_id: int, owner: str, seconds: float) -> bool:
        renewals.append(outbox_id)
        return await renew(uow, outbox_id, owner, seconds)

    monkeypatch.setattr(outbox_store, "renew", counted)
    users = [await linked_user(tx, emulator, n) for n in range(1, 6)]
    for n in range(1, 6):
        await notify(tx, n, "x", text=f"hello {n}")
    marks = statements(engine, "UPDATE outbox SET status")
    await DeliveryWorker(tx, bot, Renderer(texts), RateLimiter(FAST)).drain()

    assert [u.texts() for u in users] == [[f"hello {n}"] for n in range(1, 6)]
    assert [row.status for row in await outbox(tx)] == ["sent"] * 5
    assert renewals == []  # before: one renewal transaction per message
    assert 1 <= len(marks) <= 5


async def test_a_lease_past_a_quarter_of_its_time_is_renewed_before_the_send(
    tx: Transactor,
    emulator: BotApiEmulator,
    bot: Bot,
    texts: Texts,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renewals: list[int] = []
    renew = outbox_store.renew

    async def counted(uow: UnitOfWork, outbox_id: int, owner: str, seconds: float) -> bool:
        renewals.append(outbox_id)
        clock.advance(seconds=1)
        return await renew(uow, outbox_id, owner, seconds)

    class Slow(RateLimiter):
        async def acquire(self, chat_id: int) -> None:
            clock.advance(seconds=31)  # the send waited past a quarter of the 120 s lease
            await super().acquire(chat_id)

    monkeypatch.setattr(outbox_store, "renew", counted)
    ann = await linked_user(tx, emulator, 1)
    row_id = await notify(tx, 1, "x", text="late")
    await DeliveryWorker(tx, bot, Renderer(texts), Slow(FAST)).drain()

    assert renewals == [row_id] and ann.texts() == ["late"]


async def test_the_core_sent_mark_writes_the_row_the_orm_path_writes(
    tx: Transactor, emulator: BotApiEmulator
) -> None:
    await linked_user(tx, emulator, 1)
    first, second = await notify(tx, 1, "x", text="a"), await notify(tx, 1, "x", text="b")
    assert len(await tx.run(outbox_store.lease_due, "w", 10, 60.0)) == 2
    assert await tx.run(outbox_store.mark_sent, first, "w")
    assert await tx.run_core(outbox_store.mark_sent_many, [second], "w") == [second]
    assert await tx.run_core(outbox_store.mark_sent_many, [second], "w") == []  # settled

    def shape(row: OutboxRow) -> dict[str, Any]:
        skip = {"id", "payload"}
        return {
            c.key: getattr(row, c.key) for c in OutboxRow.__table__.columns if c.key not in skip
        }

    a, b = await outbox(tx)
    assert shape(a) == shape(b) and a.status == "sent"


def message_filters(*routers: Any) -> list[FilterObject]:
    return [f for r in routers for h in r.message.handlers for f in (h.filters or [])]


def test_the_text_filters_of_the_routers_every_text_passes_run_on_the_event_loop() -> None:
    """aiogram sends a filter that is not a coroutine function (a magic filter such as
    `F.text`) through a thread for every message it is tried on."""
    routers = (tickets.make_router(), my_tickets.make_router(), menu.make_catchall_router())
    filters = message_filters(*routers)

    assert filters and all(f.awaitable for f in filters), [
        f.callback for f in filters if not f.awaitable
    ]


async def test_a_single_statement_write_commits_by_itself_and_leaves_transactions_whole(
    tx: Transactor, engine: AsyncEngine, emulator: BotApiEmulator
) -> None:
    """`run_statement` sends no BEGIN (SQLite) / runs in autocommit (PostgreSQL); the pooled
    connection it used is an ordinary transactional one again for the next unit of work."""
    first, second = updates(emulator, 2)
    begins = statements(engine, "BEGIN")
    assert await tx.run_statement(inbox_store.store_new, [first], "p", 60.0) == [first]
    sent_begin = list(begins)

    class Boom(Exception):
        pass

    async def half_done(uow: UnitOfWork) -> None:
        await inbox_store.record(uow, [second], "p", 60.0)
        await uow.session.flush()
        raise Boom

    for _ in range(3):  # whichever pooled connection it gets, the unit of work rolls back whole
        with pytest.raises(Boom):
            await tx.run(half_done)

    async def ids(uow: UnitOfWork) -> list[int]:
        return list((await uow.session.scalars(select(InboxRow.update_id))).all())

    assert await tx.read(ids) == [first["update_id"]]
    assert sent_begin == []


async def test_a_cancel_press_reads_the_invoice_once_and_previews_what_the_read_model_does(
    tx: Transactor, engine: AsyncEngine, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    """The guard reads the invoice as the customer's own; the confirmation's credit-note
    preview is computed from that view (history.cancellation_preview), not read again, and is
    the preview `preview_cancellation` reads. A draft is refused by both alike."""
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(tx, stack, customer, line(1000, 2), line(555, rate_bp=825))
        reads = statements(engine, "SELECT invoices.id")
        await stack.settle(ann.press(CANCEL))

    assert len(reads) == 1
    read = await tx.read(preview_cancellation, invoice.id, customer.id)
    assert cancellation_preview(invoice) == read and read.total_minor == invoice.total_minor
    draft = await make_invoice(tx, customer, line(50), draft=True)
    with pytest.raises(NotYourInvoice):
        cancellation_preview(draft)
    with pytest.raises(NotYourInvoice):
        await tx.read(preview_cancellation, draft.id, customer.id)


async def test_the_chat_link_every_update_reads_is_one_statement_without_a_transaction(
    tx: Transactor, engine: AsyncEngine, emulator: BotApiEmulator
) -> None:
    """CustomerMiddleware reads the link with one prebuilt SELECT on a bare connection
    (tx.read_statement): no BEGIN or COMMIT around it, and the link the ORM read gives."""
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id, language="ru")
    begins = statements(engine, "BEGIN")
    selects = statements(engine, "SELECT telegram_chats.customer_id")

    linked = await tx.read_statement(read_link, ann.id)
    stranger = await tx.read_statement(read_link, 424242)

    assert (linked, stranger) == (ChatLink(customer.id, ann.id, "ru"), None)
    assert len(selects) == 2 and begins == []
    assert linked == await tx.read(link_of_user, ann.id)
    assert await tx.read(link_of_user, 424242) is None


async def test_a_pdf_pressed_twice_is_drawn_once_and_sent_the_same(
    tx: Transactor,
    emulator: BotApiEmulator,
    bot: Bot,
    texts: Texts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The invoice page's PDF button sends the kept PDF of the note's status and the chat's
    language (billing.document_files), drawn the first time only, like the delivery worker."""
    drawn: list[str] = []
    real = document_files.credit_note_pdf

    def counting(doc: documents.CreditNoteDocument, shown: Texts, locale: str) -> bytes:
        drawn.append(f"{doc.credit_note.status}/{locale}")
        return real(doc, shown, locale)

    monkeypatch.setattr(document_files, "credit_note_pdf", counting)
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    invoice = await money_flow.delivered(tx, customer, line(10000, rate_bp=0))
    await pay(tx, invoice, 10000)
    note = await money_flow.credited(tx, invoice, 3000, Remainder.REFUND)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await money_flow.send(stack, ann, "/invoices")
        await money_flow.press(
            stack, ann, money_flow.starting(money_flow.last(ann), invoice.number or "")
        )
        page = ann.received()[-1]
        sent = []
        for _ in range(2):
            await money_flow.press(stack, ann, f"{note.number} PDF", page)
            sent.append(money_flow.last(ann).document)

    assert drawn == ["issued/en"]
    assert sent[0] is not None and sent[0].startswith(b"%PDF") and sent[0] == sent[1]
