"""The audit log (T6): who, when, what, before and after, written in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Index, String, Table, insert
from sqlalchemy.orm import Mapped, mapped_column

from support_desk.core.actors import Actor
from support_desk.core.db import Base, JSONType, UTCDateTime


class AuditRow(Base):
    """One change to a ticket, an invoice, a credit note, a person or a key. Never updated."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[Any] = mapped_column(JSONType, nullable=True)
    after: Mapped[Any] = mapped_column(JSONType, nullable=True)


AUDIT_INSERT = insert(cast(Table, AuditRow.__table__))  # Core: one row, or many in one executemany


def audit_values(
    at: datetime,
    actor: Actor,
    action: str,
    *,
    subject: tuple[str, object],
    before: Any = None,
    after: Any = None,
) -> dict[str, Any]:
    """The row `UnitOfWork.audit` writes, as the parameters of `AUDIT_INSERT`."""
    return {
        "at": at,
        "actor_kind": actor.kind.value,
        "actor_id": actor.id,
        "action": action,
        "subject_type": subject[0],
        "subject_id": str(subject[1]),
        "before": before,
        "after": after,
    }
