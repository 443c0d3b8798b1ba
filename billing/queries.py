"""Read models for the bot, the console and the API; run them with `tx.read(...)`."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from billing import errors, repo, statements
from billing.models import (
    AccountCredit,
    CreditNote,
    Customer,
    Invoice,
    LinkTokenRow,
    Payment,
    Service,
    ServiceStatus,
)
from billing.read_models import (
    CreditNoteView,
    CustomerView,
    InvoiceView,
    Page,
    PaymentView,
    ServiceView,
)
from billing.services.customers import phone_digits, token_hash
from support_desk.core.db import run_near
from support_desk.core.paging import one_page
from support_desk.core.tx import UnitOfWork

MAX_PAGE = 200
T = TypeVar("T")


async def invoice_view(uow: UnitOfWork, invoice_id: int) -> InvoiceView:
    """The invoice as it is now, lines included, in one prebuilt statement (no ORM entities):
    every face reads it, the API on each GET. What the unit of work holds is flushed first
    (`statements.connection`)."""
    conn = await statements.connection(uow.session)
    view = await statements.read_invoice_view_at_once(conn, invoice_id)
    if view is None:
        raise errors.InvoiceNotFound(id=invoice_id)
    return view


async def customer_invoice(uow: UnitOfWork, invoice_id: int, customer_id: int) -> InvoiceView:
    """A customer's own invoice; anyone else's is refused as if it did not exist."""
    conn = await statements.connection(uow.session)
    invoice = await run_near(conn, statements.read_invoice_view, invoice_id)
    if invoice is None or invoice.customer_id != customer_id:
        raise errors.NotYourInvoice()
    return invoice


async def own_invoice_at_once(
    conn: AsyncConnection, invoice_id: int, customer_id: int, *, drafts: bool = True
) -> InvoiceView:
    """`customer_invoice` (or, without drafts, `history.own`) as one statement on a bare
    connection, for `tx.read_statement`: what the bot's guard reads on every press."""
    invoice = await statements.read_invoice_view_at_once(conn, invoice_id)
    if invoice is None or invoice.customer_id != customer_id:
        raise errors.NotYourInvoice()
    if not drafts and invoice.status == "draft":
        raise errors.NotYourInvoice()
    return invoice


async def invoices_page(
    uow: UnitOfWork,
    *,
    customer_id: int | None = None,
    statuses: Sequence[str] = (),
    after: int | None = None,
    limit: int = 50,
) -> Page[InvoiceView]:
    """Newest first, keyset-paged on id (`after` is the last id of the previous page)."""
    return await _newest_first(
        uow,
        Invoice.id,
        _matching((Invoice.customer_id, customer_id), (Invoice.status, statuses)),
        after,
        limit,
        lambda ids: _near(uow, statements.read_invoice_views, ids),
    )


async def credit_note_view(uow: UnitOfWork, credit_note_id: int) -> CreditNoteView:
    conn = await statements.connection(uow.session)
    note = await run_near(conn, statements.read_credit_note_view, credit_note_id)
    if note is None:
        raise errors.CreditNoteNotFound(id=credit_note_id)
    return note


async def credit_note_at_once(conn: AsyncConnection, credit_note_id: int) -> CreditNoteView:
    """`credit_note_view` as one statement on a bare connection, for `tx.read_statement`."""
    note = await run_near(conn, statements.read_credit_note_view_at_once, credit_note_id)
    if note is None:
        raise errors.CreditNoteNotFound(id=credit_note_id)
    return note


async def credit_notes_page(
    uow: UnitOfWork,
    *,
    customer_id: int | None = None,
    invoice_id: int | None = None,
    statuses: Sequence[str] = (),
    after: int | None = None,
    limit: int = 50,
) -> Page[CreditNoteView]:
    """The credit-note register, newest first, keyset-paged."""
    return await _newest_first(
        uow,
        CreditNote.id,
        _matching(
            (CreditNote.customer_id, customer_id),
            (CreditNote.invoice_id, invoice_id),
            (CreditNote.status, statuses),
        ),
        after,
        limit,
        lambda ids: _near(uow, statements.read_credit_note_views, ids),
    )


_CUSTOMER = select(*(getattr(Customer, f.name) for f in dataclasses.fields(CustomerView))).where(
    Customer.id == bindparam("b_customer_id")
)


async def customer_view(uow: UnitOfWork, customer_id: int) -> CustomerView:
    """A customer as it is now, in one prebuilt statement (every API answer names one)."""
    conn = await statements.connection(uow.session)
    row = (await conn.execute(_CUSTOMER, {"b_customer_id": customer_id})).one_or_none()
    if row is None:
        raise errors.CustomerNotFound(id=customer_id)
    return CustomerView(*row)


async def customer_by_external_id(uow: UnitOfWork, external_id: str) -> CustomerView:
    customer = await uow.session.scalar(
        select(Customer).where(Customer.external_id == external_id)
    )
    if customer is None:
        raise errors.CustomerNotFound(external_id=external_id)
    return repo.customer_view(customer)


async def customer_by_phone(uow: UnitOfWork, phone: str) -> CustomerView | None:
    """The customer whose phone matches, digits only (for the shared-contact link)."""
    digits = phone_digits(phone)
    if digits is None:
        return None
    stmt = select(Customer).where(Customer.phone_digits == digits).limit(2)
    match = (await uow.session.scalars(stmt)).all()
    return repo.customer_view(match[0]) if len(match) == 1 else None


