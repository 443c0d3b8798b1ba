"""bot: index telegram_chats.chat_id (every /start and every block looks a chat up by it)"""

from __future__ import annotations

from alembic import op

revision = "0005_bot_indexes"
down_revision = "0002_bot"


def upgrade() -> None:
    op.create_index("ix_telegram_chats_chat_id", "telegram_chats", ["chat_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_telegram_chats_chat_id", table_name="telegram_chats")
