"""B9 and B4 under a cancellation's and an undo's writes: each guard in the SQL refuses on its
own, whatever the Python side believed. On PostgreSQL the writes are one statement of
data-modifying CTEs (`statements.issue_statement`, `statements.void_statement`), each reading
the one before it, so a guard that does not hold writes nothing after it; on SQLite they are
one statement each. Either way the answer is the one the statements gave before they were
merged, and nothing of the attempt remains.

The invoice's lock keeps these guards from ever failing in production; the tests hand the
writes a view of the invoice that is stale on purpose (a row changed behind it)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from sqlalchemy import Table, event, func, select, text, update

import billing
from billing import errors, rules, statements
from billing.commands import CancelInvoice
from billing.models import CreditNote, CreditNoteKind, Invoice, InvoiceLine, JournalEntry
from billing.services import cancellation, undo
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.db import run_near
from support_desk.core.outbox import OutboxRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import AGENT, line, make_customer, make_invoice, read_invoice

INVOICES = cast(Table, Invoice.__table__)
LINES = cast(Table, InvoiceLine.__table__)
NOTES = cast(Table, CreditNote.__table__)


async def _issue_behind(tx: Transactor, invoice_id: int, behind: Any) -> dict[str, Any]:
    """Lock the invoice, run `behind` (a change the view does not see), then issue the
    cancellation from the stale view; what the refusal said and what the transaction then
    held, before it rolled back."""
    seen: dict[str, Any] = {}

    async def use_case(uow: UnitOfWork) -> None:
        conn = await statements.connection(uow.session)
        stale = (await run_near(conn, statements.lock_invoice, invoice_id)).invoice
        await conn.execute(behind)
        parts = rules.remaining_parts(stale.lines)
        try:
            await run_near(
                conn,
                lambda sync: cancellation._issue_now(
                    uow,
                    sync,
                    stale,
                    parts,
                    CreditNoteKind.CANCELLATION,
                    "stale",
                    AGENT,
                    undo_minutes=0,
                ),
            )
        except errors.ExceedsCreditableAmount as refusal:
            seen["refusal"] = dict(refusal.details)
            seen["rows"] = await _rows(uow)
            seen["status"] = (await conn.execute(select(INVOICES.c.status))).scalar_one()
            raise
        raise AssertionError("the stale cancellation went through")

    with pytest.raises(errors.ExceedsCreditableAmount):
        await tx.run(use_case)
    return seen


async def _rows(uow: UnitOfWork) -> dict[str, int]:
    """How many rows the tables a cancellation writes after its note and invoice hold."""
    counts = {}
    for model in (JournalEntry, AuditRow, OutboxRow):
        counts[model.__tablename__] = int(
            await uow.session.scalar(select(func.count()).select_from(model)) or 0
        )
    return counts


async def _nothing_kept(tx: Transactor, invoice_id: int, rows: dict[str, int]) -> None:
    async def q(uow: UnitOfWork) -> tuple[int, int, dict[str, int]]:
        notes = await uow.session.scalar(select(func.count()).select_from(CreditNote))
        credited = await uow.session.scalar(select(func.sum(LINES.c.credited_net_minor)))
        return int(notes or 0), int(credited or 0), await _rows(uow)

    assert await tx.read(q) == (0, 0, rows)
    assert (await read_invoice(tx, invoice_id)).status == "unpaid"


async def test_b9_a_line_credited_behind_the_view_refuses_and_nothing_after_it_is_written(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(1000), line(500, rate_bp=1000))
    before = await tx.read(_rows)
    first = invoice.lines[0].id
    behind = update(LINES).where(LINES.c.id == first).values(credited_net_minor=1)

    seen = await _issue_behind(tx, invoice.id, behind)

    assert seen == {"refusal": {"creditable": 0}, "rows": before, "status": "unpaid"}
    await _nothing_kept(tx, invoice.id, before)


async def test_b9_an_invoice_credited_behind_the_view_refuses_and_nothing_after_it_is_written(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(1000), line(500, rate_bp=1000))
    before = await tx.read(_rows)
    behind = update(INVOICES).where(INVOICES.c.id == invoice.id).values(credited_minor=1)

    seen = await _issue_behind(tx, invoice.id, behind)

    refusal = {"creditable": invoice.total_minor}  # what the view said was left to credit
    assert seen == {"refusal": refusal, "rows": before, "status": "unpaid"}
    await _nothing_kept(tx, invoice.id, before)


async def test_b4_an_undo_of_a_note_voided_behind_the_view_writes_nothing_and_answers_it_void(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(1000), line(500, rate_bp=1000))
    cancelled = await tx.run(
        billing.cancel_invoice,
        CancelInvoice(invoice.id, "not needed", Actor.customer(customer.id)),
    )
    note_id = cancelled.credit_note.id
    before = await tx.read(_rows)
    behind = update(NOTES).where(NOTES.c.id == note_id).values(status="void")

    async def use_case(uow: UnitOfWork) -> Any:
        conn = await statements.connection(uow.session)
        stale = await run_near(conn, statements.lock_note_invoice, note_id)
        note = await run_near(conn, statements.read_credit_note_view_at_once, note_id)
        assert stale is not None and note is not None and note.status == "issued"
        await conn.execute(behind)
        actor = Actor.customer(customer.id)
        answer = await run_near(conn, lambda sync: undo._void(uow, sync, stale, note, actor))
        return answer, await _rows(uow)

    answer, rows = await tx.run(use_case)

    assert answer.already_undone and answer.credit_note.status == "void"
    assert answer.invoice.status == "canceled" and answer.invoice.credited_minor > 0
    assert rows == before  # no journal, audit or message for a void that did not happen


async def test_on_postgresql_the_lock_reads_the_lines_again_only_after_it_waited(
    tx: Transactor,
) -> None:
    """The lock's statement reads the lines and the live note with it, from its snapshot; when
    it had to wait for another transaction holding the invoice, that snapshot predates what
    that one wrote, and the lines are read again (`statements._SEEN_VERSION`)."""
    if tx.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a writer holds the lock from BEGIN IMMEDIATE: no statement waits")
    customer = await make_customer(tx)
    quiet = await make_invoice(tx, customer, line(1000), line(500))
    invoice = await make_invoice(tx, customer, line(1000), line(500))
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(tx.engine.sync_engine, "before_cursor_execute", record)
    try:
        await tx.run(billing.cancel_invoice, CancelInvoice(quiet.id, "quiet", AGENT))
        assert len(sent) == 2  # the lock with the lines, then the writes

        first, second = invoice.lines
        sent.clear()
        async with tx.engine.connect() as other:  # a note crediting the first line, settled
            credit = INVOICES.c.credited_minor + first.total_minor
            settled = INVOICES.c.settled_minor + first.total_minor
            await other.execute(
                update(INVOICES)
                .where(INVOICES.c.id == invoice.id)
                .values(
                    version=INVOICES.c.version + 1, credited_minor=credit, settled_minor=settled
                )
            )
            await other.execute(
                update(LINES)
                .where(LINES.c.id == first.id)
                .values(credited_net_minor=first.net_minor, credited_tax_minor=first.tax_minor)
            )
            sent.clear()  # what follows is the cancellation's, and the probe's
            cancel = asyncio.create_task(
                tx.run(billing.cancel_invoice, CancelInvoice(invoice.id, "waited", AGENT))
            )
            await _until_a_lock_is_awaited(tx)
            await other.commit()
        cancelled = await cancel
    finally:
        event.remove(tx.engine.sync_engine, "before_cursor_execute", record)

    assert len([s for s in sent if not s.startswith("SELECT count")]) == 3  # lock, again, writes
    note = cancelled.credit_note
    assert note is not None and [ln.invoice_line_id for ln in note.lines] == [second.id]
    assert note.total_minor == second.total_minor
    assert cancelled.invoice.status == "canceled" and cancelled.invoice.balance_minor == 0


async def _until_a_lock_is_awaited(tx: Transactor) -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with tx.engine.connect() as probe:
        for _ in range(500):
            if await probe.scalar(waiting):
                return
            await asyncio.sleep(0.02)
    raise AssertionError("nobody waited for the invoice's lock")