async def services_of(uow: UnitOfWork, customer_id: int) -> tuple[ServiceView, ...]:
    rows = await uow.session.scalars(
        select(Service).where(Service.customer_id == customer_id).order_by(Service.id)
    )
    return tuple(repo.service_view(s) for s in rows)


async def live_services_billed_by(
    uow: UnitOfWork, customer_id: int, invoice: InvoiceView
) -> list[ServiceView]:
    """B5/B7: the customer's services this invoice bills that are not terminated: the ones a
    change of a compound invoice may stop instead (terminating cancels their invoices)."""
    billed = {line.service_id for line in invoice.lines if line.service_id}
    services = await services_of(uow, customer_id)
    return [s for s in services if s.id in billed and s.status != ServiceStatus.TERMINATED]


async def service_view(uow: UnitOfWork, service_id: int) -> ServiceView:
    return repo.service_view(await repo.get_service(uow.session, service_id))


async def payments_of(uow: UnitOfWork, invoice_id: int) -> tuple[PaymentView, ...]:
    rows = await uow.session.scalars(
        select(Payment).where(Payment.invoice_id == invoice_id).order_by(Payment.id)
    )
    return tuple(repo.payment_view(p) for p in rows)


async def account_credit_of(uow: UnitOfWork, customer_id: int) -> dict[str, int]:
    rows = await uow.session.execute(
        select(AccountCredit.currency, AccountCredit.balance_minor).where(
            AccountCredit.customer_id == customer_id
        )
    )
    return {r.currency: r.balance_minor for r in rows}


def _matching(*filters: tuple[InstrumentedAttribute[Any], object]) -> list[ColumnElement[bool]]:
    """`column == value` for each value given, `column IN (...)` for a sequence of values; None
    and an empty sequence leave the column unfiltered."""
    conditions: list[ColumnElement[bool]] = []
    for column, value in filters:
        if isinstance(value, Sequence) and not isinstance(value, str):
            if value:
                conditions.append(column.in_(value))
        elif value is not None:
            conditions.append(column == value)
    return conditions


async def _newest_first(
    uow: UnitOfWork,
    id_column: InstrumentedAttribute[int],
    conditions: list[ColumnElement[bool]],
    after: int | None,
    limit: int,
    load: Callable[[list[int]], Awaitable[Sequence[T]]],
) -> Page[T]:
    """Keyset paging on id, newest first: `after` is the last id of the previous page, and the
    page's `next_after` is set when one more row exists. The page's rows are read together
    (`load`), not one by one."""
    size = min(limit, MAX_PAGE)
    if after is not None:
        conditions = [*conditions, id_column < after]
    stmt = select(id_column).where(*conditions).order_by(id_column.desc()).limit(size + 1)
    ids, last = one_page((await uow.session.scalars(stmt)).all(), size)
    return Page(tuple(await load(list(ids))), last)


async def _near(
    uow: UnitOfWork, read: Callable[[Connection, list[int]], list[T]], ids: list[int]
) -> list[T]:
    """`read(connection, ids)` on the unit of work's connection, in one round trip on SQLite."""
    return await run_near(await statements.connection(uow.session), read, ids)


async def payments_of_invoices(
    uow: UnitOfWork, invoice_ids: Sequence[int]
) -> tuple[PaymentView, ...]:
    """The payments of several invoices in one SELECT: each invoice's in `invoice_ids`' order,
    oldest first (as `payments_of` one by one)."""
    if not invoice_ids:
        return ()
    stmt = select(Payment).where(Payment.invoice_id.in_(invoice_ids)).order_by(Payment.id)
    by_invoice: dict[int, list[PaymentView]] = {}
    for p in await uow.session.scalars(stmt):
        by_invoice.setdefault(p.invoice_id, []).append(repo.payment_view(p))
    return tuple(p for i in invoice_ids for p in by_invoice.get(i, ()))


async def documents_of(uow: UnitOfWork, customer_id: int) -> tuple[int, int]:
    """How many invoices and credit notes the customer has in all, where a page shows the
    newest: "20 of 35" says the list goes on."""
    invoices = select(func.count()).where(Invoice.customer_id == customer_id).scalar_subquery()
    notes = select(func.count()).where(CreditNote.customer_id == customer_id).scalar_subquery()
    row = (await uow.session.execute(select(invoices, notes))).one()
    return int(row[0]), int(row[1])


async def spent_link_token_customer(uow: UnitOfWork, token: str) -> int | None:
    """The customer a token that was already used had been issued for (a retried `/start`)."""
    stmt = select(LinkTokenRow.customer_id).where(
        LinkTokenRow.token_hash == token_hash(token), LinkTokenRow.used_at.is_not(None)
    )
    return await uow.session.scalar(stmt)


async def invoices_a_termination_cancels(
    uow: UnitOfWork, service_id: int
) -> tuple[InvoiceView, ...]:
    """B5: what terminating the service now would cancel (its unpaid non-compound invoices),
    so the customer and the agent see the consequence before anyone asks for it."""
    ids = await repo.cancellable_for_service(uow.session, service_id)
    return tuple([await repo.invoice_view(uow.session, i) for i in ids])
