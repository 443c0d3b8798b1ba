"""The bot's own tables: the update inbox (TG3), FSM storage, linked chats, delivery progress.

Nothing outside `bot` reads them; the outbox itself belongs to `support_desk.core`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from support_desk.core.db import Base, JSONType, UTCDateTime
from support_desk.core.outbox import Leasable


class InboxStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"  # gave up after the configured attempts; kept for inspection


class InboxRow(Leasable, Base):
    """One Telegram update, stored before we answer 200: the primary key de-duplicates."""

    __tablename__ = "tg_inbox"
    __table_args__ = (Index("ix_tg_inbox_due", "status", "next_attempt_at", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.PENDING)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class FsmRow(Base):
    """aiogram FSM state and data for one storage key, so a conversation survives a restart."""

    __tablename__ = "tg_fsm"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TelegramChat(Base):
    """Where a customer's messages go: set when a Telegram user proves who they are.

    `chat_id` is indexed: every /start and every block looks a chat up by it."""

    __tablename__ = "telegram_chats"
    __table_args__ = (Index("ix_telegram_chats_chat_id", "chat_id"),)

    customer_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8), default="en")
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DeliveryProgress(Base):
    """How many parts of a multi-part outbox row already left, so a retry never resends them."""

    __tablename__ = "tg_delivery_progress"

    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
