"""Invoices and payments: numbering (B10), exact amounts (B12), idempotency (B13)."""

from __future__ import annotations

import pytest

import billing
from billing import errors
from billing.commands import (
    CancelInvoice,
    IssueLinkToken,
    PublishInvoice,
    RecordPayment,
    RedeemLinkToken,
    UpdateInvoice,
)
from billing.models import ServiceStatus
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.errors import IdempotencyKeyReused
from support_desk.core.tx import Transactor
from tests.factories import (
    STAFF,
    line,
    make_customer,
    make_invoice,
    make_service,
    pay,
    read_invoice,
)


async def test_b12_amounts_are_exact_and_tax_is_rounded_per_line_half_up(tx: Transactor) -> None:
    customer = await make_customer(tx)

    invoice = await make_invoice(
        tx, customer, line(1205, 20, discount=1304, rate_bp=825), line(2000, rate_bp=825)
    )

    assert [ln.net_minor for ln in invoice.lines] == [22796, 2000]
    assert [ln.tax_minor for ln in invoice.lines] == [1881, 165]  # 1880.67 -> 1881
    assert invoice.total_minor == 22796 + 2000 + 1881 + 165


async def test_b10_drafts_get_no_number_and_publication_draws_the_next_one(tx: Transactor) -> None:
    customer = await make_customer(tx)
    draft = await make_invoice(tx, customer, draft=True)
    first = await make_invoice(tx, customer)

    published = await tx.run(
        billing.publish_invoice, PublishInvoice(invoice_id=draft.id, actor=STAFF)
    )

    assert (draft.number, first.number, published.number) == (None, "INV-000001", "INV-000002")
    assert published.status == "unpaid"


async def test_invalid_invoices_are_refused_with_a_reason(tx: Transactor) -> None:
    customer = await make_customer(tx)

    with pytest.raises(errors.InvalidInvoice):
        await make_invoice(tx, customer, line(100, discount=101))
    with pytest.raises(errors.UnknownCurrency):
        await make_invoice(tx, customer, currency="XXX")
    with pytest.raises(errors.InvalidInvoice):
        await make_invoice(tx, customer, line(-5))
    with pytest.raises(errors.InvalidInvoice):
        await make_invoice(tx, customer, line(100, 0))


async def test_payments_never_exceed_the_balance_and_partial_ones_follow_the_invoice(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(1000), allow_partial_payments=False)

    with pytest.raises(errors.PartialPaymentNotAllowed):
        await pay(tx, invoice, 500)
    with pytest.raises(errors.ExceedsBalance):
        await pay(tx, invoice, 1201)
    paid = await pay(tx, invoice, 1200)

    assert (paid.status, paid.balance_minor) == ("paid", 0)
    with pytest.raises(errors.InvoiceNotPayable):
        await pay(tx, invoice, 1)


async def test_paying_an_invoice_puts_its_pending_service_into_use(tx: Transactor) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer)
    invoice = await make_invoice(tx, customer, line(1000, service=vps))

    await pay(tx, invoice, invoice.total_minor)

    services = await tx.read(billing.queries.services_of, customer.id)
    assert [s.status for s in services] == [ServiceStatus.ACTIVE]


async def test_only_a_draft_can_be_updated_an_issued_invoice_never(tx: Transactor) -> None:
    customer = await make_customer(tx)
    draft = await make_invoice(tx, customer, line(1000), draft=True)
    invoice = await make_invoice(tx, customer, line(1000))

    updated = await tx.run(
        billing.update_invoice,
        UpdateInvoice(invoice_id=draft.id, lines=(line(3000),), actor=STAFF),
    )

    assert updated.total_minor == 3600 and updated.number is None
    with pytest.raises(errors.InvoiceIssued):
        await tx.run(
            billing.update_invoice,
            UpdateInvoice(invoice_id=invoice.id, lines=(line(1),), actor=STAFF),
        )
    assert (await tx.read(billing.queries.invoice_view, invoice.id)).total_minor == 1200


async def test_b13_the_same_key_replays_the_first_result_and_changes_nothing(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer)
    cmd = RecordPayment(
        invoice_id=invoice.id, amount_minor=500, actor=STAFF, idempotency_key="pay-1"
    )

    first = await tx.run(billing.record_payment, cmd)
    again = await tx.run(billing.record_payment, cmd)

    assert again == first
    assert (await read_invoice(tx, invoice.id)).paid_minor == 500


async def test_b13_the_same_key_with_another_request_is_refused(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer)
    await tx.run(
        billing.record_payment,
        RecordPayment(invoice_id=invoice.id, amount_minor=500, actor=STAFF, idempotency_key="k"),
    )

    with pytest.raises(IdempotencyKeyReused):
        await tx.run(
            billing.record_payment,
            RecordPayment(
                invoice_id=invoice.id, amount_minor=600, actor=STAFF, idempotency_key="k"
            ),
        )
    with pytest.raises(IdempotencyKeyReused):
        await tx.run(
            billing.cancel_invoice,
            CancelInvoice(invoice_id=invoice.id, reason="x", actor=STAFF, idempotency_key="k"),
        )
    assert (await read_invoice(tx, invoice.id)).paid_minor == 500


async def test_a_link_token_works_once_and_not_after_it_expires(
    tx: Transactor, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    one = await tx.run(billing.issue_link_token, IssueLinkToken(customer.id, STAFF))
    two = await tx.run(billing.issue_link_token, IssueLinkToken(customer.id, STAFF))
    bot = Actor.system("bot")

    linked = await tx.run(billing.redeem_link_token, RedeemLinkToken(one.token, bot))
    with pytest.raises(errors.LinkTokenInvalid):
        await tx.run(billing.redeem_link_token, RedeemLinkToken(one.token, bot))
    clock.advance(days=8)
    with pytest.raises(errors.LinkTokenInvalid):
        await tx.run(billing.redeem_link_token, RedeemLinkToken(two.token, bot))

    assert linked.id == customer.id
