"""The outbox (T8): every message a customer must receive, written with the change that caused it.

The bot's delivery worker leases rows, renders them from templates by `kind` and sends them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Index, Integer, String, Table, Text, insert
from sqlalchemy.orm import Mapped, mapped_column

from support_desk.core.db import Base, JSONType, UTCDateTime


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # permanent: blocked by the user, chat gone; kept for the record
    UNDELIVERABLE = "undeliverable"  # no linked chat for the customer
    FOLDED = "folded"  # told as part of a later summary (the welcome after linking), kept


class Leasable:
    """The columns a worker takes a row by (bot.transport.leasing), the same in the outbox and
    the bot's update inbox: how often it was tried, when it is due, and who holds it until
    when."""

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OutboxRow(Leasable, Base):
    """A message to a customer, addressed by customer id; the bot resolves the chat."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


OUTBOX_INSERT = insert(cast(Table, OutboxRow.__table__))  # Core: the row `UnitOfWork.notify` adds


def outbox_values(
    customer_id: int | None, kind: str, payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """A pending message's row, as the parameters of `OUTBOX_INSERT`: every column given, as
    the ORM's INSERT gives them."""
    return {
        "customer_id": customer_id,
        "kind": kind,
        "payload": payload,
        "created_at": now,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "lease_owner": None,
        "lease_until": None,
        "sent_at": None,
        "last_error": None,
    }
