"""M1, M3/M5, D2, D3: one invoice cancelled by many at once gets exactly one credit note, on
SQLite and on PostgreSQL, and nobody sees a lock error."""

from __future__ import annotations

import asyncio

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import billing
from billing.commands import CancelInvoice
from billing.models import CreditNote
from billing.read_models import Cancellation
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.outbox import OutboxRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import AGENT, AGENT_2, line, make_customer, make_invoice
from tests.model_billing import audit, concurrent_tx, start_clean


def cancel_cmd(invoice_id: int, actor: Actor, key: str) -> CancelInvoice:
    return CancelInvoice(
        invoice_id=invoice_id, reason="double tap", actor=actor, idempotency_key=key
    )


async def count(tx: Transactor, model: type, *where: ColumnElement[bool]) -> int:
    async def q(uow: UnitOfWork) -> int:
        stmt = select(func.count()).select_from(model).where(*where)
        return int(await uow.session.scalar(stmt) or 0)

    return await tx.read(q)


async def test_m1_fifty_concurrent_cancellations_issue_exactly_one_credit_note(
    tx: Transactor, engine: AsyncEngine
) -> None:
    await start_clean(engine)
    customer = await make_customer(tx)
    # below B11's threshold, so whoever wins (the customer or an agent) issues at once
    invoice = await make_invoice(tx, customer, line(2000, 2), line(2750, discount=750))
    actors = [(Actor.customer(customer.id), AGENT, AGENT_2)[i % 3] for i in range(50)]

    async with concurrent_tx(tx) as burst:
        results = await asyncio.gather(
            *(
                burst.run(billing.cancel_invoice, cancel_cmd(invoice.id, actor, f"cancel-{i}"))
                for i, actor in enumerate(actors)
            ),
            return_exceptions=True,
        )

    failures = [r for r in results if not isinstance(r, Cancellation)]
    assert failures == []
    done = [r for r in results if isinstance(r, Cancellation)]
    first = [r for r in done if not r.already_cancelled]
    assert len(first) == 1
    note = first[0].credit_note
    assert all(r.credit_note.id == note.id for r in done)
    assert all(r.invoice.status == "canceled" and r.invoice.balance_minor == 0 for r in done)
    assert note.status == "issued" and note.number == "CN-000001"
    assert note.total_minor == invoice.total_minor == note.settled_minor
    assert await count(tx, CreditNote) == 1
    assert await count(tx, AuditRow, AuditRow.action == "invoice.cancelled") == 1
    assert await count(tx, OutboxRow, OutboxRow.kind == "credit_note_issued") == 1
    await audit(tx)


async def test_m3_ten_concurrent_calls_with_one_key_have_one_effect_and_one_answer(
    tx: Transactor, engine: AsyncEngine
) -> None:
    await start_clean(engine)
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(1999, 3, rate_bp=1900))
    cmd = cancel_cmd(invoice.id, Actor.customer(customer.id), "tap-42")

    async with concurrent_tx(tx) as burst:
        results = await asyncio.gather(
            *(burst.run(billing.cancel_invoice, cmd) for _ in range(10)), return_exceptions=True
        )

    assert [r for r in results if not isinstance(r, Cancellation)] == []
    assert all(r == results[0] for r in results)
    assert isinstance(results[0], Cancellation) and not results[0].already_cancelled
    assert await count(tx, CreditNote) == 1
    assert await count(tx, AuditRow, AuditRow.action == "invoice.cancelled") == 1
    assert await count(tx, OutboxRow, OutboxRow.kind == "credit_note_issued") == 1
    replay = await tx.run(billing.cancel_invoice, cmd)
    assert replay == results[0]
    await audit(tx)


async def test_m1_concurrent_cancellations_of_many_invoices_each_get_one_note(
    tx: Transactor, engine: AsyncEngine
) -> None:
    await start_clean(engine)
    customer = await make_customer(tx)
    invoices = [await make_invoice(tx, customer, line(1000 + i)) for i in range(5)]
    calls = [(inv, n) for inv in invoices for n in range(6)]

    async with concurrent_tx(tx) as burst:
        results = await asyncio.gather(
            *(
                burst.run(billing.cancel_invoice, cancel_cmd(inv.id, AGENT, f"k-{inv.id}-{n}"))
                for inv, n in calls
            ),
            return_exceptions=True,
        )

    assert [r for r in results if not isinstance(r, Cancellation)] == []
    for inv in invoices:
        mine = [r for r in results if isinstance(r, Cancellation) and r.invoice.id == inv.id]
        assert len(mine) == 6
        assert sum(not r.already_cancelled for r in mine) == 1
        assert len({r.credit_note.id for r in mine}) == 1
    snap = await audit(tx)
    assert len(snap.notes) == 5
