"""What callers ask billing to do: frozen commands naming the actor and the idempotency key.

The key makes the same request twice have the effect of one (B13); the rest of the command is
its fingerprint, so the same key with a different request is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from billing.models import LineKind, ServiceStatus
from support_desk.core.actors import Actor


class Remainder(StrEnum):
    """Where the part of a credit note beyond the amount still due goes (B6)."""

    NONE = "none"
    REFUND = "refund"
    ACCOUNT_CREDIT = "account_credit"


@dataclass(frozen=True, slots=True)
class NewLine:
    name: str
    quantity: int
    unit_price_minor: int
    discount_minor: int = 0
    tax_rate_bp: int = 0
    sku: str | None = None
    service_id: int | None = None
    kind: LineKind = LineKind.ITEM


@dataclass(frozen=True, slots=True)
class CreateCustomer:
    external_id: str
    name: str
    actor: Actor
    idempotency_key: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    language: str = "en"
    compound_invoices_allowed: bool = True


@dataclass(frozen=True, slots=True)
class UpdateCustomer:
    customer_id: int
    actor: Actor
    idempotency_key: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class SetCompoundInvoicesAllowed:
    customer_id: int
    allowed: bool
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class CreateService:
    customer_id: int
    name: str
    actor: Actor
    idempotency_key: str | None = None
    sku: str | None = None
    status: ServiceStatus = ServiceStatus.PENDING


@dataclass(frozen=True, slots=True)
class TerminateService:
    service_id: int
    reason: str
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class IssueInvoice:
    customer_id: int
    currency: str
    lines: tuple[NewLine, ...]
    actor: Actor
    idempotency_key: str | None = None
    description: str | None = None
    due_date: date | None = None
    allow_partial_payments: bool = True
    minimum_partial_minor: int | None = None
    draft: bool = False


@dataclass(frozen=True, slots=True)
class UpdateInvoice:
    """Replace a draft's content; an issued invoice is never edited (see ReplaceInvoice)."""

    invoice_id: int
    lines: tuple[NewLine, ...]
    actor: Actor
    idempotency_key: str | None = None
    description: str | None = None
    due_date: date | None = None
    allow_partial_payments: bool = True
    minimum_partial_minor: int | None = None


@dataclass(frozen=True, slots=True)
class ReplaceInvoice:
    """Correct an issued unpaid invoice: cancel it with a credit note and issue `lines` as a new
    invoice to the same customer, sent to them; an empty reason is the company's own."""

    invoice_id: int
    lines: tuple[NewLine, ...]
    actor: Actor
    idempotency_key: str | None = None
    reason: str = ""
    description: str | None = None
    due_date: date | None = None
    allow_partial_payments: bool = True
    minimum_partial_minor: int | None = None


@dataclass(frozen=True, slots=True)
class PublishInvoice:
    invoice_id: int
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class DeliverInvoice:
    invoice_id: int
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class RecordPayment:
    invoice_id: int
    amount_minor: int
    actor: Actor
    idempotency_key: str | None = None
    method: str = "card"
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class ApplyAccountCredit:
    invoice_id: int
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class CancelInvoice:
    invoice_id: int
    reason: str
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class UndoCancellation:
    credit_note_id: int
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class LineCredit:
    """Credit one invoice line: its whole remaining amount, or `net_minor` of it (tax follows)."""

    invoice_line_id: int
    net_minor: int | None = None


@dataclass(frozen=True, slots=True)
class IssueCreditNote:
    """A partial or full credit note (B6, B7, B9): chosen lines, a gross amount, or all that is
    left when neither is given."""

    invoice_id: int
    reason: str
    actor: Actor
    idempotency_key: str | None = None
    lines: tuple[LineCredit, ...] = ()
    amount_minor: int | None = None
    remainder: Remainder = Remainder.NONE
    payment_id: int | None = None  # B6: refund against this payment (else newest first)


@dataclass(frozen=True, slots=True)
class ApproveCreditNote:
    credit_note_id: int
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class RejectCreditNote:
    credit_note_id: int
    note: str
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class SplitInvoice:
    """Cancel an unpaid (compound) invoice and re-invoice the kept lines (B7).

    `keep` groups invoice line ids: each group becomes one new invoice; lines in no group are
    dropped.
    """

    invoice_id: int
    reason: str
    keep: tuple[tuple[int, ...], ...]
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class IssueLinkToken:
    """A one-time token that links a chat to a customer (the `/start <token>` deep link)."""

    customer_id: int
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class RedeemLinkToken:
    token: str
    actor: Actor


@dataclass(frozen=True, slots=True)
class ScheduleTermination:
    """B5: terminate the service when the period invoiced so far ends (its `period_end`)."""

    service_id: int
    reason: str
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class KeepService:
    """B5: withdraw a termination scheduled for the period's end; the service goes on."""

    service_id: int
    actor: Actor
    idempotency_key: str | None = None
