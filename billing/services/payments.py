"""Payments against invoices, and account credit paying them (B6, B9)."""

from __future__ import annotations

from dataclasses import dataclass

from billing import errors, ledger, repo, rules
from billing.commands import ApplyAccountCredit, RecordPayment
from billing.models import Invoice, InvoiceStatus, Payment
from billing.money import format_minor
from billing.read_models import InvoiceView, PaymentView
from support_desk.core.actors import Actor
from support_desk.core.idempotency import idempotent
from support_desk.core.messages import CustomerMessage
from support_desk.core.tx import UnitOfWork

PAYABLE = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID)
ACCOUNT_CREDIT_METHOD = repo.ACCOUNT_CREDIT


@dataclass(frozen=True, slots=True)
class PaymentRecorded:
    payment: PaymentView
    invoice: InvoiceView


@dataclass(frozen=True, kw_only=True)
class PaymentReceived(CustomerMessage, kind="payment_received"):
    """T8: a payment arrived (or account credit paid it, B6), with what is still to pay."""

    invoice_id: int
    invoice_number: str | None
    amount_minor: int
    balance_minor: int
    currency: str
    from_account_credit: bool


@idempotent
async def record_payment(uow: UnitOfWork, cmd: RecordPayment) -> PaymentRecorded:
    """Money received against an invoice; never more than the balance (B9)."""
    rules.ensure_not_customer(cmd.actor)
    if not 0 < cmd.amount_minor <= rules.MAX_MINOR:
        raise errors.InvalidAmount()
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    rules.ensure_payable(invoice, cmd.amount_minor)
    return await _pay(uow, invoice, cmd.amount_minor, cmd.method, cmd.reference, cmd.actor)


@idempotent
async def apply_account_credit(uow: UnitOfWork, cmd: ApplyAccountCredit) -> PaymentRecorded:
    """Pay an invoice from the customer's account credit, as much as both allow.

    The invoice's partial-payment terms bind what the customer pays in; account credit is money
    the company already owes them, so, as billing systems do, it is applied as far as it goes."""
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    rules.ensure_owner(cmd.actor, invoice.customer_id)
    result = await pay_from_account_credit(uow, invoice, cmd.actor)
    if result is None:
        raise errors.InsufficientAccountCredit()
    return result


async def pay_from_account_credit(
    uow: UnitOfWork, invoice: Invoice, actor: Actor
) -> PaymentRecorded | None:
    """Take as much of the customer's credit in the invoice's currency as its balance needs and
    pay with it; None when there is none to take or the invoice is not payable. The caller
    holds the invoice (locked, or created in this unit of work)."""
    available = await repo.account_credit(uow.session, invoice.customer_id, invoice.currency)
    amount = min(available, invoice.balance_minor)
    if amount <= 0 or invoice.status not in PAYABLE:
        return None
    if not await repo.take_account_credit(
        uow.session, invoice.customer_id, invoice.currency, amount
    ):
        return None
    return await _pay(uow, invoice, amount, ACCOUNT_CREDIT_METHOD, None, actor)


async def _pay(
    uow: UnitOfWork,
    invoice: Invoice,
    amount: int,
    method: str,
    reference: str | None,
    actor: Actor,
) -> PaymentRecorded:
    # read before the UPDATE: the session brings `invoice` up to date with it
    before = {"paid_minor": invoice.paid_minor, "status": invoice.status}
    balance = invoice.balance_minor - amount
    paid = invoice.paid_minor + amount
    status = rules.derive_status(invoice.total_minor, paid, invoice.settled_minor)
    changed = await repo.change_invoice(
        uow.session,
        invoice.id,
        Invoice.paid_minor + Invoice.settled_minor + amount <= Invoice.total_minor,
        Invoice.status.in_(PAYABLE),
        paid_minor=Invoice.paid_minor + amount,
        status=status,
    )
    if not changed:
        raise errors.ExceedsBalance(balance=format_minor(invoice.balance_minor, invoice.currency))
    payment = await _add_payment(uow, invoice, amount, method, reference)
    if status == InvoiceStatus.PAID:
        await repo.activate_services(uow.session, invoice.id)
    after = {"paid_minor": paid, "status": status, "payment_id": payment.id}
    uow.audit(
        actor, "invoice.payment", subject=("invoice", invoice.id), before=before, after=after
    )
    _tell_customer(uow, invoice, amount, balance, method)
    return PaymentRecorded(
        repo.payment_view(payment), await repo.invoice_view(uow.session, invoice.id)
    )


async def _add_payment(
    uow: UnitOfWork, invoice: Invoice, amount: int, method: str, reference: str | None
) -> Payment:
    """The payment row and its journal entry."""
    payment = Payment(
        invoice_id=invoice.id,
        amount_minor=amount,
        refunded_minor=0,
        method=method,
        reference=reference,
        received_at=uow.now,
    )
    uow.session.add(payment)
    await uow.session.flush()
    await ledger.payment(
        uow,
        f"payment:{payment.id}",
        invoice.id,
        invoice.customer_id,
        invoice.currency,
        amount,
        from_credit=method == ACCOUNT_CREDIT_METHOD,
    )
    return payment


def _tell_customer(
    uow: UnitOfWork, invoice: Invoice, amount: int, balance: int, method: str
) -> None:
    """T8: the customer hears of every payment, with what is still to pay."""
    uow.notify(
        invoice.customer_id,
        PaymentReceived(
            **repo.invoice_refs(invoice),
            amount_minor=amount,
            balance_minor=balance,
            currency=invoice.currency,
            from_account_credit=method == ACCOUNT_CREDIT_METHOD,
        ),
    )
