"""Loading billing rows and turning them into read models; no commits, no business decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing import errors
from billing.models import (
    AccountCredit,
    CreditNote,
    CreditNoteLine,
    CreditNoteStatus,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LinkTokenRow,
    Payment,
    Service,
    ServiceStatus,
)
from billing.rows import credit_note_refs as credit_note_refs
from billing.rows import credit_note_view as credit_note_view
from billing.rows import customer_view as customer_view
from billing.rows import get_credit_note as get_credit_note
from billing.rows import get_invoice as get_invoice
from billing.rows import get_lines as get_lines
from billing.rows import invoice_refs as invoice_refs
from billing.rows import invoice_view as invoice_view
from billing.rows import line_view as line_view
from billing.rows import payment_view as payment_view
from billing.rows import service_view as service_view

ACCOUNT_CREDIT = "account_credit"  # the payment method of a payment from account credit


async def get_customer(session: AsyncSession, customer_id: int) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise errors.CustomerNotFound(id=customer_id)
    return customer


async def get_service(session: AsyncSession, service_id: int) -> Service:
    service = await session.get(Service, service_id, populate_existing=True)
    if service is None:
        raise errors.ServiceNotFound(id=service_id)
    return service


async def live_cancellation(session: AsyncSession, invoice_id: int) -> CreditNote | None:
    stmt = select(CreditNote).where(
        CreditNote.invoice_id == invoice_id,
        CreditNote.kind.in_(("cancellation", "split")),
        CreditNote.status == "issued",
    )
    return (await session.scalars(stmt)).first()


async def split_drafts(session: AsyncSession, invoice_id: int) -> list[int]:
    """The drafts a split of `invoice_id` left waiting for an admin's approval (B7, B11)."""
    stmt = (
        select(Invoice.id)
        .where(Invoice.split_from_id == invoice_id, Invoice.status == "draft")
        .order_by(Invoice.id)
    )
    return list((await session.scalars(stmt)).all())


async def services_in_use(session: AsyncSession, service_ids: Sequence[int | None]) -> list[str]:
    ids = [s for s in service_ids if s is not None]
    if not ids:
        return []
    stmt = select(Service.name).where(Service.id.in_(ids), Service.status == "active")
    return list((await session.scalars(stmt)).all())


async def lock_invoice(session: AsyncSession, invoice_id: int) -> Invoice:
    """Take the invoice's row lock (a version bump; portable where FOR UPDATE is not), then read
    it fresh: every money change on one invoice is serialised from here to the commit."""
    stmt = (
        update(Invoice)
        .where(Invoice.id == invoice_id)
        .values(version=Invoice.version + 1)
        .returning(Invoice)  # the fresh row in the same statement
        .execution_options(populate_existing=True)
    )
    invoice = (await session.scalars(stmt)).one_or_none()
    if invoice is None:
        raise errors.InvoiceNotFound(id=invoice_id)
    return invoice


async def change_invoice(
    session: AsyncSession, invoice_id: int, *guards: ColumnElement[bool], **values: object
) -> bool:
    """One conditional UPDATE of an invoice: True when the guards held and the row changed.

    The session applies the same change to the invoice it has loaded (SQLAlchemy's "evaluate"
    synchronisation), so a caller that wants the values from before (an audit row's `before`, a
    balance to subtract from) reads them first."""
    stmt = update(Invoice).where(Invoice.id == invoice_id, *guards).values(**values)
    result = await session.execute(stmt.returning(Invoice.id))
    return result.scalar_one_or_none() is not None


# --- guarded statements: each changes a row only while the rule it guards still holds -------


async def terminate(session: AsyncSession, service_id: int, now: datetime) -> bool:
    """B5: one termination, however concurrent; False when another got there first."""
    stmt = (
        update(Service)
        .where(Service.id == service_id, Service.status != ServiceStatus.TERMINATED)
        .values(status=ServiceStatus.TERMINATED, terminated_at=now, **NO_SCHEDULE)
    )
    return await _changed(session, stmt.returning(Service.id))


# B5: a terminated service keeps no schedule (CHECK ck_services_scheduled_live)
NO_SCHEDULE: dict[str, None] = {
    "terminates_on": None,
    "termination_reason": None,
    "termination_requested_by": None,
    "termination_scheduled_at": None,
}


async def advance_periods(session: AsyncSession, invoice_id: int, period_end: date) -> None:
    """B5: the live services an issued invoice bills are invoiced up to `period_end` (never
    moved back)."""
    ids = select(InvoiceLine.service_id).where(InvoiceLine.invoice_id == invoice_id)
    await session.execute(
        update(Service)
        .where(
            Service.id.in_(ids),
            Service.status != ServiceStatus.TERMINATED,
            or_(Service.period_end.is_(None), Service.period_end < period_end),
        )
        .values(period_end=period_end)
    )


async def activate_services(session: AsyncSession, invoice_id: int) -> None:
    """A paid invoice puts its pending services into use (the seed's "purchased")."""
    ids = select(InvoiceLine.service_id).where(InvoiceLine.invoice_id == invoice_id)
    await session.execute(
        update(Service)
        .where(Service.id.in_(ids), Service.status == "pending")
        .values(status="active")
    )


