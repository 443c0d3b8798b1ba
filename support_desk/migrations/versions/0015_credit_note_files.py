"""billing: credit_note_files, each credit note's PDF kept per status and language"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from support_desk.core.db import UTCDateTime

revision = "0015_credit_note_files"
down_revision = "0006_billing_phone_digits"


def upgrade() -> None:
    op.create_table(
        "credit_note_files",
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("rendered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_credit_note_files_credit_note_id_credit_notes"),
        ),
        sa.PrimaryKeyConstraint(
            "credit_note_id", "status", "locale", name=op.f("pk_credit_note_files")
        ),
    )


def downgrade() -> None:
    op.drop_table("credit_note_files")
