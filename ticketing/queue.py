"""The console's queue (T2): live tickets in queue order with what an agent needs to pick one
(customer, invoice number, amount at stake, age, due time, holder), filtered and searched,
keyset-paged on the queue order (priority, due time, id) so deep pages cost what the first does.

Run with `tx.read(ticketing.queue.console_queue, actor, QueueFilter(...))`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Select, and_, func, or_, select, tuple_, union_all
from sqlalchemy.orm import aliased

from billing.models import Customer, Invoice
from billing.read_models import document_number
from support_desk.core.actors import Actor
from support_desk.core.paging import one_page
from support_desk.core.tx import UnitOfWork
from ticketing import rules
from ticketing.models import MessageKind, Ticket, TicketKind, TicketMessage, TicketStatus, User
from ticketing.read_models import QueueCursor

AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"
PAGE = 50
_DOCUMENT = re.compile(r"^([A-Z]{1,16})-?0*(\d{1,12})$")
LIVE = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_ON_CUSTOMER)
VIEWS = ("all", "mine", "unassigned", "overdue")


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the agent asked for; every field is optional, and unknown values are ignored."""

    view: str = "all"
    kind: str = ""
    status: str = ""
    search: str = ""
    after: QueueCursor | None = None
    limit: int = PAGE


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: int
    kind: str
    status: str
    priority: int
    customer_id: int
    customer_name: str
    customer_external_id: str
    invoice_id: int | None
    invoice_number: str | None
    currency: str | None
    amount_minor: int | None
    created_at: datetime
    due_at: datetime
    first_response_due_at: datetime
    first_responded_at: datetime | None
    paused: bool
    overdue: bool
    awaiting_approval: bool
    assignee_id: int | None
    assignee_name: str | None


@dataclass(frozen=True, slots=True)
class ConsoleQueue:
    rows: tuple[QueueRow, ...]
    next_after: QueueCursor | None
    newest_id: int  # the highest ticket id at reading time: the live stream starts after it
    newest_message_id: int


def _statuses(status: str) -> tuple[str, ...]:
    if status in {s.value for s in TicketStatus}:
        return (status,)
    return tuple(s.value for s in LIVE)


def _search(stmt: AnySelect, text: str) -> AnySelect:
    """By ticket number (`123` or `#123`), customer external id or name, invoice number."""
    text = text.strip()[:100]
    if not text:
        return stmt
    wanted = [
        Customer.external_id == text,
        func.lower(Customer.name).contains(text.lower(), autoescape=True),
    ]
    if (doc := _DOCUMENT.match(text.upper())) is not None:  # INV-000042, inv-42
        wanted.append(and_(Invoice.series == doc[1], Invoice.number == int(doc[2])))
    digits = text.removeprefix("#")
    if digits.isdigit() and len(digits) < 10:
        wanted.append(Ticket.id == int(digits))
    return stmt.where(or_(*wanted))


def _part(actor: Actor, f: QueueFilter, now: datetime, status: str, size: int) -> AnySelect:
    """One status's first rows in queue order, read straight off ix_tickets_queue (status,
    priority, due_at, id): no sort over the whole live queue, however long it grows."""
    stmt: AnySelect = select(Ticket.id, Ticket.priority, Ticket.due_at).where(
        Ticket.status == status
    )
    if f.search.strip():
        stmt = stmt.join(Customer, Customer.id == Ticket.customer_id)
        stmt = _search(stmt.outerjoin(Invoice, Invoice.id == Ticket.invoice_id), f.search)
    if f.kind in {k.value for k in TicketKind}:
        stmt = stmt.where(Ticket.kind == f.kind)
    if f.view == "mine":
        stmt = stmt.where(Ticket.assignee_id == int(actor.id))
    elif f.view == "unassigned":
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    elif f.view == "overdue":
        stmt = stmt.where(and_(Ticket.due_at < now, Ticket.paused_at.is_(None)))
    if f.after is not None:
        key = tuple_(Ticket.priority, Ticket.due_at, Ticket.id)
        stmt = stmt.where(key > tuple_(f.after.priority, f.after.due_at, f.after.id))
    return stmt.order_by(Ticket.priority, Ticket.due_at, Ticket.id).limit(size)


