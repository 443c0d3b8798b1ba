"""Ticketing tables (T1-T8). The queue's invariants live in the database too, on SQLite and
PostgreSQL alike: CHECKs on kind, status, role and rating, one live ticket per (kind, invoice)
(a partial unique index, T1), an indexed queue order (T2) and a version column (D5)."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from support_desk.core.db import Base, JSONType, UTCDateTime


class TicketKind(StrEnum):
    COMPOUND_SPLIT = "compound_split"
    REFUND = "refund"
    SERVICE_CANCELLATION = "service_cancellation"
    QUESTION = "question"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    REJECTED = "rejected"


CLOSED_STATUSES = (TicketStatus.RESOLVED, TicketStatus.REJECTED)


class Priority(IntEnum):
    """Lower comes first in the queue (T2)."""

    URGENT = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3


class MessageKind(StrEnum):
    CUSTOMER = "customer"  # from the customer, through the bot (T4)
    REPLY = "reply"  # from an agent, delivered through the bot (T4)
    NOTE = "note"  # internal, never delivered (T4)


class Role(StrEnum):
    AGENT = "agent"
    ADMIN = "admin"


def _in(column: str, enum: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


LIVE = "status NOT IN ('resolved', 'rejected')"


class User(Base):
    """A console user: an agent or an admin (roles in docs/rules.md)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)  # the console's language


class Ticket(Base):
    """One customer request and its progress through the queue (T1-T7)."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(_in("kind", TicketKind), name="kind"),
        CheckConstraint(_in("status", TicketStatus), name="status"),
        CheckConstraint("priority >= 0 AND priority <= 3", name="priority"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        CheckConstraint("status <> 'open' OR assignee_id IS NULL", name="open_unassigned"),
        CheckConstraint(
            "status NOT IN ('in_progress', 'waiting_on_customer') OR assignee_id IS NOT NULL",
            name="worked_assigned",
        ),
        CheckConstraint("status = 'rejected' OR rejection_reason IS NULL", name="rejection"),
        Index(
            "uq_tickets_live_kind_invoice",
            "kind",
            "invoice_id",
            unique=True,
            sqlite_where=text(LIVE),
            postgresql_where=text(LIVE),
        ),
        Index("ix_tickets_queue", "status", "priority", "due_at", "id"),
        Index("ix_tickets_assignee", "assignee_id", "status", "id"),
        Index("ix_tickets_customer", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True)
    line_ids: Mapped[list[int]] = mapped_column(JSONType)
    service_ids: Mapped[list[int]] = mapped_column(JSONType)
    reason: Mapped[str] = mapped_column(Text)
    # T1: what the customer chose in the bot (a reason from the list, money back or account
    # credit, now or at period end, the invoices a termination cancels); shown to the agent
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolution_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    awaiting_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    credit_note_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_notes.id"), nullable=True
    )
    proposed_by: Mapped[str | None] = mapped_column(String(160), nullable=True)
    approval_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolution: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # D5: UPDATE ... WHERE version = :v


class TicketMessage(Base):
    """One entry of a ticket's thread: a customer message, an agent reply or a note (T4)."""

    __tablename__ = "ticket_messages"
    __table_args__ = (
        CheckConstraint(_in("kind", MessageKind), name="kind"),
        Index("ix_ticket_messages_thread", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(16))
    author_kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str] = mapped_column(String(128))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
