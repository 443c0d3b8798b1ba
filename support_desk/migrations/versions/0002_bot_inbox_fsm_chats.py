"""bot: update inbox, FSM storage, linked Telegram chats, delivery progress"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from support_desk.migrations.schema import JSON, UTC

revision = "0002_bot"
down_revision = "0001_billing"


def upgrade() -> None:
    op.create_table(
        "tg_inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("raw", JSON, nullable=False),
        sa.Column("received_at", UTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTC(timezone=True), nullable=True),
        sa.Column("processed_at", UTC(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_tg_inbox")),
    )
    op.create_index(
        "ix_tg_inbox_due", "tg_inbox", ["status", "next_attempt_at", "update_id"], unique=False
    )
    op.create_table(
        "tg_fsm",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=255), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_tg_fsm")),
    )
    op.create_table(
        "telegram_chats",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("linked_at", UTC(timezone=True), nullable=False),
        sa.Column("blocked_at", UTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_telegram_chats")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_telegram_chats_telegram_user_id")),
    )
    op.create_table(
        "tg_delivery_progress",
        sa.Column("outbox_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("parts_sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_tg_delivery_progress_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outbox_id", name=op.f("pk_tg_delivery_progress")),
    )


def downgrade() -> None:
    op.drop_table("tg_delivery_progress")
    op.drop_table("telegram_chats")
    op.drop_table("tg_fsm")
    op.drop_index("ix_tg_inbox_due", table_name="tg_inbox")
    op.drop_table("tg_inbox")
