"""M8: one credit note voided twice at once is voided once (one audit row, one reversal in the
journal, one message); a void is refused once the note's credit went out and was used."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import billing
from billing import errors
from billing.commands import (
    ApplyAccountCredit,
    CancelInvoice,
    IssueCreditNote,
    Remainder,
    UndoCancellation,
)
from billing.models import CreditNote, JournalEntry
from billing.read_models import Undo
from billing.services import crediting
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.outbox import OutboxRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import STAFF, line, make_customer, make_invoice, pay, read_invoice
from tests.model_billing import audit, concurrent_tx, start_clean


async def _counts(tx: Transactor, note_id: int) -> tuple[int, int, int]:
    async def q(uow: UnitOfWork) -> tuple[int, int, int]:
        s = uow.session
        voided = await s.scalar(
            select(func.count(AuditRow.id)).where(
                AuditRow.action == "credit_note.voided", AuditRow.subject_id == str(note_id)
            )
        )
        reversals = await s.scalar(
            select(func.count(func.distinct(JournalEntry.txn))).where(
                JournalEntry.txn.like(f"%void:{note_id}%")
            )
        )
        messages = await s.scalar(
            select(func.count(OutboxRow.id)).where(OutboxRow.kind == "cancellation_undone")
        )
        return int(voided or 0), int(reversals or 0), int(messages or 0)

    return await tx.read(q)


@pytest.mark.parametrize("keyed", [True, False], ids=["own keys", "no keys"])
async def test_m8_one_credit_note_voided_ten_times_at_once_is_voided_once(
    tx: Transactor, engine: AsyncEngine, keyed: bool
) -> None:
    await start_clean(engine)
    customer = await make_customer(tx)
    me = Actor.customer(customer.id)
    invoice = await make_invoice(tx, customer, line(6833, 2))
    cancelled = await tx.run(
        billing.cancel_invoice, CancelInvoice(invoice.id, "changed my mind", me, "cancel-1")
    )
    note_id = cancelled.credit_note.id

    async with concurrent_tx(tx) as burst:
        results = await asyncio.gather(
            *(
                burst.run(
                    billing.undo_cancellation,
                    UndoCancellation(note_id, me, f"undo-{i}" if keyed else None),
                )
                for i in range(10)
            ),
            return_exceptions=True,
        )

    assert [r for r in results if not isinstance(r, Undo)] == []
    undos = [r for r in results if isinstance(r, Undo)]
    assert sum(not r.already_undone for r in undos) == 1
    assert {r.credit_note.status for r in undos} == {"void"}
    assert await _counts(tx, note_id) == (1, 1, 1)
    after = await read_invoice(tx, invoice.id)
    assert (after.status, after.balance_minor, after.credited_minor) == (
        "unpaid",
        invoice.total_minor,
        0,
    )
    await audit(tx)


async def test_m8_a_void_is_refused_after_the_notes_credit_was_used(tx: Transactor) -> None:
    customer = await make_customer(tx)
    first = await make_invoice(tx, customer, line(1000))
    await pay(tx, first, 1200)
    issued = await tx.run(
        billing.issue_credit_note,
        IssueCreditNote(first.id, "goodwill", STAFF, remainder=Remainder.ACCOUNT_CREDIT),
    )
    later = await make_invoice(tx, customer, line(2000))
    await tx.run(
        billing.apply_account_credit, ApplyAccountCredit(later.id, Actor.customer(customer.id))
    )
    before = await audit(tx)

    async def void_it(uow: UnitOfWork) -> bool:
        note = await uow.session.get(CreditNote, issued.id)
        assert note is not None
        return await crediting.void(uow, note, STAFF)

    with pytest.raises(errors.UndoNotAllowed):
        await tx.run(void_it)
    with pytest.raises(errors.UndoNotAllowed):  # nor through the customer's undo
        await tx.run(
            billing.undo_cancellation,
            UndoCancellation(issued.id, Actor.customer(customer.id)),
        )

    after = await audit(tx)
    assert [n.status for n in after.notes] == [n.status for n in before.notes] == ["issued"]
    assert len(after.journal) == len(before.journal)
    assert await tx.read(billing.queries.account_credit_of, customer.id) == {"EUR": 0}
    assert (await read_invoice(tx, later.id)).balance_minor == later.total_minor - 1200
