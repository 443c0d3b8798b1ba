"""api: API keys and invoicing extras"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from support_desk.migrations.schema import JSON, UTC

revision = "0004_api"
down_revision = "0001_billing"


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("merchant_id", sa.String(length=100), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.Column("secret_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("revoked_at", UTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_keys_key_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_keys_token_hash")),
    )
    op.create_table(
        "api_invoice_extras",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_api_invoice_extras_invoice_id_invoices"),
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_api_invoice_extras")),
    )


def downgrade() -> None:
    op.drop_table("api_invoice_extras")
    op.drop_table("api_keys")
