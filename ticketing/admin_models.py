"""Tables behind the admins' console: which ticket (and which agent) a credit note came from,
the saved replies agents insert, and the audit log's indexes for searching by actor and time.

Billing knows nothing of tickets, so the link from a credit note to its ticket is ticketing's
to keep: it is written in the resolving transaction, beside the credit note itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from support_desk.core.audit import AuditRow
from support_desk.core.db import Base, UTCDateTime


class TicketCreditNote(Base):
    """A credit note made by resolving a ticket (T5), directly or through a service's
    termination (B5), and the staff user who resolved it."""

    __tablename__ = "ticket_credit_notes"

    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SavedReply(Base):
    """A text agents insert into a reply or a note, by shortcode, in the customer's language."""

    __tablename__ = "saved_replies"
    __table_args__ = (CheckConstraint("length(shortcode) >= 2", name="shortcode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shortcode: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body_en: Mapped[str] = mapped_column(Text)
    body_ru: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# The audit log searched by who acted and by period, newest first (its subject and action
# already have indexes of their own).
Index("ix_audit_log_actor", AuditRow.actor_kind, AuditRow.actor_id, AuditRow.id)
Index("ix_audit_log_at", AuditRow.at)
