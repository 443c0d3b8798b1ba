"""An upgrade of a SQLite database that already holds invoices: before, migration 0011 (a batch
rebuild of `invoices`) failed with "FOREIGN KEY constraint failed" on dropping the old table,
since invoice lines refer to it, so only empty databases could be upgraded past it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support_desk.migrations import upgrade

BEFORE_0011 = ("0006_billing_phone_digits", "0002_bot", "0003_ticketing", "0004_api")
NOW = "2026-11-01 10:00:00.000000+00:00"


def _with_an_invoice(path: Path) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    for revision in BEFORE_0011:
        upgrade(url, revision)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(
            "INSERT INTO customers (id, external_id, name, language, compound_invoices_allowed,"
            " created_at) VALUES (1, 'C-1', 'Tanya Lee', 'en', 0, ?)",
            (NOW,),
        )
        db.execute(
            "INSERT INTO invoices (id, customer_id, series, number, status, currency,"
            " allow_partial_payments, is_compound, discount_minor, net_minor, tax_minor,"
            " total_minor, paid_minor, refunded_minor, credited_minor, settled_minor, created_at,"
            " issued_at, version) VALUES (1, 1, 'INV', 1, 'unpaid', 'EUR', 1, 0, 0, 10000, 2000,"
            " 12000, 0, 0, 0, 0, ?, ?, 1)",
            (NOW, NOW),
        )
        db.execute(
            "INSERT INTO invoice_lines (id, invoice_id, position, kind, name, quantity,"
            " unit_price_minor, discount_minor, tax_rate_bp, net_minor, tax_minor, total_minor,"
            " credited_net_minor, credited_tax_minor) VALUES (1, 1, 1, 'item', 'Hosting S', 1,"
            " 10000, 0, 2000, 10000, 2000, 12000, 0, 0)"
        )


def test_a_database_holding_invoices_upgrades_to_the_head_with_every_row(tmp_path: Path) -> None:
    path = tmp_path / "in-use.db"
    _with_an_invoice(path)

    upgrade(f"sqlite+aiosqlite:///{path}")

    with sqlite3.connect(path) as db:
        assert db.execute("SELECT number, status, total_minor FROM invoices").fetchall() == [
            (1, "unpaid", 12000)
        ]
        assert db.execute("SELECT invoice_id, name FROM invoice_lines").fetchall() == [
            (1, "Hosting S")
        ]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        heads = {r[0] for r in db.execute("SELECT version_num FROM alembic_version")}
    fresh = tmp_path / "fresh.db"
    upgrade(f"sqlite+aiosqlite:///{fresh}")
    with sqlite3.connect(fresh) as db:
        assert heads == {r[0] for r in db.execute("SELECT version_num FROM alembic_version")}
