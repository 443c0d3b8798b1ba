"""Gapless document numbers per series (B10).

The counter is bumped by one conditional UPDATE ... RETURNING inside the issuing transaction: the
row lock (PostgreSQL) or the write lock (SQLite) serialises issuers, and a rolled-back issuance
rolls the counter back with it, so no number is ever skipped or reused.
"""

from __future__ import annotations

from sqlalchemy import update

from billing.models import DocumentSeries
from support_desk.core.tx import UnitOfWork

INVOICES = "INV"
CREDIT_NOTES = "CN"


async def next_number(uow: UnitOfWork, series: str) -> int:
    """Draw the next number of `series`; call it as late as possible in the transaction."""
    stmt = (
        update(DocumentSeries)
        .where(DocumentSeries.series == series)
        .values(next_number=DocumentSeries.next_number + 1)
        .returning(DocumentSeries.next_number)
    )
    drawn = (await uow.session.execute(stmt)).scalar_one()
    return int(drawn) - 1
