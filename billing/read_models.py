"""What billing answers: frozen read models. Templates, keyboards and API bodies get these,
never ORM rows, so nothing lazy-loads at render time; they also serialise for idempotent replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

T = TypeVar("T")


def document_number(series: str, number: int | None) -> str | None:
    """INV-000042 / CN-000007; None while a draft or a pending credit note has no number."""
    return None if number is None else f"{series}-{number:06d}"


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: int
    external_id: str
    name: str
    email: str | None
    phone: str | None
    company: str | None
    language: str
    compound_invoices_allowed: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ServiceView:
    id: int
    customer_id: int
    name: str
    sku: str | None
    status: str
    created_at: datetime
    terminated_at: datetime | None
    period_end: date | None = None  # the last day invoiced so far (B5)
    terminates_on: date | None = None  # a termination scheduled for that day's end (B5)


@dataclass(frozen=True, slots=True)
class InvoiceLineView:
    id: int
    position: int
    kind: str
    sku: str | None
    name: str
    service_id: int | None
    quantity: int
    unit_price_minor: int
    discount_minor: int
    tax_rate_bp: int
    net_minor: int
    tax_minor: int
    total_minor: int
    credited_net_minor: int
    credited_tax_minor: int

    @property
    def creditable_minor(self) -> int:
        return self.total_minor - self.credited_net_minor - self.credited_tax_minor


@dataclass(frozen=True, slots=True)
class InvoiceView:
    id: int
    number: str | None
    customer_id: int
    status: str
    currency: str
    description: str | None
    due_date: date | None
    allow_partial_payments: bool
    minimum_partial_minor: int | None
    is_compound: bool
    discount_minor: int
    net_minor: int
    tax_minor: int
    total_minor: int
    paid_minor: int
    refunded_minor: int
    credited_minor: int
    settled_minor: int
    balance_minor: int
    created_at: datetime
    issued_at: datetime | None
    sent_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    cancelled_with_id: int | None
    split_from_id: int | None
    lines: tuple[InvoiceLineView, ...]

    @property
    def creditable_minor(self) -> int:
        return self.total_minor - self.credited_minor


@dataclass(frozen=True, slots=True)
class CreditNoteLineView:
    invoice_line_id: int
    position: int
    sku: str | None
    name: str
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int
    net_minor: int
    tax_minor: int
    total_minor: int


@dataclass(frozen=True, slots=True)
class CreditNoteView:
    id: int
    number: str | None
    invoice_id: int
    invoice_number: str | None
    customer_id: int
    currency: str
    kind: str
    status: str
    reason: str
    net_minor: int
    tax_minor: int
    total_minor: int
    settled_minor: int
    refund_minor: int
    account_credit_minor: int
    remainder: str
    created_by: str
    created_at: datetime
    issued_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    self_service: bool
    undo_until: datetime | None
    voided_at: datetime | None
    lines: tuple[CreditNoteLineView, ...]


@dataclass(frozen=True, slots=True)
class PaymentView:
    id: int
    invoice_id: int
    amount_minor: int
    refunded_minor: int
    method: str
    reference: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class CreditNotePreview:
    """What a credit note would be, computed by the same rules that issue it."""

    invoice_id: int
    currency: str
    lines: tuple[CreditNoteLineView, ...]
    net_minor: int
    tax_minor: int
    total_minor: int
    needs_approval: bool


@dataclass(frozen=True, slots=True)
class Cancellation:
    """The answer to a cancel: the invoice and its credit note, also when it was already done
    (none for a draft, which was never issued)."""

    invoice: InvoiceView
    credit_note: CreditNoteView | None
    already_cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Replacement:
    """A corrected invoice: the credit note that cancels the old one, and the new invoice."""

    credit_note: CreditNoteView
    invoice: InvoiceView


@dataclass(frozen=True, slots=True)
class Undo:
    invoice: InvoiceView
    credit_note: CreditNoteView
    already_undone: bool = False


@dataclass(frozen=True, slots=True)
class Termination:
    service: ServiceView
    cancellations: tuple[Cancellation, ...]


@dataclass(frozen=True, slots=True)
class Split:
    credit_note: CreditNoteView
    new_invoices: tuple[InvoiceView, ...]


@dataclass(frozen=True, slots=True)
class LinkToken:
    token: str
    customer_id: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """A keyset page: `next_after` is the id to pass for the next page, None on the last."""

    items: tuple[T, ...]
    next_after: int | None
