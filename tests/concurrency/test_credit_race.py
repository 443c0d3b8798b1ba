"""M2, B9, D8: concurrent partial credit notes never over-credit an invoice, refunds never exceed
what was paid, and the database itself refuses what the code must never write."""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

import billing
from billing import errors
from billing.commands import CancelInvoice, IssueCreditNote, Remainder
from billing.models import AccountCredit, CreditNote
from billing.read_models import CreditNoteView
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import AGENT, STAFF, line, make_customer, make_invoice, pay, read_invoice
from tests.model_billing import audit, concurrent_tx, start_clean

SEED = 20_260_105


def credit_cmd(invoice_id: int, amount: int, n: int, **kw: object) -> IssueCreditNote:
    return IssueCreditNote(
        invoice_id=invoice_id,
        reason="partial goodwill",
        actor=AGENT,
        amount_minor=amount,
        idempotency_key=f"credit-{invoice_id}-{n}",
        **kw,  # type: ignore[arg-type]
    )


async def test_m2_twenty_concurrent_partial_credits_never_over_credit(
    tx: Transactor, engine: AsyncEngine
) -> None:
    await start_clean(engine)
    customer = await make_customer(tx)
    invoice = await make_invoice(
        tx, customer, line(6833), line(6833), line(5750), line(8500), line(1234, rate_bp=700)
    )
    rng = random.Random(SEED)
    amounts = [rng.randint(500, 9_999) for _ in range(20)]  # under the 100.00 approval bar
    assert sum(amounts) > invoice.total_minor  # some of them must be refused

    async with concurrent_tx(tx) as burst:
        results = await asyncio.gather(
            *(
                burst.run(billing.issue_credit_note, credit_cmd(invoice.id, amount, n))
                for n, amount in enumerate(amounts)
            ),
            return_exceptions=True,
        )

    issued = [r for r in results if isinstance(r, CreditNoteView)]
    refused = [
        (a, r) for a, r in zip(amounts, results, strict=True) if not isinstance(r, CreditNoteView)
    ]
    assert all(isinstance(r, errors.ExceedsCreditableAmount) for _, r in refused), refused
    assert issued and all(n.status == "issued" for n in issued)
    credited = sum(n.total_minor for n in issued)
    after = await read_invoice(tx, invoice.id)
    assert credited <= invoice.total_minor
    assert after.credited_minor == credited == after.settled_minor
    assert after.balance_minor == invoice.total_minor - credited
    # What is left only shrinks, so every refusal asked for more than is left now.
    assert all(amount > after.balance_minor for amount, _ in refused)
    assert sorted(n.total_minor for n in issued) == sorted(
        a for a, r in zip(amounts, results, strict=True) if isinstance(r, CreditNoteView)
    )
    await audit(tx)


async def test_b9_concurrent_refunds_of_a_paid_invoice_never_exceed_what_was_paid(
    tx: Transactor, engine: AsyncEngine
) -> None:
    await start_clean(engine)
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(10_000, rate_bp=1900), line(2_500))
    await pay(tx, invoice, 5_000)
    await pay(tx, invoice, invoice.total_minor - 5_000)
    rng = random.Random(SEED + 1)
    amounts = [rng.randint(500, 3_000) for _ in range(20)]

    async with concurrent_tx(tx) as burst:
        results = await asyncio.gather(
            *(
                burst.run(
                    billing.issue_credit_note,
                    credit_cmd(invoice.id, amount, n, remainder=Remainder.REFUND),
                )
                for n, amount in enumerate(amounts)
            ),
            return_exceptions=True,
        )

    issued = [r for r in results if isinstance(r, CreditNoteView)]
    refused = [r for r in results if not isinstance(r, CreditNoteView)]
    assert all(isinstance(r, errors.ExceedsCreditableAmount) for r in refused), refused
    after = await read_invoice(tx, invoice.id)
    refunded = sum(n.refund_minor for n in issued)
    assert refunded == sum(n.total_minor for n in issued) == after.refunded_minor
    assert after.refunded_minor <= after.paid_minor == invoice.total_minor
    payments = await tx.read(billing.queries.payments_of, invoice.id)
    assert sum(p.refunded_minor for p in payments) == refunded
    assert all(p.refunded_minor <= p.amount_minor for p in payments)
    await audit(tx)


async def _sql(tx: Transactor, statement: str, **params: object) -> None:
    async def run(uow: UnitOfWork) -> None:
        await uow.session.execute(text(statement), params)

    await tx.run(run)


async def test_m2_the_database_refuses_credited_above_total(tx: Transactor) -> None:
    invoice = await make_invoice(tx, await make_customer(tx))

    with pytest.raises(IntegrityError):
        await _sql(
            tx, "UPDATE invoices SET credited_minor = total_minor + 1 WHERE id = :i", i=invoice.id
        )

    assert (await read_invoice(tx, invoice.id)).credited_minor == 0
    await _sql(tx, "UPDATE invoices SET credited_minor = 0 WHERE id = :i", i=invoice.id)


async def test_m2_the_database_refuses_a_second_live_cancellation_note(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer)
    first = await tx.run(
        billing.cancel_invoice,
        CancelInvoice(invoice_id=invoice.id, reason="not needed", actor=STAFF),
    )

    def twin(number: int, status: str) -> CreditNote:
        note = first.credit_note
        return CreditNote(
            series="CN",
            number=number,
            invoice_id=invoice.id,
            customer_id=customer.id,
            currency=note.currency,
            kind="cancellation",
            status=status,
            reason="forged twin",
            net_minor=note.net_minor,
            tax_minor=note.tax_minor,
            total_minor=note.total_minor,
            settled_minor=note.total_minor,
            created_by="test",
            created_at=note.created_at,
        )

    async def insert(uow: UnitOfWork, number: int, status: str) -> None:
        uow.session.add(twin(number, status))
        await uow.session.flush()

    with pytest.raises(IntegrityError):
        await tx.run(insert, 900, "issued")
    await tx.run(insert, 901, "void")  # the index is partial: void notes do not count


async def test_m2_the_database_refuses_a_duplicate_document_number(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer)
    await tx.run(
        billing.cancel_invoice,
        CancelInvoice(invoice_id=invoice.id, reason="not needed", actor=STAFF),
    )

    with pytest.raises(IntegrityError):
        await _sql(
            tx,
            "INSERT INTO credit_notes (series, number, invoice_id, customer_id, currency, kind,"
            " status, reason, net_minor, tax_minor, total_minor, settled_minor, refund_minor,"
            " account_credit_minor, remainder, created_by, created_at, self_service)"
            " SELECT series, number, invoice_id, customer_id, currency, 'credit', 'void', reason,"
            " net_minor, tax_minor, total_minor, settled_minor, refund_minor,"
            " account_credit_minor, remainder, created_by, created_at, self_service"
            " FROM credit_notes",
        )


async def test_b9_the_database_refuses_a_negative_account_credit(tx: Transactor) -> None:
    customer = await make_customer(tx)

    async def insert(uow: UnitOfWork, balance: int) -> None:
        row = AccountCredit(customer_id=customer.id, currency="EUR", balance_minor=balance)
        uow.session.add(row)
        await uow.session.flush()

    with pytest.raises(IntegrityError):
        await tx.run(insert, -1)
    await tx.run(insert, 0)
    with pytest.raises(IntegrityError):
        await _sql(
            tx,
            "UPDATE account_credits SET balance_minor = balance_minor - 1 WHERE customer_id = :c",
            c=customer.id,
        )
