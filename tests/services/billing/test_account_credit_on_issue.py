"""B6: account credit pays future invoices. A newly issued (or published) invoice takes what it
can of its customer's credit in its currency, in the same unit of work, the customer is told,
and the books stay straight; the operator can turn it off."""

from __future__ import annotations

from sqlalchemy import select

import billing
from billing.commands import IssueCreditNote, PublishInvoice, Remainder
from support_desk.core.outbox import OutboxRow
from support_desk.core.settings import BillingSettings, Settings
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import STAFF, line, make_customer, make_invoice, pay, read_invoice
from tests.model_billing import problems, snapshot


async def credit_of(tx: Transactor, customer_id: int) -> dict[str, int]:
    return await tx.read(billing.queries.account_credit_of, customer_id)


async def with_credit(tx: Transactor, amount_net: int) -> int:
    """A customer holding `amount_net` (no tax) of account credit in EUR; answers their id."""
    customer = await make_customer(tx)
    paid = await make_invoice(tx, customer, line(amount_net, rate_bp=0))
    await pay(tx, paid, amount_net)
    note = IssueCreditNote(paid.id, "goodwill", STAFF, remainder=Remainder.ACCOUNT_CREDIT)
    await tx.run(billing.issue_credit_note, note)
    assert await credit_of(tx, customer.id) == {"EUR": amount_net}
    return customer.id


async def messages(tx: Transactor, customer_id: int) -> list[tuple[str, dict[str, object]]]:
    async def rows(uow: UnitOfWork) -> list[tuple[str, dict[str, object]]]:
        query = select(OutboxRow).where(OutboxRow.customer_id == customer_id)
        return [
            (r.kind, r.payload) for r in await uow.session.scalars(query.order_by(OutboxRow.id))
        ]

    return await tx.read(rows)


async def test_b6_a_new_invoice_takes_part_of_the_credit_and_the_customer_is_told(
    tx: Transactor,
) -> None:
    customer_id = await with_credit(tx, 1500)
    customer = await tx.read(billing.queries.customer_view, customer_id)

    invoice = await make_invoice(tx, customer, line(1000))  # 1,200 with tax

    assert (invoice.status, invoice.paid_minor, invoice.balance_minor) == ("paid", 1200, 0)
    assert await credit_of(tx, customer_id) == {"EUR": 300}
    (payment,) = await tx.read(billing.queries.payments_of, invoice.id)
    assert (payment.method, payment.amount_minor) == ("account_credit", 1200)
    kind, told = (await messages(tx, customer_id))[-1]
    assert kind == "payment_received" and told["from_account_credit"] is True
    assert told["invoice_id"] == invoice.id and told["balance_minor"] == 0
    assert problems(await snapshot(tx)) == []


async def test_b6_credit_smaller_than_the_invoice_leaves_it_partly_paid(tx: Transactor) -> None:
    customer_id = await with_credit(tx, 500)
    customer = await tx.read(billing.queries.customer_view, customer_id)

    invoice = await make_invoice(tx, customer, line(1000), allow_partial_payments=False)

    assert (invoice.status, invoice.paid_minor, invoice.balance_minor) == (
        "partially_paid",
        500,
        700,
    )
    assert await credit_of(tx, customer_id) == {"EUR": 0}
    assert problems(await snapshot(tx)) == []


async def test_b6_credit_in_another_currency_or_a_draft_is_left_alone(tx: Transactor) -> None:
    customer_id = await with_credit(tx, 500)
    customer = await tx.read(billing.queries.customer_view, customer_id)

    dollars = await make_invoice(tx, customer, line(1000), currency="USD")
    draft = await make_invoice(tx, customer, line(1000), draft=True)

    assert dollars.paid_minor == 0 and draft.paid_minor == 0
    assert await credit_of(tx, customer_id) == {"EUR": 500}
    published = await tx.run(billing.publish_invoice, PublishInvoice(draft.id, STAFF))
    assert (published.paid_minor, published.balance_minor) == (500, 700)
    assert await credit_of(tx, customer_id) == {"EUR": 0}
    assert problems(await snapshot(tx)) == []


async def test_b6_the_operator_can_turn_it_off(tx: Transactor, settings: Settings) -> None:
    customer_id = await with_credit(tx, 500)
    customer = await tx.read(billing.queries.customer_view, customer_id)
    off = settings.model_copy(
        update={"billing": BillingSettings(apply_account_credit_on_issue=False)}
    )

    invoice = await make_invoice(Transactor(tx.engine, tx.clock, off), customer, line(1000))

    assert (invoice.status, invoice.paid_minor) == ("unpaid", 0)
    assert await credit_of(tx, customer_id) == {"EUR": 500}
    assert (await read_invoice(tx, invoice.id)).balance_minor == 1200


async def test_b13_a_replayed_issue_takes_the_credit_once(tx: Transactor) -> None:
    customer_id = await with_credit(tx, 5000)
    customer = await tx.read(billing.queries.customer_view, customer_id)

    first = await make_invoice(tx, customer, line(1000), idempotency_key="issue-1")
    again = await make_invoice(tx, customer, line(1000), idempotency_key="issue-1")

    assert first == again
    assert await credit_of(tx, customer_id) == {"EUR": 3800}
    assert len(await tx.read(billing.queries.payments_of, first.id)) == 1
