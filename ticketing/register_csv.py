"""The register as CSV: UTF-8 with a BOM (so spreadsheets read Cyrillic), ISO dates, amounts as
exact decimal strings in major units beside their currency, and no cell a spreadsheet would run
as a formula: text starting with = + - @ (or a tab or carriage return) gets a leading apostrophe,
so a customer named "=HYPERLINK(...)" stays text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from ticketing.register import RegisterRow

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = (
    "number",
    "status",
    "date",
    "customer",
    "customer_external_id",
    "invoice",
    "origin",
    "ticket",
    "agent",
    "approver",
    "reason",
    "currency",
    "net",
    "tax",
    "total",
)


def decimal_string(minor: int, exponent: int = 2) -> str:
    """1234 -> '12.34', exactly, with no float in between."""
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole}.{part:0{exponent}d}" if exponent else f"{sign}{whole}"


def safe_cell(value: object) -> str:
    """The cell's text, neutralised if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cells(r: RegisterRow) -> tuple[object, ...]:
    return (
        r.number or "",
        r.status,
        r.at.date().isoformat(),
        r.customer_name,
        r.customer_external_id,
        r.invoice_number or "",
        r.origin,
        r.ticket_id or "",
        r.agent_name or "",
        r.approver_name or "",
        r.reason,
        r.currency,
        decimal_string(r.net_minor),
        decimal_string(r.tax_minor),
        decimal_string(r.total_minor),
    )


def register_csv(rows: Iterable[RegisterRow]) -> str:
    """The rows as one CSV document, header first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([safe_cell(c) for c in _cells(r)] for r in rows)
    return BOM + out.getvalue()
