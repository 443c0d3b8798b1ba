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

from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.orm import aliased

from billing.models import Customer, Invoice
from billing.read_models import document_number
from support_desk.core.actors import Actor
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


def queue_statement(actor: Actor, f: QueueFilter, now: datetime) -> AnySelect:
    """The page's one SELECT: tickets with their customer, invoice number and holder's name."""
    holder = aliased(User)
    stmt: AnySelect = (
        select(Ticket, Customer, Invoice.series, Invoice.number, holder.name)
        .join(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(Invoice, Invoice.id == Ticket.invoice_id)
        .outerjoin(holder, holder.id == Ticket.assignee_id)
        .where(Ticket.status.in_(_statuses(f.status)))
    )
    if f.kind in {k.value for k in TicketKind}:
        stmt = stmt.where(Ticket.kind == f.kind)
    if f.view == "mine":
        stmt = stmt.where(Ticket.assignee_id == int(actor.id))
    elif f.view == "unassigned":
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    elif f.view == "overdue":
        stmt = stmt.where(and_(Ticket.due_at < now, Ticket.paused_at.is_(None)))
    stmt = _search(stmt, f.search)
    if f.after is not None:
        key = tuple_(Ticket.priority, Ticket.due_at, Ticket.id)
        stmt = stmt.where(key > tuple_(f.after.priority, f.after.due_at, f.after.id))
    size = max(1, min(f.limit, 200))
    return stmt.order_by(Ticket.priority, Ticket.due_at, Ticket.id).limit(size + 1)


def _row(found: Any, now: datetime) -> QueueRow:
    t, c, series, number, holder = found
    number = document_number(series, number)
    paused = t.paused_at is not None
    return QueueRow(
        t.id, t.kind, t.status, t.priority, c.id, c.name, c.external_id, t.invoice_id, number,
        t.currency, t.amount_minor, t.created_at, t.due_at, t.first_response_due_at,
        t.first_responded_at, paused,
        rules.is_overdue(TicketStatus(t.status), t.due_at, paused, now),
        t.awaiting_approval, t.assignee_id, holder,
    )  # fmt: skip


async def console_queue(uow: UnitOfWork, actor: Actor, f: QueueFilter) -> ConsoleQueue:
    """T2: one page of the queue as the console shows it. Refusals: StaffOnly."""
    rules.ensure_staff(actor)
    found = (await uow.session.execute(queue_statement(actor, f, uow.now))).all()
    size = max(1, min(f.limit, 200))
    rows = tuple(_row(r, uow.now) for r in found[:size])
    last = rows[-1] if len(found) > size else None
    cursor = None if last is None else QueueCursor(last.priority, last.due_at, last.id)
    newest = await uow.session.scalar(select(func.max(Ticket.id))) or 0
    return ConsoleQueue(rows, cursor, newest, await newest_message_id(uow))


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
