"""demo: demo_database (which database is the offline demo's) and demo_chat_state (the demo
chat's history, kept by the Bot API emulator across restarts)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from support_desk.migrations.schema import JSON, UTC

revision = "0014_demo"
down_revision = "0006_billing_phone_digits"


def upgrade() -> None:
    op.create_table(
        "demo_database",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("company", sa.String(length=120), nullable=False),
        sa.Column("seeded_at", UTC(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_demo_database_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_database")),
    )
    op.create_table(
        "demo_chat_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("saved_at", UTC(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_demo_chat_state_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_chat_state")),
    )


def downgrade() -> None:
    op.drop_table("demo_chat_state")
    op.drop_table("demo_database")
