"""billing: a draft that is cancelled stays unnumbered (it was never issued)."""

from __future__ import annotations

from alembic import op

NUMBERED = "number IS NOT NULL OR (issued_at IS NULL AND status IN ('draft', 'canceled'))"
NUMBERED_BEFORE = "status = 'draft' OR number IS NOT NULL"

revision = "0011_money"
down_revision = "0006_billing_phone_digits"


def _numbered(condition: str) -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invoices_numbered"), type_="check")
        batch_op.create_check_constraint(op.f("ck_invoices_numbered"), condition)


def upgrade() -> None:
    _numbered(NUMBERED)


def downgrade() -> None:
    _numbered(NUMBERED_BEFORE)
