"""Issuing invoices: drafts (which alone can be edited), final invoices with gapless numbers
(B10), publication and delivery to the customer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from billing import errors, ledger, numbering, periods, repo, rules
from billing.commands import DeliverInvoice, IssueInvoice, NewLine, PublishInvoice, UpdateInvoice
from billing.models import Invoice, InvoiceLine, InvoiceStatus
from billing.money import line_amounts
from billing.read_models import InvoiceView
from billing.services.payments import pay_from_account_credit
from support_desk.core.actors import Actor
from support_desk.core.idempotency import idempotent
from support_desk.core.messages import CustomerMessage
from support_desk.core.records import from_row
from support_desk.core.tx import UnitOfWork


@idempotent
async def issue_invoice(uow: UnitOfWork, cmd: IssueInvoice) -> InvoiceView:
    """A draft, or a final invoice numbered in its series (B8, B10, B12)."""
    rules.ensure_not_customer(cmd.actor)
    customer = await repo.get_customer(uow.session, cmd.customer_id)
    rules.ensure_currency(cmd.currency, uow.settings.billing.currencies)
    compound = await _checked_lines(uow, customer.id, cmd.lines)
    rules.ensure_compound_allowed(compound, customer.compound_invoices_allowed)
    invoice = Invoice(
        customer_id=customer.id,
        status=InvoiceStatus.DRAFT,
        currency=cmd.currency,
        description=cmd.description,
        due_date=cmd.due_date,
        created_at=uow.now,
        allow_partial_payments=cmd.allow_partial_payments,
        minimum_partial_minor=cmd.minimum_partial_minor,
        is_compound=compound,
        **_totals(cmd.lines),
    )
    uow.session.add(invoice)
    await uow.session.flush()
    _add_lines(uow, invoice.id, cmd.lines)
    if not cmd.draft:
        await _finalize(uow, invoice)
    await uow.session.flush()
    view = await repo.invoice_view(uow.session, invoice.id)
    uow.audit(
        cmd.actor,
        "invoice.issued",
        subject=("invoice", invoice.id),
        after={"status": view.status, "total_minor": view.total_minor},
    )
    if not cmd.draft and await _paid_from_account_credit(uow, invoice, cmd.actor):
        view = await repo.invoice_view(uow.session, invoice.id)
    return view


@idempotent
async def update_invoice(uow: UnitOfWork, cmd: UpdateInvoice) -> InvoiceView:
    """Replace the content of a draft. An issued invoice is never edited: its correction is a
    replacement (a credit note and a new invoice). Refusals: InvoiceIssued, InvoiceNotEditable."""
    rules.ensure_not_customer(cmd.actor)
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    rules.ensure_editable(invoice.number, invoice.status)
    customer = await repo.get_customer(uow.session, invoice.customer_id)
    compound = await _checked_lines(uow, customer.id, cmd.lines)
    rules.ensure_compound_allowed(compound, customer.compound_invoices_allowed)
    before = {"total_minor": invoice.total_minor}
    await repo.delete_lines(uow.session, invoice.id)
    for key, value in _totals(cmd.lines).items():
        setattr(invoice, key, value)
    invoice.description, invoice.due_date = cmd.description, cmd.due_date
    invoice.allow_partial_payments = cmd.allow_partial_payments
    invoice.minimum_partial_minor, invoice.is_compound = cmd.minimum_partial_minor, compound
    _add_lines(uow, invoice.id, cmd.lines)
    await uow.session.flush()
    uow.audit(
        cmd.actor,
        "invoice.updated",
        subject=("invoice", invoice.id),
        before=before,
        after={"total_minor": invoice.total_minor},
    )
    return await repo.invoice_view(uow.session, invoice.id)


@idempotent
async def publish_invoice(uow: UnitOfWork, cmd: PublishInvoice) -> InvoiceView:
    """Draft -> unpaid: the invoice gets its number and starts to be owed."""
    rules.ensure_not_customer(cmd.actor)
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    rules.ensure_editable(invoice.number, invoice.status, issued=errors.InvoiceNotEditable)
    await _finalize(uow, invoice)
    await uow.session.flush()
    uow.audit(
        cmd.actor,
        "invoice.published",
        subject=("invoice", invoice.id),
        before={"status": "draft"},
        after={"status": invoice.status},
    )
    await _paid_from_account_credit(uow, invoice, cmd.actor)
    return await repo.invoice_view(uow.session, invoice.id)


MESSAGE_LINES = 30  # an invoice message lists this many lines and counts the rest


@dataclass(frozen=True, kw_only=True)
class LineSummary:
    name: str
    quantity: int
    total_minor: int


@dataclass(frozen=True, kw_only=True)
class InvoiceDelivered(CustomerMessage, kind="invoice_delivered"):
    """The invoice as the customer's chat shows it, sent on delivery and shown again when the
    customer opens it in the bot: a snapshot, so it reads the same whenever it is sent."""

    invoice_id: int
    invoice_number: str | None
    status: str
    description: str | None
    currency: str
    total_minor: int
    tax_minor: int
    balance_minor: int
    is_compound: bool
    due_date: date | None
    lines: tuple[LineSummary, ...]
    more_lines: int
    service_ids: tuple[int, ...] = ()  # the services it bills: the bot offers to cancel them

    @classmethod
    def of(cls, view: InvoiceView) -> InvoiceDelivered:
        return from_row(
            cls,
            view,
            invoice_id=view.id,
            invoice_number=view.number,
            lines=tuple(from_row(LineSummary, ln) for ln in view.lines[:MESSAGE_LINES]),
            more_lines=max(0, len(view.lines) - MESSAGE_LINES),
            service_ids=tuple(sorted({ln.service_id for ln in view.lines if ln.service_id})),
        )


@idempotent
async def deliver_invoice(uow: UnitOfWork, cmd: DeliverInvoice) -> InvoiceView:
    """Send the invoice to the customer (through the outbox) and mark it SENT."""
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    rules.ensure_owner(cmd.actor, invoice.customer_id)
    rules.ensure_deliverable(invoice.status)
    if invoice.sent_at is None:
        invoice.sent_at = uow.now
    await uow.session.flush()
    view = await repo.invoice_view(uow.session, invoice.id)
    uow.notify(invoice.customer_id, InvoiceDelivered.of(view))
    uow.audit(cmd.actor, "invoice.delivered", subject=("invoice", invoice.id))
    return view


async def _paid_from_account_credit(uow: UnitOfWork, invoice: Invoice, actor: Actor) -> bool:
    """B6: account credit pays future invoices: a newly issued one takes what it can, when the
    operator has not turned this off; the payment tells the customer (payment_received)."""
    if not uow.settings.billing.apply_account_credit_on_issue:
        return False
    return await pay_from_account_credit(uow, invoice, actor) is not None


async def _checked_lines(uow: UnitOfWork, customer_id: int, lines: Sequence[NewLine]) -> bool:
    """Validate the lines and their services; answer whether the invoice is compound."""
    rules.validate_new_lines(lines)
    ids = {ln.service_id for ln in lines if ln.service_id is not None}
    if ids and (missing := ids - await repo.billable_services(uow.session, ids, customer_id)):
        raise errors.InvalidInvoice(problem=f"service {min(missing)} cannot be billed")
    return rules.is_compound(ln.service_id for ln in lines)


def _totals(lines: Sequence[NewLine]) -> dict[str, int]:
    amounts = [
        line_amounts(ln.quantity, ln.unit_price_minor, ln.discount_minor, ln.tax_rate_bp)
        for ln in lines
    ]
    net, tax = sum(a.net_minor for a in amounts), sum(a.tax_minor for a in amounts)
    return {
        "net_minor": net,
        "tax_minor": tax,
        "total_minor": net + tax,
        "discount_minor": sum(ln.discount_minor for ln in lines),
    }


def _add_lines(uow: UnitOfWork, invoice_id: int, lines: Sequence[NewLine]) -> None:
    for position, ln in enumerate(lines, 1):
        a = line_amounts(ln.quantity, ln.unit_price_minor, ln.discount_minor, ln.tax_rate_bp)
        uow.session.add(
            InvoiceLine(
                invoice_id=invoice_id,
                position=position,
                kind=ln.kind,
                sku=ln.sku,
                name=ln.name,
                service_id=ln.service_id,
                quantity=ln.quantity,
                unit_price_minor=ln.unit_price_minor,
                discount_minor=ln.discount_minor,
                tax_rate_bp=ln.tax_rate_bp,
                net_minor=a.net_minor,
                tax_minor=a.tax_minor,
                total_minor=a.total_minor,
                credited_net_minor=0,
                credited_tax_minor=0,
            )
        )


async def _finalize(uow: UnitOfWork, invoice: Invoice) -> None:
    """Number the invoice and post it; a zero invoice is born paid-up (canceled never)."""
    invoice.number = await numbering.next_number(uow, numbering.INVOICES)
    invoice.issued_at = uow.now
    invoice.status = InvoiceStatus.UNPAID if invoice.total_minor else InvoiceStatus.PAID
    await uow.session.flush()  # the lines, for the services they bill
    await repo.advance_periods(uow.session, invoice.id, periods.period_end_from(uow.now))
    await ledger.invoice_issued(
        uow,
        invoice.id,
        invoice.customer_id,
        invoice.currency,
        invoice.net_minor,
        invoice.tax_minor,
    )