def queue_statement(actor: Actor, f: QueueFilter, now: datetime) -> AnySelect:
    """The page's one SELECT: each status's first rows (an index walk each), merged in queue
    order, with their customer, invoice number and holder's name."""
    size = max(1, min(f.limit, 200)) + 1
    parts = [_part(actor, f, now, s, size).subquery() for s in _statuses(f.status)]
    merged = union_all(*[select(p.c.id, p.c.priority, p.c.due_at) for p in parts]).subquery()
    holder = aliased(User)
    return (
        select(*_COLUMNS, Invoice.series, Invoice.number, holder.name.label("holder"))
        .join(merged, merged.c.id == Ticket.id)
        .join(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(Invoice, Invoice.id == Ticket.invoice_id)
        .outerjoin(holder, holder.id == Ticket.assignee_id)
        .order_by(merged.c.priority, merged.c.due_at, merged.c.id)
        .limit(size)
    )


# Columns, not ORM entities: building 100 tracked objects per page cost more than the query.
_COLUMNS = (
    Ticket.id, Ticket.kind, Ticket.status, Ticket.priority, Ticket.customer_id,
    Customer.name.label("customer_name"), Customer.external_id, Ticket.invoice_id,
    Ticket.currency, Ticket.amount_minor, Ticket.created_at, Ticket.due_at,
    Ticket.first_response_due_at, Ticket.first_responded_at, Ticket.paused_at,
    Ticket.awaiting_approval, Ticket.assignee_id,
)  # fmt: skip


def _row(r: Any, now: datetime) -> QueueRow:
    paused = r.paused_at is not None
    return QueueRow(
        r.id, r.kind, r.status, r.priority, r.customer_id, r.customer_name, r.external_id,
        r.invoice_id, document_number(r.series, r.number), r.currency, r.amount_minor,
        r.created_at, r.due_at, r.first_response_due_at, r.first_responded_at, paused,
        rules.is_overdue(TicketStatus(r.status), r.due_at, paused, now),
        r.awaiting_approval, r.assignee_id, r.holder,
    )  # fmt: skip


async def console_queue(uow: UnitOfWork, actor: Actor, f: QueueFilter) -> ConsoleQueue:
    """T2: one page of the queue as the console shows it. Refusals: StaffOnly."""
    rules.ensure_staff(actor)
    found = (await uow.session.execute(queue_statement(actor, f, uow.now))).all()
    rows, last = one_page([_row(r, uow.now) for r in found], max(1, min(f.limit, 200)))
    cursor = None if last is None else QueueCursor(last.priority, last.due_at, last.id)
    newest = await uow.session.scalar(select(func.max(Ticket.id))) or 0
    return ConsoleQueue(tuple(rows), cursor, newest, await newest_message_id(uow))


@dataclass(frozen=True, slots=True)
class QueueChanges:
    """What arrived after the given ticket and message ids: new tickets, and the tickets that
    got a new customer message (for the console's live stream)."""

    newest_ticket_id: int
    newest_message_id: int
    new_tickets: tuple[int, ...]
    messaged_tickets: tuple[int, ...]


async def newest_message_id(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(select(func.max(TicketMessage.id))) or 0)


async def queue_position(uow: UnitOfWork, actor: Actor) -> tuple[int, int]:
    """The newest ticket and customer message now: where a live stream without a position
    starts. Refusals: StaffOnly."""
    rules.ensure_staff(actor)
    ticket = await uow.session.scalar(select(func.max(Ticket.id)))
    message = await uow.session.scalar(
        select(func.max(TicketMessage.id)).where(TicketMessage.kind == MessageKind.CUSTOMER)
    )
    return ticket or 0, message or 0


async def queue_changes(
    uow: UnitOfWork, actor: Actor, after_ticket: int, after_message: int
) -> QueueChanges:
    """Served by the primary keys alone, so polling it is cheap. Refusals: StaffOnly."""
    rules.ensure_staff(actor)
    tickets = await uow.session.scalars(
        select(Ticket.id).where(Ticket.id > after_ticket).order_by(Ticket.id).limit(100)
    )
    new = tuple(tickets.all())
    messages = await uow.session.execute(
        select(TicketMessage.id, TicketMessage.ticket_id)
        .where(TicketMessage.id > after_message, TicketMessage.kind == MessageKind.CUSTOMER)
        .order_by(TicketMessage.id)
        .limit(100)
    )
    rows = messages.all()
    newest_message = max([after_message, *(r.id for r in rows)])
    return QueueChanges(
        max([after_ticket, *new]), newest_message, new, tuple(sorted({r.ticket_id for r in rows}))
    )
