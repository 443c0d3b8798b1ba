"""Ticket rows in and out of the session. Never commits.

Locking: on PostgreSQL a ticket about to change is read FOR UPDATE and the next open ticket FOR
UPDATE SKIP LOCKED; on SQLite FOR UPDATE compiles to nothing and BEGIN IMMEDIATE already holds
the write lock. Claims are conditional UPDATEs either way (T3), and every ORM UPDATE of a ticket
carries `WHERE version = :v` (D5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from support_desk.core.errors import DomainError
from ticketing.errors import TicketChangedMeanwhile, TicketNotFound, UserNotFound
from ticketing.models import CLOSED_STATUSES, Ticket, TicketMessage, TicketStatus, User


def _is_pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def ticket(session: AsyncSession, ticket_id: int, *, lock: bool = False) -> Ticket:
    """The ticket, fresh from the database (locked on PostgreSQL when `lock`)."""
    stmt = select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
    if lock:
        stmt = stmt.with_for_update()
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise TicketNotFound(ticket_id=ticket_id)
    return found


def _live(session: AsyncSession, *conditions: ColumnElement[bool]) -> Select[Ticket]:
    """The not yet closed tickets matching `conditions`, fresh from the database and locked on
    PostgreSQL: the caller joins one of them or opens a ticket beside them (T1)."""
    stmt = (
        select(Ticket)
        .where(*conditions, Ticket.status.not_in(CLOSED_STATUSES))
        .execution_options(populate_existing=True)
    )
    return stmt.with_for_update() if _is_pg(session) else stmt


async def live_ticket_for(session: AsyncSession, kind: str, invoice_id: int) -> Ticket | None:
    """T1: the not yet closed ticket of this kind about this invoice, if any."""
    stmt = _live(session, Ticket.kind == kind, Ticket.invoice_id == invoice_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def live_ticket_for_services(
    session: AsyncSession, customer_id: int, kind: str, service_ids: Iterable[int]
) -> Ticket | None:
    """T1, B5: the customer's live ticket of this kind naming any of these services."""
    wanted = set(service_ids)
    stmt = _live(session, Ticket.customer_id == customer_id, Ticket.kind == kind)
    rows = (await session.execute(stmt.order_by(Ticket.id))).scalars()
    return next((t for t in rows if wanted & set(t.service_ids)), None)


async def thread(session: AsyncSession, ticket_id: int) -> Sequence[TicketMessage]:
    stmt = select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
    return (await session.execute(stmt.order_by(TicketMessage.id))).scalars().all()


async def next_open(session: AsyncSession) -> tuple[int, int] | None:
    """T2, T3: (id, version) of the first open ticket in queue order that nobody is claiming.

    PostgreSQL skips rows other claimers hold (SKIP LOCKED), so ten agents take ten tickets.
    """
    stmt = (
        select(Ticket.id, Ticket.version)
        .where(Ticket.status == TicketStatus.OPEN)
        .order_by(Ticket.priority, Ticket.due_at, Ticket.id)
        .limit(1)
    )
    if _is_pg(session):
        stmt = stmt.with_for_update(skip_locked=True)
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (row[0], row[1])


async def take(
    session: AsyncSession, ticket_id: int, version: int, user_id: int, now: datetime
) -> bool:
    """T3: the claim itself, one conditional UPDATE: it changes the row only if the ticket is
    still open at the version the claimer saw, so at most one claimer ever wins."""
    stmt = (
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            Ticket.version == version,
            Ticket.status == TicketStatus.OPEN,
            Ticket.assignee_id.is_(None),
        )
        .values(
            status=TicketStatus.IN_PROGRESS,
            assignee_id=user_id,
            claimed_at=now,
            updated_at=now,
            version=version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def user(session: AsyncSession, user_id: int) -> User:
    found = await session.get(User, user_id, populate_existing=True)
    if found is None:
        raise UserNotFound(user_id=user_id)
    return found


async def flush(session: AsyncSession, ticket_id: int) -> None:
    """Write pending changes now, so a lost optimistic race surfaces as a typed refusal (D5)."""
    try:
        await session.flush()
    except StaleDataError as exc:
        raise TicketChangedMeanwhile(ticket_id=ticket_id) from exc


async def save_unique(session: AsyncSession, row: object, taken: DomainError) -> None:
    """Write `row` (new or changed) in a savepoint: when it breaks a unique key, the refusal is
    `taken` and the transaction goes on as if the row had not been written."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        raise taken from exc
