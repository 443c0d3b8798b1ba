"""The read side's invoice and credit-note views are two prebuilt Core SELECTs each
(`billing.statements.read_invoice_view`, `read_credit_note_view`, behind `billing.queries` and
`billing.history.own`, issue 13); the ORM's `repo.invoice_view` / `repo.credit_note_view` stay
for the write paths. Both must answer the same view for every state an invoice and its credit
notes pass through, and the same refusal for what is not there or not the customer's."""

from __future__ import annotations

import pytest

import billing
from billing import errors, history, repo, statements
from billing.commands import CancelInvoice, IssueCreditNote, LineCredit, UndoCancellation
from billing.read_models import CreditNoteView, InvoiceView
from support_desk.core.actors import Actor
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import ADMIN, line, make_customer, make_invoice, pay


async def _both_invoice(uow: UnitOfWork, invoice_id: int) -> tuple[InvoiceView | None, ...]:
    conn = await statements.connection(uow.session)
    core = await statements.read_invoice_view(conn, invoice_id)
    orm = await repo.invoice_view(uow.session, invoice_id)
    return core, orm


async def _both_note(uow: UnitOfWork, note_id: int) -> tuple[CreditNoteView | None, ...]:
    conn = await statements.connection(uow.session)
    core = await statements.read_credit_note_view(conn, note_id)
    orm = await repo.credit_note_view(uow.session, note_id)
    return core, orm


async def _same_invoice(tx: Transactor, invoice_id: int) -> InvoiceView:
    core, orm = await tx.read(_both_invoice, invoice_id)
    assert core == orm and core is not None
    return core


async def _same_note(tx: Transactor, note_id: int) -> CreditNoteView:
    core, orm = await tx.read(_both_note, note_id)
    assert core == orm and core is not None
    return core


async def test_every_state_of_an_invoice_and_its_notes_reads_the_same(tx: Transactor) -> None:
    customer = await make_customer(tx, name="Алёна")
    me = Actor.customer(customer.id)
    invoice = await make_invoice(
        tx, customer, line(1000, 2), line(333, 3, rate_bp=825, discount=9), description="VPS"
    )
    await _same_invoice(tx, invoice.id)
    paid = await pay(tx, await make_invoice(tx, customer, line(700)), 500)
    assert (await _same_invoice(tx, paid.id)).paid_minor == 500

    first = invoice.lines[0].id
    note = await tx.run(
        billing.issue_credit_note,
        IssueCreditNote(invoice.id, "goodwill", ADMIN, lines=(LineCredit(first, 100),)),
    )
    await _same_note(tx, note.id)
    assert (await _same_invoice(tx, invoice.id)).lines[0].credited_net_minor == 100

    cancelled = await tx.run(billing.cancel_invoice, CancelInvoice(invoice.id, "no longer", me))
    shown = await _same_note(tx, cancelled.credit_note.id)
    assert shown.status == "issued" and shown.invoice_number == invoice.number
    assert (await _same_invoice(tx, invoice.id)).status == "canceled"

    await tx.run(billing.undo_cancellation, UndoCancellation(cancelled.credit_note.id, me))
    assert (await _same_note(tx, cancelled.credit_note.id)).status == "void"
    assert (await _same_invoice(tx, invoice.id)).status != "canceled"

    draft = await make_invoice(tx, customer, line(50), draft=True)
    assert (await _same_invoice(tx, draft.id)).number is None


async def test_what_is_missing_or_someone_elses_is_refused_the_same_way(tx: Transactor) -> None:
    mine, theirs = await make_customer(tx), await make_customer(tx, external_id="other")
    invoice = await make_invoice(tx, theirs)
    draft = await make_invoice(tx, mine, draft=True)

    assert await tx.read(_both_invoice_missing, 999_999) == (None, None)
    for invoice_id in (invoice.id, 999_999):
        with pytest.raises(errors.NotYourInvoice):
            await tx.read(billing.queries.customer_invoice, invoice_id, mine.id)
        with pytest.raises(errors.NotYourInvoice):
            await tx.read(history.own, invoice_id, mine.id)
    with pytest.raises(errors.NotYourInvoice):  # a draft is nobody's to see
        await tx.read(history.own, draft.id, mine.id)
    assert (await tx.read(billing.queries.customer_invoice, draft.id, mine.id)).id == draft.id
    with pytest.raises(errors.CreditNoteNotFound):
        await tx.read(billing.queries.credit_note_view, 999_999)


async def _both_invoice_missing(uow: UnitOfWork, invoice_id: int) -> tuple[object, object]:
    conn = await statements.connection(uow.session)
    core = await statements.read_invoice_view(conn, invoice_id)
    try:
        orm: object = await repo.invoice_view(uow.session, invoice_id)
    except errors.InvoiceNotFound:
        orm = None
    return core, orm
