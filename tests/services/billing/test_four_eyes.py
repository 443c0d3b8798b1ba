"""B11 on every staff path: a credit note that a staff member's action causes above the threshold
waits for an admin, whether it comes from a cancellation, a service termination or a split; the
customer's own cancellation and the company's billing system (the API) are not staff actions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import billing
from billing import errors
from billing.commands import (
    ApproveCreditNote,
    CancelInvoice,
    RejectCreditNote,
    ReplaceInvoice,
    SplitInvoice,
    TerminateService,
)
from support_desk.core.actors import Actor
from support_desk.core.outbox import OutboxRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import (
    ADMIN,
    ADMIN_2,
    AGENT,
    line,
    make_customer,
    make_invoice,
    make_service,
    pay,
    read_invoice,
)

BIG = 50_000  # 600.00 with 20 % tax: above the 100.00 threshold
API = Actor.api("billing-system")


async def kinds(tx: Transactor, customer_id: int) -> list[str]:
    async def rows(uow: UnitOfWork) -> list[str]:
        found = await uow.session.scalars(
            select(OutboxRow.kind)
            .where(OutboxRow.customer_id == customer_id)
            .order_by(OutboxRow.id)
        )
        return list(found.all())

    return await tx.read(rows)


async def test_b11_an_agents_large_cancellation_waits_for_an_admin(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(BIG))

    done = await tx.run(billing.cancel_invoice, CancelInvoice(invoice.id, "too much", AGENT))

    assert (done.credit_note.status, done.credit_note.number) == ("pending_approval", None)
    assert done.credit_note.total_minor == invoice.total_minor
    assert (await read_invoice(tx, invoice.id)).status == "unpaid"
    assert "credit_note_issued" not in await kinds(tx, customer.id)
    with pytest.raises(errors.CreditNotePending):
        await tx.run(billing.cancel_invoice, CancelInvoice(invoice.id, "again", ADMIN))


async def test_b11_approving_a_large_cancellation_cancels_the_invoice(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(BIG))
    done = await tx.run(billing.cancel_invoice, CancelInvoice(invoice.id, "too much", ADMIN))
    with pytest.raises(errors.OwnCreditNote):
        await tx.run(billing.approve_credit_note, ApproveCreditNote(done.credit_note.id, ADMIN))

    note = await tx.run(
        billing.approve_credit_note, ApproveCreditNote(done.credit_note.id, ADMIN_2)
    )

    after = await read_invoice(tx, invoice.id)
    assert (note.status, note.settled_minor, note.kind) == (
        "issued",
        invoice.total_minor,
        "cancellation",
    )
    assert (after.status, after.balance_minor, after.cancelled_with_id) == ("canceled", 0, note.id)
    assert await kinds(tx, customer.id) == ["credit_note_issued"]


async def test_b11_a_rejected_large_cancellation_leaves_the_invoice_due(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(BIG))
    done = await tx.run(billing.cancel_invoice, CancelInvoice(invoice.id, "too much", AGENT))

    await tx.run(
        billing.reject_credit_note, RejectCreditNote(done.credit_note.id, "they use it", ADMIN)
    )

    after = await read_invoice(tx, invoice.id)
    assert (after.status, after.balance_minor, after.cancelled_with_id) == (
        "unpaid",
        invoice.total_minor,
        None,
    )


@pytest.mark.parametrize("actor", [AGENT, API, "customer"], ids=["agent", "api", "customer"])
async def test_b11_a_small_cancellation_or_one_not_by_staff_is_issued_at_once(
    tx: Transactor, actor: Actor | str
) -> None:
    customer = await make_customer(tx)
    unit = 5000 if actor == AGENT else BIG
    invoice = await make_invoice(tx, customer, line(unit))
    who = Actor.customer(customer.id) if actor == "customer" else actor
    assert isinstance(who, Actor)

    done = await tx.run(billing.cancel_invoice, CancelInvoice(invoice.id, "no", who))

    assert done.credit_note.status == "issued"
    assert (await read_invoice(tx, invoice.id)).status == "canceled"


async def test_b11_b5_a_staff_termination_leaves_a_large_invoice_waiting(tx: Transactor) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer)
    small = await make_invoice(tx, customer, line(5000, service=vps))
    big = await make_invoice(tx, customer, line(90_000, service=vps))

    done = await tx.run(billing.terminate_service, TerminateService(vps.id, "closing", AGENT))

    statuses = {c.invoice.id: c.credit_note.status for c in done.cancellations}
    assert statuses == {small.id: "issued", big.id: "pending_approval"}
    assert (await read_invoice(tx, big.id)).status == "unpaid"
    pending = next(c.credit_note for c in done.cancellations if c.invoice.id == big.id)
    with pytest.raises(errors.OwnCreditNote):  # the agent's termination caused it
        await tx.run(
            billing.approve_credit_note, ApproveCreditNote(pending.id, Actor.admin(1, "Alice"))
        )
    await tx.run(billing.approve_credit_note, ApproveCreditNote(pending.id, ADMIN))
    assert (await read_invoice(tx, big.id)).status == "canceled"


async def test_b5_a_customers_own_termination_cancels_at_once(tx: Transactor) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer)
    big = await make_invoice(tx, customer, line(90_000, service=vps))

    done = await tx.run(
        billing.terminate_service, TerminateService(vps.id, "closing", Actor.customer(customer.id))
    )

    assert [c.credit_note.status for c in done.cancellations] == ["issued"]
    assert (await read_invoice(tx, big.id)).status == "canceled"


async def compound(tx: Transactor, drop: int) -> tuple[int, int, object]:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer)
    desk = await make_service(tx, customer, name="Desk")
    invoice = await make_invoice(tx, customer, line(3000, service=vps), line(drop, service=desk))
    return customer.id, invoice.id, invoice


async def test_b11_b7_a_large_split_waits_for_an_admin_then_reinvoices(tx: Transactor) -> None:
    customer_id, invoice_id, invoice = await compound(tx, 900_000)
    keep = ((invoice.lines[0].id,),)  # type: ignore[attr-defined]

    split = await tx.run(
        billing.split_invoice, SplitInvoice(invoice_id, "drop the desk", keep, AGENT)
    )

    assert split.credit_note.status == "pending_approval"
    assert [v.status for v in split.new_invoices] == ["draft"]
    assert (await read_invoice(tx, invoice_id)).status == "unpaid"
    assert await kinds(tx, customer_id) == []

    note = await tx.run(
        billing.approve_credit_note, ApproveCreditNote(split.credit_note.id, ADMIN)
    )

    assert note.status == "issued"
    assert (await read_invoice(tx, invoice_id)).status == "canceled"
    new = await read_invoice(tx, split.new_invoices[0].id)
    assert (new.status, new.split_from_id, new.total_minor) == ("unpaid", invoice_id, 3600)
    assert new.number is not None
    assert "invoice_split" in await kinds(tx, customer_id)


async def test_b11_b7_a_rejected_split_keeps_the_invoice_and_drops_the_drafts(
    tx: Transactor,
) -> None:
    _, invoice_id, invoice = await compound(tx, 900_000)
    keep = ((invoice.lines[0].id,),)  # type: ignore[attr-defined]
    split = await tx.run(billing.split_invoice, SplitInvoice(invoice_id, "drop", keep, AGENT))

    await tx.run(billing.reject_credit_note, RejectCreditNote(split.credit_note.id, "no", ADMIN))

    assert (await read_invoice(tx, invoice_id)).status == "unpaid"
    draft = await read_invoice(tx, split.new_invoices[0].id)
    assert (draft.status, draft.number) == ("canceled", None)
    again = await tx.run(billing.split_invoice, SplitInvoice(invoice_id, "drop", keep, AGENT))
    assert again.credit_note.status == "pending_approval"


async def test_b1_b11_a_cancellation_is_not_approved_once_the_customer_paid(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(BIG))
    done = await tx.run(billing.cancel_invoice, CancelInvoice(invoice.id, "too much", AGENT))
    await pay(tx, invoice, 100)

    with pytest.raises(errors.InvoicePartiallyPaid):
        await tx.run(billing.approve_credit_note, ApproveCreditNote(done.credit_note.id, ADMIN))
    rejected = await tx.run(
        billing.reject_credit_note, RejectCreditNote(done.credit_note.id, "paid", ADMIN)
    )

    assert rejected.status == "rejected"
    assert (await read_invoice(tx, invoice.id)).status == "partially_paid"


async def test_b11_a_staff_replacement_above_the_threshold_is_refused_and_changes_nothing(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(BIG))

    with pytest.raises(errors.CreditNotePending):
        await tx.run(billing.replace_invoice, ReplaceInvoice(invoice.id, (line(100),), AGENT))

    assert (await read_invoice(tx, invoice.id)).credited_minor == 0
    done = await tx.run(billing.replace_invoice, ReplaceInvoice(invoice.id, (line(100),), API))
    assert done.credit_note.status == "issued" and done.invoice.total_minor == 120
    assert await kinds(tx, customer.id) == ["credit_note_issued", "invoice_delivered"]
