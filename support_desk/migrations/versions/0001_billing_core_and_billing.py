"""core and billing"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from support_desk.migrations.schema import (
    JSON,
    UTC,
    checks,
    foreign_keys,
    integer_id,
    minor_units,
    moments,
    partial_unique_index,
    primary_key,
    unique,
)

revision = "0001_billing"
down_revision = None

# Each table after those it references: the downgrade drops them in reverse (a table's indexes
# go with it).
TABLES = (
    "audit_log",
    "customers",
    "document_series",
    "idempotency_keys",
    "outbox",
    "account_credits",
    "invoices",
    "services",
    "credit_notes",
    "invoice_lines",
    "journal_entries",
    "payments",
    "credit_note_lines",
    "refunds",
    "customer_link_tokens",
)


def upgrade() -> None:
    _core()
    _customers()
    _invoices()
    _credit_notes()
    _lines_and_money()
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_invoices_cancelled_with_id_credit_notes"),
            "credit_notes",
            ["cancelled_with_id"],
            ["id"],
        )
    op.bulk_insert(
        sa.table(
            "document_series",
            sa.column("series", sa.String),
            sa.column("next_number", sa.BigInteger),
        ),
        [{"series": "INV", "next_number": 1}, {"series": "CN", "next_number": 1}],
    )


def _core() -> None:
    op.create_table(
        "audit_log",
        integer_id(),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=True),
        primary_key("audit_log"),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"])
    op.create_index("ix_audit_log_subject", "audit_log", ["subject_type", "subject_id", "id"])
    op.create_table(
        "document_series",
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
        *checks("document_series", positive="next_number >= 1"),
        primary_key("document_series", "series"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        *moments("created_at", nullable=False),
        sa.Column("result", JSON, nullable=True),
        primary_key("idempotency_keys", "key"),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"])
    op.create_table(
        "outbox",
        integer_id(),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        *moments("created_at", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        *moments("next_attempt_at", nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        *moments("lease_until", "sent_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        primary_key("outbox"),
    )
    op.create_index(op.f("ix_outbox_customer_id"), "outbox", ["customer_id"])
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at", "id"])


def _customers() -> None:
    op.create_table(
        "customers",
        integer_id(),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("compound_invoices_allowed", sa.Boolean(), nullable=False),
        *moments("created_at", nullable=False),
        primary_key("customers"),
        unique("customers", "external_id"),
    )
    op.create_index(op.f("ix_customers_phone"), "customers", ["phone"])
    op.create_table(
        "account_credits",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *minor_units("balance_minor"),
        *checks("account_credits", nonneg="balance_minor >= 0"),
        *foreign_keys("account_credits", customer_id="customers"),
        primary_key("account_credits", "customer_id", "currency"),
    )
    op.create_table(
        "customer_link_tokens",
        integer_id(),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        *moments("created_at", "expires_at", nullable=False),
        *moments("used_at", nullable=True),
        *foreign_keys("customer_link_tokens", customer_id="customers"),
        primary_key("customer_link_tokens"),
        unique("customer_link_tokens", "token_hash"),
    )
    op.create_index(
        op.f("ix_customer_link_tokens_customer_id"), "customer_link_tokens", ["customer_id"]
    )


def _invoices() -> None:
    op.create_table(
        "invoices",
        integer_id(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("allow_partial_payments", sa.Boolean(), nullable=False),
        sa.Column("minimum_partial_minor", sa.BigInteger(), nullable=True),
        sa.Column("is_compound", sa.Boolean(), nullable=False),
        *minor_units(
            "discount_minor",
            "net_minor",
            "tax_minor",
            "total_minor",
            "paid_minor",
            "refunded_minor",
            "credited_minor",
            "settled_minor",
        ),
        *moments("created_at", nullable=False),
        *moments("issued_at", "sent_at", "cancelled_at", nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_with_id", sa.Integer(), nullable=True),
        sa.Column("split_from_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *checks(
            "invoices",
            numbered="status = 'draft' OR number IS NOT NULL",
            status="status IN ('draft', 'unpaid', 'partially_paid', 'paid', 'canceled')",
            credited="credited_minor >= 0 AND credited_minor <= total_minor",
            balance="paid_minor + settled_minor <= total_minor",
            paid_nonneg="paid_minor >= 0 AND settled_minor >= 0",
            refunded="refunded_minor >= 0 AND refunded_minor <= paid_minor",
            settled="settled_minor <= credited_minor",
            total="total_minor = net_minor + tax_minor",
            nonneg="total_minor >= 0 AND net_minor >= 0 AND tax_minor >= 0",
        ),
        *foreign_keys("invoices", customer_id="customers", split_from_id="invoices"),
        primary_key("invoices"),
        unique("invoices", "series", "number"),
    )
    op.create_index("ix_invoices_customer_status", "invoices", ["customer_id", "status", "id"])
    op.create_table(
        "services",
        integer_id(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        *moments("created_at", nullable=False),
        *moments("terminated_at", nullable=True),
        *checks("services", status="status IN ('pending', 'active', 'terminated')"),
        *foreign_keys("services", customer_id="customers"),
        primary_key("services"),
    )
    op.create_index(op.f("ix_services_customer_id"), "services", ["customer_id"])
    op.create_table(
        "invoice_lines",
        integer_id(),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        *minor_units("unit_price_minor", "discount_minor"),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        *minor_units(
            "net_minor", "tax_minor", "total_minor", "credited_net_minor", "credited_tax_minor"
        ),
        *checks(
            "invoice_lines",
            credited_net="credited_net_minor >= 0 AND credited_net_minor <= net_minor",
            credited_tax="credited_tax_minor >= 0 AND credited_tax_minor <= tax_minor",
            net="net_minor = quantity * unit_price_minor - discount_minor",
            nonneg="net_minor >= 0 AND tax_minor >= 0",
            quantity="quantity > 0",
            rate="tax_rate_bp >= 0 AND tax_rate_bp <= 10000",
            total="total_minor = net_minor + tax_minor",
            prices="unit_price_minor >= 0 AND discount_minor >= 0",
        ),
        *foreign_keys("invoice_lines", invoice_id="invoices", service_id="services"),
        primary_key("invoice_lines"),
        unique("invoice_lines", "invoice_id", "position"),
    )
    op.create_index(op.f("ix_invoice_lines_service_id"), "invoice_lines", ["service_id"])


def _credit_notes() -> None:
    op.create_table(
        "credit_notes",
        integer_id(),
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *minor_units(
            "net_minor",
            "tax_minor",
            "total_minor",
            "settled_minor",
            "refund_minor",
            "account_credit_minor",
        ),
        sa.Column("remainder", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=160), nullable=False),
        *moments("created_at", nullable=False),
        *moments("issued_at", nullable=True),
        sa.Column("decided_by", sa.String(length=160), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("self_service", sa.Boolean(), nullable=False),
        *moments("undo_until", "voided_at", nullable=True),
        *checks(
            "credit_notes",
            numbered="(status IN ('issued', 'void')) = (number IS NOT NULL)",
            kind="kind IN ('cancellation', 'split', 'credit')",
            split="status = 'pending_approval' OR status = 'rejected'"
            " OR total_minor = settled_minor + refund_minor + account_credit_minor",
            status="status IN ('pending_approval', 'issued', 'void', 'rejected')",
            parts="settled_minor >= 0 AND refund_minor >= 0 AND account_credit_minor >= 0",
            total="total_minor = net_minor + tax_minor",
            positive="total_minor > 0 AND net_minor >= 0 AND tax_minor >= 0",
        ),
        *foreign_keys("credit_notes", customer_id="customers", invoice_id="invoices"),
        primary_key("credit_notes"),
        unique("credit_notes", "series", "number"),
    )
    op.create_index("ix_credit_notes_customer", "credit_notes", ["customer_id", "id"])
    op.create_index(op.f("ix_credit_notes_invoice_id"), "credit_notes", ["invoice_id"])
    op.create_index("ix_credit_notes_register", "credit_notes", ["status", "id"])
    partial_unique_index(
        "credit_notes",
        "uq_credit_notes_live_cancellation",
        ["invoice_id"],
        where="kind IN ('cancellation', 'split') AND status = 'issued'",
    )
    op.create_table(
        "credit_note_lines",
        integer_id(),
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("invoice_line_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        *minor_units("unit_price_minor"),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        *minor_units("net_minor", "tax_minor", "total_minor"),
        *checks(
            "credit_note_lines",
            nonneg="net_minor >= 0 AND tax_minor >= 0",
            total="total_minor = net_minor + tax_minor",
        ),
        *foreign_keys(
            "credit_note_lines", credit_note_id="credit_notes", invoice_line_id="invoice_lines"
        ),
        primary_key("credit_note_lines"),
    )
    op.create_index(
        op.f("ix_credit_note_lines_credit_note_id"), "credit_note_lines", ["credit_note_id"]
    )


def _lines_and_money() -> None:
    op.create_table(
        "journal_entries",
        integer_id(),
        sa.Column("txn", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *minor_units("amount_minor"),
        *moments("at", nullable=False),
        *foreign_keys("journal_entries", customer_id="customers", invoice_id="invoices"),
        primary_key("journal_entries"),
    )
    op.create_index(op.f("ix_journal_entries_txn"), "journal_entries", ["txn"])
    op.create_table(
        "payments",
        integer_id(),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        *minor_units("amount_minor", "refunded_minor"),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        *moments("received_at", nullable=False),
        *checks(
            "payments",
            positive="amount_minor > 0",
            refunded="refunded_minor >= 0 AND refunded_minor <= amount_minor",
        ),
        *foreign_keys("payments", invoice_id="invoices"),
        primary_key("payments"),
    )
    op.create_index(op.f("ix_payments_invoice_id"), "payments", ["invoice_id"])
    op.create_table(
        "refunds",
        integer_id(),
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        *minor_units("amount_minor"),
        *moments("created_at", nullable=False),
        *checks("refunds", positive="amount_minor > 0"),
        *foreign_keys("refunds", credit_note_id="credit_notes", payment_id="payments"),
        primary_key("refunds"),
    )
    op.create_index(op.f("ix_refunds_credit_note_id"), "refunds", ["credit_note_id"])
    op.create_index(op.f("ix_refunds_payment_id"), "refunds", ["payment_id"])


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_invoices_cancelled_with_id_credit_notes"), type_="foreignkey"
        )
    for table in reversed(TABLES):
        op.drop_table(table)
