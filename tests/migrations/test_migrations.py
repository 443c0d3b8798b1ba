"""The schema comes from migrations: they go up and down cleanly, and they match the models."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from support_desk.core.db import Base, make_engine
from support_desk.migrations import downgrade, upgrade
from support_desk.models import load_all_models
from tests import backends

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    url = backends.prepare_postgres(backends.worker_database(backends.PG_BASE_DB + "_migrations"))
    downgrade(url, "base")  # from the head just built: every downgrade runs
    return url


def _diff(url: str) -> list[Any]:
    load_all_models()

    def compare(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async def run() -> list[Any]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrations_go_up_down_and_up_again(empty_database: str) -> None:
    upgrade(empty_database)
    downgrade(empty_database, "base")
    upgrade(empty_database)

    assert _diff(empty_database) == []


def test_the_models_match_what_the_migrations_build(empty_database: str) -> None:
    upgrade(empty_database)

    assert _diff(empty_database) == []


def test_0016_gives_live_services_the_period_of_their_latest_invoice(
    empty_database: str,
) -> None:
    """B5: services from before billing kept periods get the month from their latest issued
    invoice (or from their creation); a terminated one gets none."""
    from datetime import date

    from sqlalchemy import text

    upgrade(empty_database)
    downgrade(empty_database, "0015_credit_note_files")  # every other branch stays at its head
    inserts = [
        "INSERT INTO customers (id, external_id, name, language, compound_invoices_allowed,"
        " created_at) VALUES (1, 'c1', 'C', 'en', true, '2026-01-01 00:00:00+00')",
        "INSERT INTO services (id, customer_id, name, status, created_at) VALUES"
        " (1, 1, 'Invoiced', 'active', '2026-01-03 10:00:00+00'),"
        " (2, 1, 'Never invoiced', 'pending', '2026-03-31 10:00:00+00'),"
        " (3, 1, 'Ended', 'terminated', '2026-01-03 10:00:00+00')",
        "INSERT INTO invoices (id, customer_id, series, number, status, currency,"
        " allow_partial_payments, is_compound, discount_minor, net_minor, tax_minor,"
        " total_minor, paid_minor, refunded_minor, credited_minor, settled_minor,"
        " created_at, issued_at, version) VALUES"
        " (1, 1, 'INV', 1, 'unpaid', 'EUR', true, false, 0, 100, 0, 100, 0, 0, 0, 0,"
        " '2026-02-10 08:00:00+00', '2026-02-10 08:00:00+00', 1)",
        "INSERT INTO invoice_lines (id, invoice_id, position, kind, name, service_id, quantity,"
        " unit_price_minor, discount_minor, tax_rate_bp, net_minor, tax_minor, total_minor,"
        " credited_net_minor, credited_tax_minor) VALUES"
        " (1, 1, 1, 'item', 'Invoiced', 1, 1, 100, 0, 0, 100, 0, 100, 0, 0)",
    ]

    async def seed_then_read() -> list[Any]:
        engine = make_engine(empty_database)
        try:
            async with engine.begin() as conn:
                for statement in inserts:
                    await conn.execute(text(statement))
            await asyncio.to_thread(upgrade, empty_database)
            async with engine.connect() as conn:
                found = await conn.execute(text("SELECT id, period_end FROM services ORDER BY id"))
                return [tuple(r) for r in found]
        finally:
            await engine.dispose()

    rows = asyncio.run(seed_then_read())

    assert [(i, str(end) if end else None) for i, end in rows] == [
        (1, str(date(2026, 3, 9))),
        (2, str(date(2026, 4, 29))),  # from 31 Mar: the next starts on 30 Apr
        (3, None),
    ]
