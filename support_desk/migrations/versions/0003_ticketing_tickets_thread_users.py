"""ticketing: tickets, thread, console users"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from support_desk.migrations.schema import (
    JSON,
    checks,
    foreign_keys,
    integer_id,
    moments,
    partial_unique_index,
    primary_key,
    unique,
)

revision = "0003_ticketing"
down_revision = "0001_billing"


def upgrade() -> None:
    op.create_table(
        "users",
        integer_id(),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *moments("created_at", nullable=False),
        sa.Column("session_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        *checks("users", role="role IN ('agent', 'admin')"),
        primary_key("users"),
        unique("users", "login"),
    )
    _tickets()
    op.create_table(
        "ticket_messages",
        integer_id(),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.String(length=128), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        *moments("created_at", nullable=False),
        *checks("ticket_messages", kind="kind IN ('customer', 'reply', 'note')"),
        *foreign_keys("ticket_messages", ticket_id="tickets"),
        primary_key("ticket_messages"),
    )
    op.create_index("ix_ticket_messages_thread", "ticket_messages", ["ticket_id", "id"])


def _tickets() -> None:
    op.create_table(
        "tickets",
        integer_id(),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("line_ids", JSON, nullable=False),
        sa.Column("service_ids", JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        *moments("claimed_at", nullable=True),
        *moments(
            "created_at",
            "updated_at",
            "first_response_due_at",
            "resolution_due_at",
            "due_at",
            nullable=False,
        ),
        *moments("first_responded_at", "paused_at", nullable=True),
        sa.Column("awaiting_approval", sa.Boolean(), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.String(length=160), nullable=True),
        sa.Column("approval_note", sa.Text(), nullable=True),
        sa.Column("resolution", JSON, nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        *moments("closed_at", nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        *moments("rated_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *checks(
            "tickets",
            kind="kind IN ('compound_split', 'refund', 'service_cancellation', 'question')",
            open_unassigned="status <> 'open' OR assignee_id IS NULL",
            rejection="status = 'rejected' OR rejection_reason IS NULL",
            status="status IN ('open', 'in_progress', 'waiting_on_customer', 'resolved',"
            " 'rejected')",
            worked_assigned="status NOT IN ('in_progress', 'waiting_on_customer')"
            " OR assignee_id IS NOT NULL",
            priority="priority >= 0 AND priority <= 3",
            rating="rating IS NULL OR (rating >= 1 AND rating <= 5)",
        ),
        *foreign_keys(
            "tickets",
            assignee_id="users",
            credit_note_id="credit_notes",
            customer_id="customers",
            invoice_id="invoices",
        ),
        primary_key("tickets"),
    )
    op.create_index("ix_tickets_assignee", "tickets", ["assignee_id", "status", "id"])
    op.create_index("ix_tickets_customer", "tickets", ["customer_id", "id"])
    op.create_index("ix_tickets_queue", "tickets", ["status", "priority", "due_at", "id"])
    partial_unique_index(
        "tickets",
        "uq_tickets_live_kind_invoice",
        ["kind", "invoice_id"],
        where="status NOT IN ('resolved', 'rejected')",
    )


def downgrade() -> None:
    op.drop_table("ticket_messages")
    op.drop_table("tickets")
    op.drop_table("users")
