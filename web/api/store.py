"""The adapter's own small reads and writes: invoicing extras and the offset-paged list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, true

from billing.models import Invoice, InvoiceStatus
from support_desk.core.tx import UnitOfWork
from web.platform.models import InvoiceExtrasRow

_EXTRAS = select(InvoiceExtrasRow.data).where(InvoiceExtrasRow.invoice_id == bindparam("b_id"))


async def load_extras(uow: UnitOfWork, invoice_id: int) -> dict[str, Any]:
    """One prebuilt statement: every seed-shaped answer reads it (what is pending, flushed)."""
    await uow.session.flush()
    data = await uow.session.scalar(_EXTRAS, {"b_id": invoice_id})
    return dict(data) if data is not None else {}


async def save_extras(uow: UnitOfWork, invoice_id: int, data: dict[str, Any]) -> None:
    row = await uow.session.get(InvoiceExtrasRow, invoice_id)
    if row is None:
        uow.session.add(InvoiceExtrasRow(invoice_id=invoice_id, data=data))
    else:
        row.data = data
    await uow.session.flush()


def _status_filter(status: str) -> ColumnElement[bool]:
    """The seed's statuses over ours: CREATED and SENT are both unpaid, told by sent_at."""
    if status == "CREATED":
        return and_(Invoice.status == InvoiceStatus.UNPAID, Invoice.sent_at.is_(None))
    if status == "SENT":
        return and_(Invoice.status == InvoiceStatus.UNPAID, Invoice.sent_at.is_not(None))
    ours = {
        "DRAFT": InvoiceStatus.DRAFT,
        "PARTIAL": InvoiceStatus.PARTIALLY_PAID,
        "PAID": InvoiceStatus.PAID,
        "CANCELED": InvoiceStatus.CANCELED,
    }[status]
    return Invoice.status == ours


async def invoice_ids(
    uow: UnitOfWork, statuses: Sequence[str], offset: int, limit: int
) -> tuple[int, list[int]]:
    """How many invoices match, and the ids of one page of them, newest first."""
    condition = or_(*(_status_filter(s) for s in statuses)) if statuses else true()
    total = await uow.session.scalar(select(func.count(Invoice.id)).where(condition))
    ids = await uow.session.scalars(
        select(Invoice.id).where(condition).order_by(Invoice.id.desc()).offset(offset).limit(limit)
    )
    return int(total or 0), list(ids)
