"""Reading billing rows fresh and turning them into read models; re-exported by `billing.repo`,
where callers find them. No commits, no business decisions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing import errors
from billing.models import (
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Service,
)
from billing.read_models import (
    CreditNoteLineView,
    CreditNoteView,
    CustomerView,
    InvoiceLineView,
    InvoiceView,
    PaymentView,
    ServiceView,
    document_number,
)


async def get_invoice(session: AsyncSession, invoice_id: int) -> Invoice:
    """The invoice row, read fresh (never a stale identity-map copy)."""
    invoice = await session.get(Invoice, invoice_id, populate_existing=True)
    if invoice is None:
        raise errors.InvoiceNotFound(id=invoice_id)
    return invoice


async def get_lines(session: AsyncSession, invoice_id: int) -> list[InvoiceLine]:
    stmt = (
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice_id)
        .order_by(InvoiceLine.position)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(stmt)).all())


async def get_credit_note(session: AsyncSession, credit_note_id: int) -> CreditNote:
    note = await session.get(CreditNote, credit_note_id, populate_existing=True)
    if note is None:
        raise errors.CreditNoteNotFound(id=credit_note_id)
    return note


def references(invoice: Invoice, note: CreditNote | None = None) -> dict[str, object]:
    """How a customer message names its invoice (and credit note): ids and document numbers."""
    named: dict[str, object] = {
        "invoice_id": invoice.id,
        "invoice_number": document_number(invoice.series, invoice.number),
    }
    if note is not None:
        named["credit_note_id"] = note.id
        named["credit_note_number"] = document_number(note.series, note.number)
    return named


def customer_view(c: Customer) -> CustomerView:
    return CustomerView(
        c.id,
        c.external_id,
        c.name,
        c.email,
        c.phone,
        c.company,
        c.language,
        c.compound_invoices_allowed,
        c.created_at,
    )


def service_view(s: Service) -> ServiceView:
    return ServiceView(
        s.id,
        s.customer_id,
        s.name,
        s.sku,
        s.status,
        s.created_at,
        s.terminated_at,
        s.period_end,
        s.terminates_on,
    )


def line_view(ln: InvoiceLine) -> InvoiceLineView:
    return InvoiceLineView(
        ln.id,
        ln.position,
        ln.kind,
        ln.sku,
        ln.name,
        ln.service_id,
        ln.quantity,
        ln.unit_price_minor,
        ln.discount_minor,
        ln.tax_rate_bp,
        ln.net_minor,
        ln.tax_minor,
        ln.total_minor,
        ln.credited_net_minor,
        ln.credited_tax_minor,
    )


async def invoice_view(session: AsyncSession, invoice_id: int) -> InvoiceView:
    inv = await get_invoice(session, invoice_id)
    lines = await get_lines(session, invoice_id)
    return InvoiceView(
        id=inv.id,
        number=document_number(inv.series, inv.number),
        customer_id=inv.customer_id,
        status=inv.status,
        currency=inv.currency,
        description=inv.description,
        due_date=inv.due_date,
        allow_partial_payments=inv.allow_partial_payments,
        minimum_partial_minor=inv.minimum_partial_minor,
        is_compound=inv.is_compound,
        discount_minor=inv.discount_minor,
        net_minor=inv.net_minor,
        tax_minor=inv.tax_minor,
        total_minor=inv.total_minor,
        paid_minor=inv.paid_minor,
        refunded_minor=inv.refunded_minor,
        credited_minor=inv.credited_minor,
        settled_minor=inv.settled_minor,
        balance_minor=inv.balance_minor,
        created_at=inv.created_at,
        issued_at=inv.issued_at,
        sent_at=inv.sent_at,
        cancelled_at=inv.cancelled_at,
        cancel_reason=inv.cancel_reason,
        cancelled_with_id=inv.cancelled_with_id,
        split_from_id=inv.split_from_id,
        lines=tuple(line_view(ln) for ln in lines),
    )


async def credit_note_view(session: AsyncSession, credit_note_id: int) -> CreditNoteView:
    cn = await get_credit_note(session, credit_note_id)
    # only its number is read, fixed before any credit note: the session's copy will do
    invoice = await session.get(Invoice, cn.invoice_id)
    assert invoice is not None  # a foreign key
    return CreditNoteView(
        id=cn.id,
        number=document_number(cn.series, cn.number),
        invoice_id=cn.invoice_id,
        invoice_number=document_number(invoice.series, invoice.number),
        customer_id=cn.customer_id,
        currency=cn.currency,
        kind=cn.kind,
        status=cn.status,
        reason=cn.reason,
        net_minor=cn.net_minor,
        tax_minor=cn.tax_minor,
        total_minor=cn.total_minor,
        settled_minor=cn.settled_minor,
        refund_minor=cn.refund_minor,
        account_credit_minor=cn.account_credit_minor,
        remainder=cn.remainder,
        created_by=cn.created_by,
        created_at=cn.created_at,
        issued_at=cn.issued_at,
        decided_by=cn.decided_by,
        decision_note=cn.decision_note,
        self_service=cn.self_service,
        undo_until=cn.undo_until,
        voided_at=cn.voided_at,
        lines=await _credit_note_lines(session, cn.id),
    )


async def _credit_note_lines(
    session: AsyncSession, credit_note_id: int
) -> tuple[CreditNoteLineView, ...]:
    stmt = (
        select(CreditNoteLine)
        .where(CreditNoteLine.credit_note_id == credit_note_id)
        .order_by(CreditNoteLine.position)
    )
    return tuple(
        CreditNoteLineView(
            ln.invoice_line_id,
            ln.position,
            ln.sku,
            ln.name,
            ln.quantity,
            ln.unit_price_minor,
            ln.tax_rate_bp,
            ln.net_minor,
            ln.tax_minor,
            ln.total_minor,
        )
        for ln in await session.scalars(stmt)
    )


def payment_view(p: Payment) -> PaymentView:
    return PaymentView(
        p.id, p.invoice_id, p.amount_minor, p.refunded_minor, p.method, p.reference, p.received_at
    )
