"""billing: customers.phone_digits, indexed, for matching a shared contact; invoices by status"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_billing_phone_digits"
down_revision = "0001_billing"


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_digits", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_customers_phone_digits"), ["phone_digits"])
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index("ix_invoices_status", ["status", "id"])
    customers = sa.table(
        "customers",
        sa.column("id", sa.Integer),
        sa.column("phone", sa.String),
        sa.column("phone_digits", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(customers.c.id, customers.c.phone)).all()
    for row in rows:
        digits = "".join(ch for ch in row.phone or "" if ch.isdigit()) or None
        bind.execute(
            customers.update().where(customers.c.id == row.id).values(phone_digits=digits)
        )


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_status")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_phone_digits"))
        batch_op.drop_column("phone_digits")
