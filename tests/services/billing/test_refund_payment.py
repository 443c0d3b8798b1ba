"""B6, B9: a refund asked against one payment goes back to that payment; a payment of another
invoice, one from account credit, or one holding too little is refused before anything is
written; a waiting note keeps its payment until an admin approves it; two refunds racing for
the same payment never take more than it brought in."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import billing
from billing import errors
from billing.commands import (
    ApplyAccountCredit,
    ApproveCreditNote,
    IssueCreditNote,
    Remainder,
)
from billing.models import CreditNote, Refund
from support_desk.core.actors import Actor
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import ADMIN, AGENT, STAFF, line, make_customer, make_invoice, pay
from tests.model_billing import audit, concurrent_tx, start_clean


def refund(
    invoice_id: int, payment_id: int | None, amount: int, actor: Actor = STAFF
) -> IssueCreditNote:
    return IssueCreditNote(
        invoice_id, "goodwill", actor, None, (), amount, Remainder.REFUND, payment_id
    )


async def _twice_paid(tx: Transactor) -> tuple[int, int, int]:
    """An invoice of 120.00 paid 70.00 then 50.00: (invoice, older payment, newer payment)."""
    invoice = await make_invoice(tx, await make_customer(tx), line(10000))
    await pay(tx, invoice, 7000)
    await pay(tx, invoice, 5000)
    older, newer = await tx.read(billing.queries.payments_of, invoice.id)
    return invoice.id, older.id, newer.id


async def _refunds(tx: Transactor) -> list[tuple[int, int]]:
    async def q(uow: UnitOfWork) -> list[tuple[int, int]]:
        rows = await uow.session.execute(
            select(Refund.payment_id, Refund.amount_minor).order_by(Refund.id)
        )
        return [(r.payment_id, r.amount_minor) for r in rows]

    return await tx.read(q)


async def test_b6_the_refund_goes_back_to_the_chosen_payment_not_the_newest(
    tx: Transactor,
) -> None:
    invoice_id, older, newer = await _twice_paid(tx)

    note = await tx.run(billing.issue_credit_note, refund(invoice_id, older, 6000))

    assert note.refund_minor == 6000
    assert await _refunds(tx) == [(older, 6000)]
    by_id = {p.id: p for p in await tx.read(billing.queries.payments_of, invoice_id)}
    assert (by_id[older].refunded_minor, by_id[newer].refunded_minor) == (6000, 0)
    await audit(tx)


async def test_b6_without_a_choice_the_newest_payment_goes_first(tx: Transactor) -> None:
    invoice_id, older, newer = await _twice_paid(tx)

    await tx.run(billing.issue_credit_note, refund(invoice_id, None, 6000))

    assert await _refunds(tx) == [(newer, 5000), (older, 1000)]


async def _notes(tx: Transactor) -> int:
    async def q(uow: UnitOfWork) -> int:
        return int(await uow.session.scalar(select(func.count()).select_from(CreditNote)) or 0)

    return await tx.read(q)


async def test_b6_a_payment_holding_too_little_is_refused_and_nothing_is_written(
    tx: Transactor,
) -> None:
    invoice_id, _, newer = await _twice_paid(tx)

    with pytest.raises(errors.ExceedsRefundableAmount) as refused:
        await tx.run(billing.issue_credit_note, refund(invoice_id, newer, 6000))

    assert refused.value.details == {"refundable": 5000}
    assert await _notes(tx) == 0 and await _refunds(tx) == []


async def test_b6_another_invoices_payment_or_one_from_account_credit_is_refused(
    tx: Transactor,
) -> None:
    invoice_id, _, _ = await _twice_paid(tx)
    _, elsewhere, _ = await _twice_paid(tx)
    customer = await make_customer(tx)
    first = await make_invoice(tx, customer, line(1000))
    later = await make_invoice(tx, customer, line(1000))  # before the credit: stays unpaid
    await pay(tx, first, 1200)
    await tx.run(
        billing.issue_credit_note,
        IssueCreditNote(first.id, "goodwill", STAFF, remainder=Remainder.ACCOUNT_CREDIT),
    )
    await tx.run(billing.apply_account_credit, ApplyAccountCredit(later.id, STAFF))
    (from_credit,) = await tx.read(billing.queries.payments_of, later.id)
    assert from_credit.method == "account_credit"

    with pytest.raises(errors.PaymentNotRefundable):
        await tx.run(billing.issue_credit_note, refund(invoice_id, elsewhere, 1000))
    with pytest.raises(errors.PaymentNotRefundable):
        await tx.run(billing.issue_credit_note, refund(later.id, from_credit.id, 1000))
    with pytest.raises(errors.PaymentNotRefundable):
        await tx.run(billing.preview_credit_note, refund(invoice_id, elsewhere, 1000))


async def test_b6_b11_a_waiting_note_keeps_its_payment_until_approved(tx: Transactor) -> None:
    invoice = await make_invoice(tx, await make_customer(tx), line(100000))  # 1,200.00
    await pay(tx, invoice, 60000)
    await pay(tx, invoice, 60000)
    older, _ = await tx.read(billing.queries.payments_of, invoice.id)

    waiting = await tx.run(billing.issue_credit_note, refund(invoice.id, older.id, 50000, AGENT))
    assert waiting.status == "pending_approval" and await _refunds(tx) == []
    approved = await tx.run(billing.approve_credit_note, ApproveCreditNote(waiting.id, ADMIN))

    assert approved.status == "issued" and await _refunds(tx) == [(older.id, 50000)]


async def test_b9_two_refunds_racing_for_one_payment_take_at_most_what_it_brought(
    tx: Transactor, engine: AsyncEngine
) -> None:
    await start_clean(engine)
    invoice_id, older, _ = await _twice_paid(tx)

    async with concurrent_tx(tx) as burst:
        results = await asyncio.gather(
            *(
                burst.run(billing.issue_credit_note, refund(invoice_id, older, 4000))
                for _ in range(4)
            ),
            return_exceptions=True,
        )

    issued = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(issued) == 1 and all(isinstance(r, errors.ExceedsRefundableAmount) for r in refused)
    assert await _refunds(tx) == [(older, 4000)]
    await audit(tx)
