"""Issuing invoices: drafts (which alone can be edited), final invoices with gapless numbers
(B10), publication and delivery to the customer."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from billing import errors, ledger, numbering, repo, rules
from billing.commands import DeliverInvoice, IssueInvoice, NewLine, PublishInvoice, UpdateInvoice
from billing.models import Invoice, InvoiceLine, InvoiceStatus, Service, ServiceStatus
from billing.money import line_amounts
from billing.read_models import InvoiceView
from support_desk.core.errors import PermissionDenied
from support_desk.core.idempotency import idempotent
from support_desk.core.tx import UnitOfWork


@idempotent
async def issue_invoice(uow: UnitOfWork, cmd: IssueInvoice) -> InvoiceView:
    """A draft, or a final invoice numbered in its series (B8, B10, B12)."""
    if cmd.actor.customer_id is not None:
        raise PermissionDenied()
    customer = await repo.get_customer(uow.session, cmd.customer_id)
    _check_currency(uow, cmd.currency)
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
    return view


@idempotent
async def update_invoice(uow: UnitOfWork, cmd: UpdateInvoice) -> InvoiceView:
    """Replace the content of a draft. An issued invoice is never edited: its correction is a
    replacement (a credit note and a new invoice). Refusals: InvoiceIssued, InvoiceNotEditable."""
    if cmd.actor.customer_id is not None:
        raise PermissionDenied()
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    if invoice.number is not None:
        raise errors.InvoiceIssued()
    if invoice.status != InvoiceStatus.DRAFT:
        raise errors.InvoiceNotEditable()
    customer = await repo.get_customer(uow.session, invoice.customer_id)
    compound = await _checked_lines(uow, customer.id, cmd.lines)
    rules.ensure_compound_allowed(compound, customer.compound_invoices_allowed)
    before = {"total_minor": invoice.total_minor}
    await uow.session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
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
    if cmd.actor.customer_id is not None:
        raise PermissionDenied()
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        raise errors.InvoiceNotEditable()
    await _finalize(uow, invoice)
    await uow.session.flush()
    uow.audit(
        cmd.actor,
        "invoice.published",
        subject=("invoice", invoice.id),
        before={"status": "draft"},
        after={"status": invoice.status},
    )
    return await repo.invoice_view(uow.session, invoice.id)


@idempotent
async def deliver_invoice(uow: UnitOfWork, cmd: DeliverInvoice) -> InvoiceView:
    """Send the invoice to the customer (through the outbox) and mark it SENT."""
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    rules.ensure_owner(cmd.actor, invoice.customer_id)
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELED):
        raise errors.InvoiceNotPayable(status=invoice.status)
    if invoice.sent_at is None:
        invoice.sent_at = uow.now
    await uow.session.flush()
    view = await repo.invoice_view(uow.session, invoice.id)
    uow.notify(invoice.customer_id, "invoice_delivered", **_delivery_payload(view))
    uow.audit(cmd.actor, "invoice.delivered", subject=("invoice", invoice.id))
    return view


def _delivery_payload(view: InvoiceView) -> dict[str, object]:
    """What the customer's message shows: a snapshot, so it reads the same whenever it is sent."""
    return {
        "invoice_id": view.id,
        "invoice_number": view.number,
        "status": view.status,
        "description": view.description,
        "currency": view.currency,
        "total_minor": view.total_minor,
        "tax_minor": view.tax_minor,
        "balance_minor": view.balance_minor,
        "is_compound": view.is_compound,
        "due_date": view.due_date.isoformat() if view.due_date else None,
        "lines": [
            {"name": ln.name, "quantity": ln.quantity, "total_minor": ln.total_minor}
            for ln in view.lines[:30]
        ],
        "more_lines": max(0, len(view.lines) - 30),
    }


def _check_currency(uow: UnitOfWork, currency: str) -> None:
    if currency not in uow.settings.billing.currencies:
        raise errors.UnknownCurrency(currency=currency)


async def _checked_lines(uow: UnitOfWork, customer_id: int, lines: Sequence[NewLine]) -> bool:
    """Validate the lines and their services; answer whether the invoice is compound."""
    rules.validate_new_lines(lines)
    ids = {ln.service_id for ln in lines if ln.service_id is not None}
    if ids:
        rows = (
            await uow.session.execute(
                select(Service.id, Service.customer_id, Service.status).where(Service.id.in_(ids))
            )
        ).all()
        good = {
            r.id
            for r in rows
            if r.customer_id == customer_id and r.status != ServiceStatus.TERMINATED
        }
        if missing := ids - good:
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
    await ledger.invoice_issued(
        uow,
        invoice.id,
        invoice.customer_id,
        invoice.currency,
        invoice.net_minor,
        invoice.tax_minor,
    )
