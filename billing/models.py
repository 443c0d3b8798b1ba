"""Billing tables. The money invariants live here too, identically on SQLite and PostgreSQL:
integer minor units, CHECKs on every counter, one live cancellation per invoice (partial unique
index), unique gapless document numbers per series."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from support_desk.core.db import Base, UTCDateTime

Minor = BigInteger  # money column type: integer minor units, never Numeric/float (M10)


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CANCELED = "canceled"


class ServiceStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    TERMINATED = "terminated"


class CreditNoteStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    ISSUED = "issued"
    VOID = "void"
    REJECTED = "rejected"


class CreditNoteKind(StrEnum):
    CANCELLATION = "cancellation"  # the whole invoice (B1, B2, B5)
    SPLIT = "split"  # a compound invoice replaced by new invoices (B7)
    CREDIT = "credit"  # chosen lines or an amount (B6, B7)


class LineKind(StrEnum):
    ITEM = "item"
    FREIGHT = "freight"


def _in(column: str, enum: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    # the phone's digits alone: a shared Telegram contact is matched on them, by index
    phone_digits: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    company: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    compound_invoices_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Service(Base):
    """A service the customer uses. `period_end` is the last day of the period invoiced so far;
    `terminates_on` a termination scheduled for the end of that period (B5): one at most (a
    column), never on a terminated service (CHECK), and always with its reason and requester."""

    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint(_in("status", ServiceStatus), name="status"),
        CheckConstraint("terminates_on IS NULL OR status <> 'terminated'", name="scheduled_live"),
        CheckConstraint(
            "(terminates_on IS NULL) = (termination_requested_by IS NULL)"
            " AND (terminates_on IS NULL) = (termination_scheduled_at IS NULL)",
            name="schedule_whole",
        ),
        Index(  # the housekeeping's due schedules, without a scan of every service
            "ix_services_terminates_on",
            "terminates_on",
            sqlite_where=text("terminates_on IS NOT NULL"),
            postgresql_where=text("terminates_on IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    terminates_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    termination_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    termination_requested_by: Mapped[str | None] = mapped_column(String(160), nullable=True)
    termination_scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DocumentSeries(Base):
    """The next number of each series (B10); a row lock on it serialises issuers."""

    __tablename__ = "document_series"
    __table_args__ = (CheckConstraint("next_number >= 1", name="positive"),)

    series: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_number: Mapped[int] = mapped_column(BigInteger)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("series", "number"),
        CheckConstraint(_in("status", InvoiceStatus), name="status"),
        CheckConstraint("total_minor = net_minor + tax_minor", name="total"),
        CheckConstraint("total_minor >= 0 AND net_minor >= 0 AND tax_minor >= 0", name="nonneg"),
        CheckConstraint("paid_minor >= 0 AND settled_minor >= 0", name="paid_nonneg"),
        CheckConstraint("credited_minor >= 0 AND credited_minor <= total_minor", name="credited"),
        CheckConstraint("settled_minor <= credited_minor", name="settled"),
        CheckConstraint("paid_minor + settled_minor <= total_minor", name="balance"),
        CheckConstraint("refunded_minor >= 0 AND refunded_minor <= paid_minor", name="refunded"),
        CheckConstraint(  # a cancelled draft was never issued, so it has no number
            "number IS NOT NULL OR (issued_at IS NULL AND status IN ('draft', 'canceled'))",
            name="numbered",
        ),
        Index("ix_invoices_customer_status", "customer_id", "status", "id"),
        Index("ix_invoices_status", "status", "id"),  # the API's list filtered by status
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    series: Mapped[str] = mapped_column(String(16), default="INV")
    number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    allow_partial_payments: Mapped[bool] = mapped_column(Boolean, default=True)
    minimum_partial_minor: Mapped[int | None] = mapped_column(Minor, nullable=True)
    is_compound: Mapped[bool] = mapped_column(Boolean, default=False)
    discount_minor: Mapped[int] = mapped_column(Minor, default=0)
    net_minor: Mapped[int] = mapped_column(Minor)
    tax_minor: Mapped[int] = mapped_column(Minor)
    total_minor: Mapped[int] = mapped_column(Minor)
    paid_minor: Mapped[int] = mapped_column(Minor, default=0)
    refunded_minor: Mapped[int] = mapped_column(Minor, default=0)
    credited_minor: Mapped[int] = mapped_column(Minor, default=0)
    settled_minor: Mapped[int] = mapped_column(Minor, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancelled_with_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_notes.id", use_alter=True), nullable=True
    )
    split_from_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def balance_minor(self) -> int:
        return self.total_minor - self.paid_minor - self.settled_minor


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price_minor >= 0 AND discount_minor >= 0", name="prices"),
        CheckConstraint("net_minor = quantity * unit_price_minor - discount_minor", name="net"),
        CheckConstraint("net_minor >= 0 AND tax_minor >= 0", name="nonneg"),
        CheckConstraint("total_minor = net_minor + tax_minor", name="total"),
        CheckConstraint("tax_rate_bp >= 0 AND tax_rate_bp <= 10000", name="rate"),
        CheckConstraint(
            "credited_net_minor >= 0 AND credited_net_minor <= net_minor", name="credited_net"
        ),
        CheckConstraint(
            "credited_tax_minor >= 0 AND credited_tax_minor <= tax_minor", name="credited_tax"
        ),
        UniqueConstraint("invoice_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default=LineKind.ITEM)
    sku: Mapped[str | None] = mapped_column(String(64), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id"), nullable=True, index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(Minor)
    discount_minor: Mapped[int] = mapped_column(Minor, default=0)
    tax_rate_bp: Mapped[int] = mapped_column(Integer, default=0)
    net_minor: Mapped[int] = mapped_column(Minor)
    tax_minor: Mapped[int] = mapped_column(Minor)
    total_minor: Mapped[int] = mapped_column(Minor)
    credited_net_minor: Mapped[int] = mapped_column(Minor, default=0)
    credited_tax_minor: Mapped[int] = mapped_column(Minor, default=0)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="positive"),
        CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refunded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(Minor)
    refunded_minor: Mapped[int] = mapped_column(Minor, default=0)
    method: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(128), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CreditNote(Base):
    __tablename__ = "credit_notes"
    __table_args__ = (
        UniqueConstraint("series", "number"),
        CheckConstraint(_in("status", CreditNoteStatus), name="status"),
        CheckConstraint(_in("kind", CreditNoteKind), name="kind"),
        CheckConstraint("total_minor = net_minor + tax_minor", name="total"),
        CheckConstraint("total_minor > 0 AND net_minor >= 0 AND tax_minor >= 0", name="positive"),
        CheckConstraint(
            "settled_minor >= 0 AND refund_minor >= 0 AND account_credit_minor >= 0", name="parts"
        ),
        CheckConstraint(
            "status = 'pending_approval' OR status = 'rejected'"
            " OR total_minor = settled_minor + refund_minor + account_credit_minor",
            name="split",
        ),
        CheckConstraint("(status IN ('issued', 'void')) = (number IS NOT NULL)", name="numbered"),
        Index(
            "uq_credit_notes_live_cancellation",
            "invoice_id",
            unique=True,
            sqlite_where=text("kind IN ('cancellation', 'split') AND status = 'issued'"),
            postgresql_where=text("kind IN ('cancellation', 'split') AND status = 'issued'"),
        ),
        Index("ix_credit_notes_register", "status", "id"),
        Index("ix_credit_notes_customer", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(16), default="CN")
    number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    net_minor: Mapped[int] = mapped_column(Minor)
    tax_minor: Mapped[int] = mapped_column(Minor)
    total_minor: Mapped[int] = mapped_column(Minor)
    settled_minor: Mapped[int] = mapped_column(Minor, default=0)
    refund_minor: Mapped[int] = mapped_column(Minor, default=0)
    account_credit_minor: Mapped[int] = mapped_column(Minor, default=0)
    remainder: Mapped[str] = mapped_column(String(16), default="none")
    created_by: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(160), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    self_service: Mapped[bool] = mapped_column(Boolean, default=False)
    undo_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # B6: the payment the agent chose to refund against first (None: newest first)
    refund_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)


class CreditNoteLine(Base):
    """A reversed invoice line; amounts are stored positive and shown negative."""

    __tablename__ = "credit_note_lines"
    __table_args__ = (
        CheckConstraint("net_minor >= 0 AND tax_minor >= 0", name="nonneg"),
        CheckConstraint("total_minor = net_minor + tax_minor", name="total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    invoice_line_id: Mapped[int] = mapped_column(ForeignKey("invoice_lines.id"))
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(64), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(Minor)
    tax_rate_bp: Mapped[int] = mapped_column(Integer)
    net_minor: Mapped[int] = mapped_column(Minor)
    tax_minor: Mapped[int] = mapped_column(Minor)
    total_minor: Mapped[int] = mapped_column(Minor)


class Refund(Base):
    """Money back through the payment's method, against one payment (B6, B9)."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(Minor)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountCredit(Base):
    """A customer's credit balance per currency; it pays future invoices and never goes below 0."""

    __tablename__ = "account_credits"
    __table_args__ = (CheckConstraint("balance_minor >= 0", name="nonneg"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    balance_minor: Mapped[int] = mapped_column(Minor, default=0)


class JournalEntry(Base):
    """Double-entry postings (M7): every transaction's entries sum to zero per currency."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    txn: Mapped[str] = mapped_column(String(64), index=True)
    account: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(Minor)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkTokenRow(Base):
    """A one-time proof that a chat belongs to a customer; only its hash is stored."""

    __tablename__ = "customer_link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
