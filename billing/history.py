"""Where a customer's money is: an invoice's dated history, the list of their invoices, what
they owe and hold as account credit, and the credit note a cancellation would issue.

Read models only, run with `tx.read(...)`; a customer sees their own invoices, anyone else's
is refused as if it did not exist (NotYourInvoice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, case, func, select
from sqlalchemy.engine import Connection

from billing import errors, rules, statements
from billing.models import (
    AccountCredit,
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    Refund,
)
from billing.read_models import CreditNotePreview, InvoiceView, document_number
from billing.services.credit_notes import preview_line
from support_desk.core.db import run_near
from support_desk.core.tx import UnitOfWork

OPEN = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID)
SHOWN = (*OPEN, InvoiceStatus.PAID, InvoiceStatus.CANCELED)  # never a draft


_NOTES = cast(Table, CreditNote.__table__)
_PAYMENTS = cast(Table, Payment.__table__)
_REFUNDS = cast(Table, Refund.__table__)
_BY_INVOICE = bindparam("b_invoice_id", type_=_NOTES.c.invoice_id.type)
# what an invoice's history shows, as columns (no ORM entities), built once
_NOTES_OF_INVOICE = (
    select(
        *(
            _NOTES.c[name]
            for name in (
                "id",
                "series",
                "number",
                "status",
                "total_minor",
                "issued_at",
                "created_at",
                "account_credit_minor",
                "remainder",
                "voided_at",
            )
        )  # fmt: skip
    )
    .where(_NOTES.c.invoice_id == _BY_INVOICE)
    .order_by(_NOTES.c.id)
)
_PAYMENTS_OF_INVOICE = select(
    _PAYMENTS.c.received_at, _PAYMENTS.c.amount_minor, _PAYMENTS.c.method
).where(_PAYMENTS.c.invoice_id == _BY_INVOICE)
_REFUNDS_OF_NOTES = (
    select(_REFUNDS.c.created_at, _REFUNDS.c.amount_minor, _PAYMENTS.c.method)
    .join(_PAYMENTS, _PAYMENTS.c.id == _REFUNDS.c.payment_id)
    .where(_REFUNDS.c.credit_note_id.in_(bindparam("b_note_ids", expanding=True)))
    .order_by(_REFUNDS.c.id)
)


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One dated step: `kind` is issued, delivered, payment, credit_note, account_credit,
    refund, cancelled or voided; `state` says where a credit note or refund stands."""

    at: datetime
    kind: str
    amount_minor: int | None = None
    number: str | None = None
    method: str | None = None
    state: str | None = None
    credit_note_id: int | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A credit note of the invoice the customer can fetch as a PDF."""

    credit_note_id: int
    number: str
    status: str


@dataclass(frozen=True, slots=True)
class InvoiceHistory:
    invoice: InvoiceView
    events: tuple[HistoryEvent, ...]
    documents: tuple[Document, ...]
    account_credit_minor: int  # the customer's balance in the invoice's currency
    cancel_refusal: str | None  # the refusal code a self-service cancel meets now, if any


@dataclass(frozen=True, slots=True)
class InvoiceListPage:
    items: tuple[InvoiceView, ...]
    page: int  # 1-based, clamped to the pages there are
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class MoneySummary:
    open_invoices: int
    invoices: int
    due: tuple[tuple[str, int], ...]  # (currency, minor) of what is owed, per currency
    next_due_date: date | None
    account_credit: tuple[tuple[str, int], ...]


async def invoice_history(uow: UnitOfWork, invoice_id: int, customer_id: int) -> InvoiceHistory:
    """The customer's own invoice with every money step on it, oldest first: its seven reads
    in one round trip on SQLite (`run_near`)."""
    conn = await statements.connection(uow.session)
    return await run_near(conn, _history, invoice_id, customer_id)


def _history(conn: Connection, invoice_id: int, customer_id: int) -> InvoiceHistory:
    invoice = _own(statements.read_invoice_view(conn, invoice_id), customer_id)
    notes = list(conn.execute(_NOTES_OF_INVOICE, {"b_invoice_id": invoice.id}))
    events = [*_invoice_events(invoice), *_payment_events(conn, invoice.id)]
    for note in notes:
        events.extend(_note_events(note))
    events.extend(_refund_events(conn, [n.id for n in notes]))
    documents = tuple(
        Document(n.id, document_number(n.series, n.number) or "", n.status)
        for n in notes
        if n.number is not None
    )
    credit = dict(_account_credit(conn, customer_id)).get(invoice.currency, 0)
    in_use = statements.services_in_use(conn, [ln.service_id for ln in invoice.lines])
    refusal = rules.customer_cancel_refusal(invoice, in_use)
    return InvoiceHistory(
        invoice,
        tuple(sorted(events, key=lambda e: e.at)),
        documents,
        credit,
        refusal.code if refusal else None,
    )


async def own(uow: UnitOfWork, invoice_id: int, customer_id: int) -> InvoiceView:
    """A customer's own issued invoice; a stranger's or a draft is refused the same way."""
    conn = await statements.connection(uow.session)
    return _own(await run_near(conn, statements.read_invoice_view, invoice_id), customer_id)


def _own(invoice: InvoiceView | None, customer_id: int) -> InvoiceView:
    if invoice is None or invoice.customer_id != customer_id or invoice.status == "draft":
        raise errors.NotYourInvoice()
    return invoice


def _invoice_events(invoice: InvoiceView) -> list[HistoryEvent]:
    events = []
    if invoice.issued_at is not None:
        events.append(HistoryEvent(invoice.issued_at, "issued", invoice.total_minor))
    if invoice.sent_at is not None:
        events.append(HistoryEvent(invoice.sent_at, "delivered"))
    if invoice.cancelled_at is not None and invoice.status == InvoiceStatus.CANCELED:
        events.append(HistoryEvent(invoice.cancelled_at, "cancelled"))
    return events


def _payment_events(conn: Connection, invoice_id: int) -> list[HistoryEvent]:
    rows = conn.execute(_PAYMENTS_OF_INVOICE, {"b_invoice_id": invoice_id})
    return [HistoryEvent(p.received_at, "payment", p.amount_minor, method=p.method) for p in rows]


def _note_events(note: Row[Any]) -> list[HistoryEvent]:
    """The steps of one credit note (a row of `_NOTES_OF_INVOICE`)."""
    number = document_number(note.series, note.number)
    at = note.issued_at or note.created_at
    events = [
        HistoryEvent(
            at, "credit_note", note.total_minor, number, state=note.status, credit_note_id=note.id
        )
    ]
    if note.number is not None and note.account_credit_minor:
        events.append(HistoryEvent(at, "account_credit", note.account_credit_minor, number))
    if note.status == CreditNoteStatus.PENDING_APPROVAL and note.remainder == "refund":
        events.append(HistoryEvent(at, "refund", None, number, state="pending_approval"))
    if note.voided_at is not None:
        events.append(HistoryEvent(note.voided_at, "voided", None, number))
    return events


def _refund_events(conn: Connection, note_ids: list[int]) -> list[HistoryEvent]:
    if not note_ids:
        return []
    rows = conn.execute(_REFUNDS_OF_NOTES, {"b_note_ids": note_ids})
    return [
        HistoryEvent(r.created_at, "refund", r.amount_minor, method=r.method, state="sent")
        for r in rows
    ]


_ACCOUNT_CREDIT = (
    select(AccountCredit.currency, AccountCredit.balance_minor)
    .where(
        AccountCredit.customer_id == bindparam("b_customer_id"), AccountCredit.balance_minor > 0
    )
    .order_by(AccountCredit.currency)
)


async def account_credit(uow: UnitOfWork, customer_id: int) -> tuple[tuple[str, int], ...]:
    conn = await statements.connection(uow.session)
    return await run_near(conn, _account_credit, customer_id)


def _account_credit(conn: Connection, customer_id: int) -> tuple[tuple[str, int], ...]:
    rows = conn.execute(_ACCOUNT_CREDIT, {"b_customer_id": customer_id})
    return tuple((r.currency, r.balance_minor) for r in rows)


async def invoice_list(
    uow: UnitOfWork, customer_id: int, page: int, per_page: int = 5
) -> InvoiceListPage:
    """Open invoices first, then settled ones, newest first in each; page numbers from 1."""
    where = (Invoice.customer_id == customer_id, Invoice.status.in_(SHOWN))
    total = int(await uow.session.scalar(select(func.count()).where(*where)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    settled_last = case((Invoice.status.in_(OPEN), 0), else_=1)
    stmt = (
        select(Invoice.id)
        .where(*where)
        .order_by(settled_last, Invoice.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    ids = list((await uow.session.scalars(stmt)).all())
    items = tuple(
        await run_near(
            await statements.connection(uow.session), statements.read_invoice_views, ids
        )
    )
    return InvoiceListPage(items, page, pages, total)


async def money_summary(uow: UnitOfWork, customer_id: int) -> MoneySummary:
    """What the menu and the welcome show first: what is owed, by when, and account credit."""
    owed = Invoice.total_minor - Invoice.paid_minor - Invoice.settled_minor
    mine = Invoice.customer_id == customer_id
    rows = (
        await uow.session.execute(
            select(Invoice.currency, func.sum(owed), func.count(), func.min(Invoice.due_date))
            .where(mine, Invoice.status.in_(OPEN))
            .group_by(Invoice.currency)
            .order_by(Invoice.currency)
        )
    ).all()
    shown = select(func.count()).where(mine, Invoice.status.in_(SHOWN))
    dates = [r[3] for r in rows if r[3] is not None]
    return MoneySummary(
        open_invoices=sum(int(r[2]) for r in rows),
        invoices=int(await uow.session.scalar(shown) or 0),
        due=tuple((r[0], int(r[1])) for r in rows),
        next_due_date=min(dates) if dates else None,
        account_credit=await account_credit(uow, customer_id),
    )


async def preview_cancellation(
    uow: UnitOfWork, invoice_id: int, customer_id: int
) -> CreditNotePreview:
    """The credit note cancelling this invoice would issue now: every line's remaining net and
    tax, by the rule the cancellation itself applies (B2)."""
    return cancellation_preview(await own(uow, invoice_id, customer_id))


def cancellation_preview(invoice: InvoiceView) -> CreditNotePreview:
    """`preview_cancellation` of an invoice view the caller has just read as the customer's own
    (the bot's guard did): no second read. A draft is refused as `own` refuses it."""
    if invoice.status == InvoiceStatus.DRAFT:
        raise errors.NotYourInvoice()
    parts = rules.remaining_parts(invoice.lines)
    by_id = {ln.id: ln for ln in invoice.lines}
    views = tuple(preview_line(n, by_id[p.line_id], p) for n, p in enumerate(parts, 1))
    net, tax = sum(p.net_minor for p in parts), sum(p.tax_minor for p in parts)
    return CreditNotePreview(invoice.id, invoice.currency, views, net, tax, net + tax, False)
