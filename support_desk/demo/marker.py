"""Which database is the demo's: a row in `demo_database`, written in the transaction that seeds
the demo company, so a marked database always holds the whole company and nothing else."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Integer, String, exists, select, table
from sqlalchemy.orm import Mapped, mapped_column

from support_desk.core.db import Base, UTCDateTime
from support_desk.core.tx import UnitOfWork

# a row in any of these is someone's data (document_series is filled by the migrations)
DATA_TABLES = (
    "customers",
    "invoices",
    "tickets",
    "users",
    "api_keys",
    "telegram_chats",
    "tg_inbox",
    "audit_log",
)


class DemoDatabase(Base):
    """At most one row: this database holds the demo company, and nothing but it."""

    __tablename__ = "demo_database"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    company: Mapped[str] = mapped_column(String(120))
    seeded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DatabaseKind(StrEnum):
    EMPTY = "empty"  # nobody's data yet: the demo may move in
    DEMO = "demo"  # the demo company's
    OTHER = "other"  # someone's data: the demo never touches it


async def database_kind(uow: UnitOfWork) -> DatabaseKind:
    if await uow.session.get(DemoDatabase, 1) is not None:
        return DatabaseKind.DEMO
    for name in DATA_TABLES:
        if await uow.session.scalar(select(exists().select_from(table(name)))):
            return DatabaseKind.OTHER
    return DatabaseKind.EMPTY


def mark(uow: UnitOfWork, company: str) -> None:
    uow.session.add(DemoDatabase(id=1, company=company, seeded_at=uow.now))
