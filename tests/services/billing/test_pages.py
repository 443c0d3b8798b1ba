"""The invoice and credit-note lists: newest first, filtered, keyset-paged on id."""

from __future__ import annotations

import billing
from billing.commands import CancelInvoice
from support_desk.core.tx import Transactor
from tests.factories import STAFF, make_customer, make_invoice, pay


async def test_invoices_page_filters_by_customer_and_status_and_pages_newest_first(
    tx: Transactor,
) -> None:
    alex, sam = await make_customer(tx), await make_customer(tx)
    first, second, third = [await make_invoice(tx, alex) for _ in range(3)]
    await make_invoice(tx, sam)
    await pay(tx, second, second.total_minor)

    page = await tx.read(billing.queries.invoices_page, customer_id=alex.id, limit=2)
    assert [i.id for i in page.items] == [third.id, second.id]
    assert page.next_after == second.id
    rest = await tx.read(
        billing.queries.invoices_page, customer_id=alex.id, after=page.next_after, limit=2
    )
    assert [i.id for i in rest.items] == [first.id]
    assert rest.next_after is None

    unpaid = await tx.read(
        billing.queries.invoices_page, customer_id=alex.id, statuses=("unpaid",)
    )
    assert [i.id for i in unpaid.items] == [third.id, first.id]


async def test_credit_notes_page_filters_by_invoice_and_status(tx: Transactor) -> None:
    alex = await make_customer(tx)
    kept, *cancelled = [await make_invoice(tx, alex) for _ in range(3)]
    notes = [
        (
            await tx.run(
                billing.cancel_invoice,
                CancelInvoice(invoice_id=invoice.id, reason="not needed", actor=STAFF),
            )
        ).credit_note
        for invoice in cancelled
    ]
    assert all(note is not None for note in notes)
    ids = [note.id for note in notes if note is not None]

    everything = await tx.read(billing.queries.credit_notes_page, customer_id=alex.id, limit=1)
    assert [n.id for n in everything.items] == [ids[1]]
    assert everything.next_after == ids[1]
    one = await tx.read(billing.queries.credit_notes_page, invoice_id=cancelled[0].id)
    assert [n.id for n in one.items] == [ids[0]]
    assert (await tx.read(billing.queries.credit_notes_page, invoice_id=kept.id)).items == ()
    issued = await tx.read(
        billing.queries.credit_notes_page, customer_id=alex.id, statuses=("issued",)
    )
    assert [n.id for n in issued.items] == [ids[1], ids[0]]
    pending = await tx.read(
        billing.queries.credit_notes_page, customer_id=alex.id, statuses=("pending_approval",)
    )
    assert pending.items == ()