async def cancellable_for_service(session: AsyncSession, service_id: int) -> list[int]:
    """B5: the unpaid, unpaid-at-all, non-compound invoices billing the service, but not those
    with a credit note awaiting approval (its ticket decides)."""
    ids = await session.scalars(
        select(Invoice.id)
        .distinct()
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(
            InvoiceLine.service_id == service_id,
            Invoice.status == InvoiceStatus.UNPAID,
            Invoice.paid_minor == 0,
            Invoice.is_compound.is_(False),
            Invoice.credited_minor == Invoice.settled_minor,
        )
        .order_by(Invoice.id)
    )
    return list(ids.all())


async def move_line_credit(session: AsyncSession, line_id: int, net: int, tax: int) -> bool:
    """B9: a line's credited amounts move only within what the line is worth."""
    stmt = (
        update(InvoiceLine)
        .where(
            InvoiceLine.id == line_id,
            InvoiceLine.credited_net_minor + net <= InvoiceLine.net_minor,
            InvoiceLine.credited_tax_minor + tax <= InvoiceLine.tax_minor,
        )
        .values(
            credited_net_minor=InvoiceLine.credited_net_minor + net,
            credited_tax_minor=InvoiceLine.credited_tax_minor + tax,
        )
    )
    return await _changed(session, stmt.returning(InvoiceLine.id))


async def take_refund(session: AsyncSession, payment_id: int, amount: int) -> bool:
    """B9: a refund never exceeds what the payment brought in less what was refunded."""
    stmt = (
        update(Payment)
        .where(Payment.id == payment_id, Payment.refunded_minor + amount <= Payment.amount_minor)
        .values(refunded_minor=Payment.refunded_minor + amount)
    )
    return await _changed(session, stmt.returning(Payment.id))


async def cash_payments(session: AsyncSession, invoice_id: int) -> list[Payment]:
    """The invoice's payments in money (not from account credit), newest first."""
    stmt = (
        select(Payment)
        .where(Payment.invoice_id == invoice_id, Payment.method != ACCOUNT_CREDIT)
        .order_by(Payment.id.desc())
    )
    return list((await session.scalars(stmt)).all())


async def add_account_credit(
    session: AsyncSession, customer_id: int, currency: str, amount: int
) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(AccountCredit).values(
        customer_id=customer_id, currency=currency, balance_minor=amount
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["customer_id", "currency"],
            set_={"balance_minor": AccountCredit.balance_minor + amount},
        )
    )


async def account_credit(session: AsyncSession, customer_id: int, currency: str) -> int:
    balance = await session.scalar(
        select(AccountCredit.balance_minor).where(
            AccountCredit.customer_id == customer_id, AccountCredit.currency == currency
        )
    )
    return balance or 0


async def take_account_credit(
    session: AsyncSession, customer_id: int, currency: str, amount: int
) -> bool:
    """B9: account credit never goes negative, however concurrent the payments from it."""
    stmt = (
        update(AccountCredit)
        .where(
            AccountCredit.customer_id == customer_id,
            AccountCredit.currency == currency,
            AccountCredit.balance_minor >= amount,
        )
        .values(balance_minor=AccountCredit.balance_minor - amount)
    )
    return await _changed(session, stmt.returning(AccountCredit.balance_minor))


async def change_credit_note(
    session: AsyncSession, note_id: int, from_status: CreditNoteStatus, **values: object
) -> bool:
    """Move a credit note on from `from_status`; False when a concurrent call moved it first."""
    stmt = (
        update(CreditNote)
        .where(CreditNote.id == note_id, CreditNote.status == from_status)
        .values(**values)
    )
    return await _changed(session, stmt.returning(CreditNote.id))


async def redeem_link_token(session: AsyncSession, digest: str, now: datetime) -> int | None:
    """A link token is used once, and only before it expires: its customer, or None."""
    stmt = (
        update(LinkTokenRow)
        .where(
            LinkTokenRow.token_hash == digest,
            LinkTokenRow.used_at.is_(None),
            LinkTokenRow.expires_at > now,
        )
        .values(used_at=now)
        .returning(LinkTokenRow.customer_id)
    )
    customer_id: int | None = (await session.execute(stmt)).scalar_one_or_none()
    return customer_id


async def customer_id_of(session: AsyncSession, external_id: str) -> int | None:
    found: int | None = await session.scalar(
        select(Customer.id).where(Customer.external_id == external_id)
    )
    return found


async def billable_services(
    session: AsyncSession, service_ids: set[int], customer_id: int
) -> set[int]:
    """Of `service_ids`, those of the customer that are not terminated."""
    rows = await session.execute(
        select(Service.id).where(
            Service.id.in_(service_ids),
            Service.customer_id == customer_id,
            Service.status != ServiceStatus.TERMINATED,
        )
    )
    return set(rows.scalars().all())


async def delete_lines(session: AsyncSession, invoice_id: int) -> None:
    await session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id))


async def credit_note_parts(session: AsyncSession, note_id: int) -> list[CreditNoteLine]:
    stmt = select(CreditNoteLine).where(CreditNoteLine.credit_note_id == note_id)
    return list((await session.scalars(stmt)).all())


async def _changed(session: AsyncSession, stmt: Any) -> bool:
    return (await session.execute(stmt)).scalar_one_or_none() is not None
