"""The read side's invoice and credit-note views are two prebuilt Core SELECTs each
(`billing.statements.read_invoice_view`, `read_credit_note_view`, behind `billing.queries` and
`billing.history.own`, issue 13); the ORM's `repo.invoice_view` / `repo.credit_note_view` stay
for the write paths. Both must answer the same view for every state an invoice and its credit
notes pass through, and the same refusal for what is not there or not the customer's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import billing
from billing import errors, history, repo, rules, statements
from billing.commands import (
    CancelInvoice,
    IssueCreditNote,
    LineCredit,
    Remainder,
    UndoCancellation,
)
from billing.history import HistoryEvent, InvoiceHistory
from billing.models import AccountCredit, CreditNote, Payment, Refund
from billing.read_models import CreditNoteView, InvoiceView, document_number
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.db import run_near
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import ADMIN, line, make_customer, make_invoice, make_service, pay


async def _both_invoice(uow: UnitOfWork, invoice_id: int) -> tuple[InvoiceView | None, ...]:
    conn = await statements.connection(uow.session)
    core = await run_near(conn, statements.read_invoice_view, invoice_id)
    at_once = await statements.read_invoice_view_at_once(conn, invoice_id)
    orm = await repo.invoice_view(uow.session, invoice_id)
    assert at_once == core
    return core, orm


async def _both_note(uow: UnitOfWork, note_id: int) -> tuple[CreditNoteView | None, ...]:
    conn = await statements.connection(uow.session)
    core = await run_near(conn, statements.read_credit_note_view, note_id)
    assert await run_near(conn, statements.read_credit_note_view_at_once, note_id) == core
    batch = await run_near(conn, statements.read_credit_note_views, [note_id])
    assert batch == ([core] if core is not None else [])
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
        with pytest.raises(errors.NotYourInvoice):
            await tx.read_statement(billing.queries.own_invoice_at_once, invoice_id, mine.id)
    with pytest.raises(errors.NotYourInvoice):  # a draft is nobody's to see
        await tx.read(history.own, draft.id, mine.id)
    with pytest.raises(errors.NotYourInvoice):
        await tx.read_statement(
            billing.queries.own_invoice_at_once, draft.id, mine.id, drafts=False
        )
    seen = await tx.read_statement(billing.queries.own_invoice_at_once, draft.id, mine.id)
    assert seen == await tx.read(billing.queries.customer_invoice, draft.id, mine.id)
    assert (await tx.read(billing.queries.customer_invoice, draft.id, mine.id)).id == draft.id
    with pytest.raises(errors.CreditNoteNotFound):
        await tx.read(billing.queries.credit_note_view, 999_999)
    with pytest.raises(errors.CreditNoteNotFound):
        await tx.read_statement(billing.queries.credit_note_at_once, 999_999)


async def _both_invoice_missing(uow: UnitOfWork, invoice_id: int) -> tuple[object, object]:
    conn = await statements.connection(uow.session)
    core = await run_near(conn, statements.read_invoice_view, invoice_id)
    try:
        orm: object = await repo.invoice_view(uow.session, invoice_id)
    except errors.InvoiceNotFound:
        orm = None
    return core, orm


async def _orm_history(uow: UnitOfWork, invoice_id: int, customer_id: int) -> InvoiceHistory:
    """`history.invoice_history` as it read through ORM entities before issue 13."""
    invoice = await repo.invoice_view(uow.session, invoice_id)
    notes = list(
        (
            await uow.session.scalars(
                select(CreditNote)
                .where(CreditNote.invoice_id == invoice.id)
                .order_by(CreditNote.id)
            )
        ).all()
    )
    payments = await uow.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id))
    events = [*history._invoice_events(invoice)]
    events += [
        HistoryEvent(p.received_at, "payment", p.amount_minor, method=p.method) for p in payments
    ]
    for note in notes:
        events.extend(history._note_events(note))  # type: ignore[arg-type]
    if notes:
        rows = await uow.session.execute(
            select(Refund, Payment.method)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Refund.credit_note_id.in_([n.id for n in notes]))
            .order_by(Refund.id)
        )
        events += [
            HistoryEvent(r.created_at, "refund", r.amount_minor, method=m, state="sent")
            for r, m in rows.all()
        ]
    documents = tuple(
        history.Document(n.id, document_number(n.series, n.number) or "", n.status)
        for n in notes
        if n.number is not None
    )
    held = await uow.session.scalars(
        select(AccountCredit).where(
            AccountCredit.customer_id == customer_id, AccountCredit.currency == invoice.currency
        )
    )
    credit = sum(c.balance_minor for c in held if c.balance_minor > 0)
    lines = await repo.get_lines(uow.session, invoice.id)
    in_use = await repo.services_in_use(uow.session, [ln.service_id for ln in lines])
    refusal = rules.customer_cancel_refusal(invoice, in_use)
    return InvoiceHistory(
        invoice,
        tuple(sorted(events, key=lambda e: e.at)),
        documents,
        credit,
        refusal.code if refusal else None,
    )


async def test_an_invoice_history_and_the_list_read_what_the_orm_read(
    tx: Transactor, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    me = Actor.customer(customer.id)
    service = await make_service(tx, customer)
    undone = await make_invoice(tx, customer, line(700))
    done = await tx.run(billing.cancel_invoice, CancelInvoice(undone.id, "no", me))
    clock.advance(minutes=1)
    await tx.run(billing.undo_cancellation, UndoCancellation(done.credit_note.id, me))
    cancelled = await make_invoice(tx, customer, line(900))
    await tx.run(billing.cancel_invoice, CancelInvoice(cancelled.id, "no", me))
    fresh = await make_invoice(tx, customer, line(50, 3))
    paid = await make_invoice(tx, customer, line(1000, 2), line(300, service=service))
    await pay(tx, paid, 1000)
    clock.advance(hours=1)
    await pay(tx, paid, paid.total_minor - 1000)
    for remainder, amount in ((Remainder.REFUND, 500), (Remainder.ACCOUNT_CREDIT, 400)):
        clock.advance(hours=1)
        await tx.run(
            billing.issue_credit_note,
            IssueCreditNote(paid.id, "goodwill", ADMIN, amount_minor=amount, remainder=remainder),
        )

    for invoice in (paid, undone, cancelled, fresh):
        core = await tx.read(history.invoice_history, invoice.id, customer.id)
        assert core == await tx.read(_orm_history, invoice.id, customer.id)
        assert core.events and core.invoice == await tx.read(_invoice_orm, invoice.id)
    kinds = {e.kind for e in (await tx.read(history.invoice_history, paid.id, customer.id)).events}
    assert kinds >= {"issued", "payment", "credit_note", "refund", "account_credit"}
    undone_kinds = (await tx.read(history.invoice_history, undone.id, customer.id)).events
    assert "voided" in {e.kind for e in undone_kinds}
    shown = await tx.read(history.invoice_list, customer.id, 1, 3)
    assert [i.id for i in shown.items] == [fresh.id, undone.id, paid.id]  # open first
    assert list(shown.items) == [await tx.read(_invoice_orm, i.id) for i in shown.items]
    ids = [fresh.id, 999_999, paid.id, undone.id]
    views = await tx.read(_views, ids)
    assert views == [await tx.read(_invoice_orm, i) for i in (fresh.id, paid.id, undone.id)]


async def _invoice_orm(uow: UnitOfWork, invoice_id: int) -> InvoiceView:
    return await repo.invoice_view(uow.session, invoice_id)


async def _views(uow: UnitOfWork, ids: list[int]) -> list[InvoiceView]:
    conn = await statements.connection(uow.session)
    return await run_near(conn, statements.read_invoice_views, ids)


async def test_pages_of_invoices_and_credit_notes_read_together_what_one_by_one_read(
    tx: Transactor,
) -> None:
    """`invoices_page` and `credit_notes_page` read a page's rows in two statements, not two or
    three per row: the same views, in the same order, page after page."""
    customer = await make_customer(tx)
    invoices = [await make_invoice(tx, customer, line(1000 + i), line(50)) for i in range(7)]
    for invoice in invoices[:5]:
        cmd = CancelInvoice(invoice.id, "not needed", Actor.customer(customer.id))
        await tx.run(billing.cancel_invoice, cmd)
    paid = await pay(tx, invoices[5], invoices[5].total_minor)
    await tx.run(
        billing.issue_credit_note,
        IssueCreditNote(paid.id, "goodwill", ADMIN, amount_minor=300, remainder=Remainder.REFUND),
    )

    async def pages(uow: UnitOfWork, load: object) -> list[object]:
        seen, after = [], None
        while True:
            page = await load(uow, customer_id=customer.id, after=after, limit=3)  # type: ignore[operator]
            seen.extend(page.items)
            if page.next_after is None:
                return seen
            after = page.next_after

    invoice_pages = await tx.read(pages, billing.queries.invoices_page)
    assert [i.id for i in invoice_pages] == [i.id for i in reversed(invoices)]
    assert invoice_pages == [await tx.read(_invoice_orm, i.id) for i in reversed(invoices)]
    note_pages = await tx.read(pages, billing.queries.credit_notes_page)
    assert len(note_pages) == 6
    assert note_pages == [await tx.read(_note_orm, n.id) for n in note_pages]
    assert [n.id for n in note_pages] == sorted((n.id for n in note_pages), reverse=True)


async def _note_orm(uow: UnitOfWork, note_id: int) -> CreditNoteView:
    return await repo.credit_note_view(uow.session, note_id)
