"""M10, D8: money is stored as integers and the money invariants exist in the database itself,
on SQLite and PostgreSQL alike, as migrated (not only as declared in billing.models)."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import CheckConstraint, Float, Integer, Numeric, Table, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

import billing
import billing.models  # noqa: F401  (registers the billing tables)
from support_desk.core.db import Base

BILLING = Path(billing.__file__).parent
MONEY_CHECKS = {
    "invoices": {
        "ck_invoices_credited": "credited_minor <= total_minor",
        "ck_invoices_balance": "<= total_minor",
        "ck_invoices_settled": "settled_minor <= credited_minor",
        "ck_invoices_refunded": "refunded_minor <= paid_minor",
        "ck_invoices_total": "total_minor = net_minor + tax_minor",
    },
    "invoice_lines": {
        "ck_invoice_lines_credited_net": "credited_net_minor <= net_minor",
        "ck_invoice_lines_credited_tax": "credited_tax_minor <= tax_minor",
    },
    "credit_notes": {
        "ck_credit_notes_positive": "total_minor > 0",
        "ck_credit_notes_split": "settled_minor + refund_minor + account_credit_minor",
        "ck_credit_notes_numbered": "number IS NOT NULL",
    },
    "payments": {"ck_payments_refunded": "refunded_minor <= amount_minor"},
    "account_credits": {"ck_account_credits_nonneg": "balance_minor >= 0"},
}


def billing_tables() -> list[Table]:
    return [
        m.local_table  # type: ignore[misc]
        for m in Base.registry.mappers
        if m.class_.__module__ == "billing.models"
    ]


async def reflect(engine: AsyncEngine, fn: Any) -> Any:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: fn(inspect(sync)))


def _norm(sql: str) -> str:
    return " ".join(sql.replace("(", " ").replace(")", " ").split()).lower()


async def test_m10_every_minor_column_in_the_database_is_an_integer(engine: AsyncEngine) -> None:
    names = [t.name for t in billing_tables()]

    columns = await reflect(engine, lambda i: {n: i.get_columns(n) for n in names})

    minor = [(t, c) for t, cols in columns.items() for c in cols if c["name"].endswith("_minor")]
    assert len(minor) > 30
    wrong = [(t, c["name"], c["type"]) for t, c in minor if not isinstance(c["type"], Integer)]
    assert wrong == []
    assert not [
        (t, c["name"])
        for t, cols in columns.items()
        for c in cols
        if isinstance(c["type"], Numeric)
    ]


def test_m10_billing_models_declare_no_numeric_or_float_column() -> None:
    tables = billing_tables()

    offenders = [
        f"{t.name}.{c.name}"
        for t in tables
        for c in t.columns
        if isinstance(c.type, Numeric | Float)
        or (c.name.endswith("_minor") and not isinstance(c.type, Integer))
    ]

    assert {t.name for t in tables} >= {"invoices", "credit_notes", "account_credits", "payments"}
    assert offenders == []


async def test_d8_the_money_checks_exist_in_the_database(engine: AsyncEngine) -> None:
    checks = await reflect(engine, lambda i: {t: i.get_check_constraints(t) for t in MONEY_CHECKS})

    for table, expected in MONEY_CHECKS.items():
        found = {c["name"]: _norm(c["sqltext"]) for c in checks[table]}
        for name, fragment in expected.items():
            assert name in found, (table, name, sorted(found))
            assert _norm(fragment) in found[name], (name, found[name])


async def test_d8_every_check_declared_in_billing_models_is_migrated(engine: AsyncEngine) -> None:
    tables = billing_tables()
    declared = {
        (t.name, str(c.name))
        for t in tables
        for c in t.constraints
        if isinstance(c, CheckConstraint)
    }

    found = await reflect(
        engine,
        lambda i: {(t.name, c["name"]) for t in tables for c in i.get_check_constraints(t.name)},
    )

    assert len(declared) > 20
    assert declared <= found, sorted(declared - found)


async def test_d8_one_live_cancellation_per_invoice_is_a_partial_unique_index(
    engine: AsyncEngine,
) -> None:
    indexes = await reflect(engine, lambda i: i.get_indexes("credit_notes"))

    live = next(ix for ix in indexes if ix["name"] == "uq_credit_notes_live_cancellation")
    assert live["unique"] and live["column_names"] == ["invoice_id"]
    options = live["dialect_options"]
    where = options.get("postgresql_where", options.get("sqlite_where"))
    assert where is not None
    text = _norm(str(where))
    assert "cancellation" in text and "split" in text and "issued" in text


@pytest.mark.parametrize("table", ["invoices", "credit_notes"])
async def test_d8_document_numbers_are_unique_per_series(engine: AsyncEngine, table: str) -> None:
    uniques = await reflect(engine, lambda i: i.get_unique_constraints(table))

    assert ["series", "number"] in [u["column_names"] for u in uniques]


async def test_d8_idempotency_keys_are_unique(engine: AsyncEngine) -> None:
    pk = await reflect(engine, lambda i: i.get_pk_constraint("idempotency_keys"))

    assert pk["constrained_columns"] == ["key"]


def _code_names(path: Path) -> list[tuple[int, str]]:
    """NAME tokens followed by what comes next: prose in comments and docstrings is ignored."""
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    found = []
    for tok, nxt in zip(tokens, tokens[1:], strict=False):
        if tok.type != tokenize.NAME:
            continue
        if tok.string in ("Float", "Numeric", "REAL", "DOUBLE") or (
            tok.string == "float" and nxt.string == "("
        ):
            found.append((tok.start[0], tok.string))
    return found


def test_m10_no_float_numeric_or_float_call_in_billing_code() -> None:
    files = sorted([*BILLING.glob("*.py"), *(BILLING / "services").glob("*.py")])

    offenders = {
        str(f.relative_to(BILLING.parent)): hits for f in files if (hits := _code_names(f))
    }

    assert len(files) > 10
    assert offenders == {}


def test_m10_the_float_detector_sees_what_it_must(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Numeric in prose is fine."""\n# float( in a comment\nx = float(y)\nz: Float\n'
    )

    assert _code_names(sample) == [(3, "float"), (4, "Float")]
