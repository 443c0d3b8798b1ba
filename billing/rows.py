"""Reading billing rows fresh and turning them into read models; re-exported by `billing.repo`,
where callers find them. No commits, no business decisions."""

from __future__ import annotations

from typing import TypedDict

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
from support_desk.core.records import from_row


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


class InvoiceRefs(TypedDict):
    """How a customer message names its invoice: its id and document number."""

    invoice_id: int
    invoice_number: str | None


class CreditNoteRefs(InvoiceRefs):
    credit_note_id: int
    credit_note_number: str | None


def invoice_refs(invoice: Invoice) -> InvoiceRefs:
    return {
        "invoice_id": invoice.id,
        "invoice_number": document_number(invoice.series, invoice.number),
    }


def credit_note_refs(invoice: Invoice, note: CreditNote) -> CreditNoteRefs:
    """The invoice's references and the credit note's, for a message about the note."""
    return {
        **invoice_refs(invoice),
        "credit_note_id": note.id,
        "credit_note_number": document_number(note.series, note.number),
    }


def customer_view(c: Customer) -> CustomerView:
    return from_row(CustomerView, c)


def service_view(s: Service) -> ServiceView:
    return from_row(ServiceView, s)


def line_view(ln: InvoiceLine) -> InvoiceLineView:
    return from_row(InvoiceLineView, ln)


async def invoice_view(session: AsyncSession, invoice_id: int) -> InvoiceView:
    inv = await get_invoice(session, invoice_id)
    lines = await get_lines(session, invoice_id)
    return from_row(
        InvoiceView,
        inv,
        number=document_number(inv.series, inv.number),
        lines=tuple(line_view(ln) for ln in lines),
    )


async def credit_note_view(session: AsyncSession, credit_note_id: int) -> CreditNoteView:
    cn = await get_credit_note(session, credit_note_id)
    # only its number is read, fixed before any credit note: the session's copy will do
    invoice = await session.get(Invoice, cn.invoice_id)
    assert invoice is not None  # a foreign key
    return from_row(
        CreditNoteView,
        cn,
        number=document_number(cn.series, cn.number),
        invoice_number=document_number(invoice.series, invoice.number),
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
    return tuple(from_row(CreditNoteLineView, ln) for ln in await session.scalars(stmt))


def payment_view(p: Payment) -> PaymentView:
    return from_row(PaymentView, p)
