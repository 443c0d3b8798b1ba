"""B1–B5: cancelling unpaid invoices, undo within the window, terminating services."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import billing
from billing import errors
from billing.commands import CancelInvoice, TerminateService, UndoCancellation
from billing.models import CreditNote, ServiceStatus
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.clock import FrozenClock
from support_desk.core.outbox import OutboxRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import (
    AGENT,
    line,
    make_customer,
    make_invoice,
    make_service,
    pay,
    read_invoice,
)


def cancel_cmd(invoice_id: int, actor: Actor, key: str | None = None) -> CancelInvoice:
    return CancelInvoice(
        invoice_id=invoice_id, reason="not needed", actor=actor, idempotency_key=key
    )


async def count(tx: Transactor, model: type, *where: object) -> int:
    async def q(uow: UnitOfWork) -> int:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)))

    return await tx.read(q)


async def test_b1_b2_cancelling_an_unpaid_invoice_issues_a_mirroring_credit_note(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(6833, 2), line(5750, discount=750))

    result = await tx.run(
        billing.cancel_invoice, cancel_cmd(invoice.id, Actor.customer(customer.id))
    )

    note = result.credit_note
    assert result.invoice.status == "canceled" and result.invoice.balance_minor == 0
    assert result.invoice.cancelled_with_id == note.id and note.invoice_id == invoice.id
    assert note.number == "CN-000001" and note.status == "issued"
    assert note.total_minor == invoice.total_minor == note.settled_minor
    assert [(ln.quantity, ln.unit_price_minor, ln.tax_minor) for ln in note.lines] == [
        (ln.quantity, ln.unit_price_minor, ln.tax_minor) for ln in invoice.lines
    ]


async def test_b3_the_customer_is_sent_the_credit_note(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer)

    result = await tx.run(
        billing.cancel_invoice, cancel_cmd(invoice.id, Actor.customer(customer.id))
    )

    assert (
        await count(
            tx,
            OutboxRow,
            OutboxRow.kind == "credit_note_issued",
            OutboxRow.customer_id == customer.id,
        )
        == 1
    )
    assert result.credit_note.undo_until is not None


@pytest.mark.parametrize(
    ("paid", "error"), [(500, errors.InvoicePartiallyPaid), (1200, errors.InvoicePaid)]
)
async def test_b1_a_partly_or_fully_paid_invoice_cannot_be_cancelled(
    tx: Transactor, paid: int, error: type[Exception]
) -> None:
    customer = await make_customer(tx)
    invoice = await pay(tx, await make_invoice(tx, customer), paid)

    with pytest.raises(error):
        await tx.run(billing.cancel_invoice, cancel_cmd(invoice.id, Actor.customer(customer.id)))

    assert await count(tx, CreditNote) == 0


async def test_b1_a_stranger_cannot_cancel_someone_elses_invoice(tx: Transactor) -> None:
    owner, stranger = await make_customer(tx), await make_customer(tx)
    invoice = await make_invoice(tx, owner)

    with pytest.raises(errors.NotYourInvoice):
        await tx.run(billing.cancel_invoice, cancel_cmd(invoice.id, Actor.customer(stranger.id)))

    assert (await read_invoice(tx, invoice.id)).status == "unpaid"


async def test_b1_cancelling_twice_answers_with_the_first_credit_note(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer)
    first = await tx.run(billing.cancel_invoice, cancel_cmd(invoice.id, AGENT))

    again = await tx.run(billing.cancel_invoice, cancel_cmd(invoice.id, AGENT))

    assert again.already_cancelled and again.credit_note.id == first.credit_note.id
    assert await count(tx, CreditNote) == 1


async def test_b4_undo_within_the_window_restores_the_invoice_and_voids_the_note(
    tx: Transactor, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    me = Actor.customer(customer.id)
    invoice = await make_invoice(tx, customer)
    cancelled = await tx.run(billing.cancel_invoice, cancel_cmd(invoice.id, me))
    clock.advance(minutes=19)

    undo = await tx.run(
        billing.undo_cancellation,
        UndoCancellation(credit_note_id=cancelled.credit_note.id, actor=me),
    )

    assert undo.invoice.status == "unpaid" and undo.invoice.balance_minor == invoice.total_minor
    assert undo.invoice.credited_minor == 0 and undo.invoice.cancelled_with_id is None
    assert undo.credit_note.status == "void" and undo.credit_note.number == "CN-000001"
    again = await tx.run(billing.cancel_invoice, cancel_cmd(invoice.id, me))
    assert again.credit_note.number == "CN-000002"


async def test_b4_undo_after_the_window_is_refused(tx: Transactor, clock: FrozenClock) -> None:
    customer = await make_customer(tx)
    me = Actor.customer(customer.id)
    cancelled = await tx.run(
        billing.cancel_invoice, cancel_cmd((await make_invoice(tx, customer)).id, me)
    )
    clock.advance(minutes=21)

    with pytest.raises(errors.UndoWindowPassed):
        await tx.run(
            billing.undo_cancellation,
            UndoCancellation(credit_note_id=cancelled.credit_note.id, actor=me),
        )


async def test_b4_only_a_self_service_cancellation_can_be_undone(tx: Transactor) -> None:
    customer = await make_customer(tx)
    cancelled = await tx.run(
        billing.cancel_invoice, cancel_cmd((await make_invoice(tx, customer)).id, AGENT)
    )

    with pytest.raises(errors.UndoNotAllowed):
        await tx.run(
            billing.undo_cancellation,
            UndoCancellation(
                credit_note_id=cancelled.credit_note.id, actor=Actor.customer(customer.id)
            ),
        )


async def test_b5_a_customer_cannot_cancel_the_invoice_of_a_service_in_use(tx: Transactor) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE)
    invoice = await make_invoice(tx, customer, line(500, service=vps))

    with pytest.raises(errors.ServiceInUse):
        await tx.run(billing.cancel_invoice, cancel_cmd(invoice.id, Actor.customer(customer.id)))


async def test_b5_terminating_a_service_cancels_its_unpaid_non_compound_invoices(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE)
    desk = await make_service(tx, customer, ServiceStatus.ACTIVE, name="Desk")
    single = await make_invoice(tx, customer, line(500, service=vps))
    compound = await make_invoice(tx, customer, line(500, service=vps), line(700, service=desk))
    paid = await pay(tx, await make_invoice(tx, customer, line(300, service=vps)), 360)

    result = await tx.run(
        billing.terminate_service,
        TerminateService(
            service_id=vps.id, reason="moving out", actor=Actor.customer(customer.id)
        ),
    )

    assert [c.invoice.id for c in result.cancellations] == [single.id]
    assert (await read_invoice(tx, single.id)).status == "canceled"
    assert (await read_invoice(tx, compound.id)).status == "unpaid"
    assert (await read_invoice(tx, paid.id)).status == "paid"
    assert result.service.status == "terminated"


async def test_b7_a_customer_cannot_self_cancel_a_compound_invoice(tx: Transactor) -> None:
    customer = await make_customer(tx)
    vps, desk = await make_service(tx, customer), await make_service(tx, customer, name="Desk")
    invoice = await make_invoice(tx, customer, line(500, service=vps), line(700, service=desk))

    with pytest.raises(errors.InvoiceIsCompound):
        await tx.run(billing.cancel_invoice, cancel_cmd(invoice.id, Actor.customer(customer.id)))


async def test_b5_an_invoice_whose_credit_note_awaits_approval_is_left_to_its_ticket(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE)
    invoice = await make_invoice(tx, customer, line(20000, service=vps))
    pending = await tx.run(
        billing.issue_credit_note,
        billing.commands.IssueCreditNote(
            invoice_id=invoice.id, reason="goodwill", actor=AGENT, amount_minor=15000
        ),
    )

    result = await tx.run(
        billing.terminate_service,
        TerminateService(
            service_id=vps.id, reason="moving out", actor=Actor.customer(customer.id)
        ),
    )

    assert pending.status == "pending_approval"
    assert result.service.status == "terminated" and result.cancellations == ()
    assert (await read_invoice(tx, invoice.id)).status == "unpaid"


async def test_w11_the_audit_rows_say_what_the_invoice_was_before_and_after(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    paid_part = await make_invoice(tx, customer, line(1000, rate_bp=0))
    await pay(tx, paid_part, 400)
    cancelled = await make_invoice(tx, customer, line(700))
    await tx.run(billing.cancel_invoice, cancel_cmd(cancelled.id, AGENT))

    async def trail(uow: UnitOfWork) -> list[tuple[str, object, object]]:
        rows = await uow.session.scalars(
            select(AuditRow)
            .where(AuditRow.action.in_(("invoice.payment", "invoice.cancelled")))
            .order_by(AuditRow.id)
        )
        return [(r.action, r.before, r.after) for r in rows]

    (
        (paid_action, paid_before, paid_after),
        (cancel_action, cancel_before, cancel_after),
    ) = await tx.read(trail)
    assert (paid_action, paid_before) == ("invoice.payment", {"paid_minor": 0, "status": "unpaid"})
    assert isinstance(paid_after, dict)
    assert (paid_after["paid_minor"], paid_after["status"]) == (400, "partially_paid")
    assert (cancel_action, cancel_before) == ("invoice.cancelled", {"status": "unpaid"})
    assert isinstance(cancel_after, dict) and cancel_after["status"] == "canceled"


async def test_b3_the_payment_message_tells_what_is_still_to_pay(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(1000, rate_bp=0))
    await pay(tx, invoice, 400)
    await pay(tx, invoice, 600)

    async def balances(uow: UnitOfWork) -> list[object]:
        rows = await uow.session.scalars(
            select(OutboxRow).where(OutboxRow.kind == "payment_received").order_by(OutboxRow.id)
        )
        return [(r.payload["amount_minor"], r.payload["balance_minor"]) for r in rows]

    assert await tx.read(balances) == [(400, 600), (600, 0)]
