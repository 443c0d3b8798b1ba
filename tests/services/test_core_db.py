"""D1, D2, D8: the database is configured as the money rules need, on both backends."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from billing.models import DocumentSeries
from support_desk.core.tx import Transactor, UnitOfWork


async def test_d1_sqlite_pragmas_are_applied_on_every_pooled_connection(
    engine: AsyncEngine,
) -> None:
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as conn:
        journal = await conn.scalar(text("PRAGMA journal_mode"))
        busy = await conn.scalar(text("PRAGMA busy_timeout"))
        fks = await conn.scalar(text("PRAGMA foreign_keys"))

    assert (journal, fks) == ("wal", 1)
    assert busy >= 5000


async def test_d2_read_then_write_transactions_never_see_database_is_locked(
    tx: Transactor,
) -> None:
    async def bump(uow: UnitOfWork) -> None:
        # FOR UPDATE guards PostgreSQL; it compiles to nothing on SQLite, where BEGIN
        # IMMEDIATE already holds the write lock (D3).
        value = await uow.session.scalar(
            select(DocumentSeries.next_number)
            .where(DocumentSeries.series == "INV")
            .with_for_update()
        )
        assert value is not None
        await asyncio.sleep(0)
        await uow.session.execute(
            text("UPDATE document_series SET next_number = :v WHERE series = 'INV'"),
            {"v": value + 1},
        )

    await asyncio.gather(*(tx.run(bump) for _ in range(40)))

    async def read(uow: UnitOfWork) -> int:
        return int(
            await uow.session.scalar(
                text("SELECT next_number FROM document_series WHERE series = 'INV'")
            )
        )

    assert await tx.read(read) == 41


async def test_d8_money_constraints_exist_on_this_backend(engine: AsyncEngine) -> None:
    def names(sync_conn: object) -> tuple[set[str], set[str], set[str]]:
        insp = inspect(sync_conn)
        checks = {c["name"] for c in insp.get_check_constraints("invoices")}
        uniques = {u["name"] for u in insp.get_unique_constraints("credit_notes")}
        indexes = {i["name"] for i in insp.get_indexes("credit_notes") if i["unique"]}
        return checks, uniques, indexes

    async with engine.connect() as conn:
        checks, uniques, indexes = await conn.run_sync(names)

    assert {"ck_invoices_credited", "ck_invoices_balance", "ck_invoices_refunded"} <= checks
    assert "uq_credit_notes_series_number" in uniques
    assert "uq_credit_notes_live_cancellation" in indexes
