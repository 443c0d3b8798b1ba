"""The read side of ticketing: the agents' queue (T2), tickets as each role may see them, and
tickets as shared with integrations (the REST API). Run with `tx.read(...)`."""

from __future__ import annotations

from sqlalchemy import Select, select, tuple_

from billing.read_models import Page
from support_desk.core.actors import Actor
from support_desk.core.tx import UnitOfWork
from ticketing import repo, rules
from ticketing.models import CLOSED_STATUSES, Ticket, TicketKind, TicketStatus
from ticketing.read_models import QueueCursor, QueueItem, QueuePage, TicketView

MAX_PAGE = 200


def queue_statement(
    status: TicketStatus,
    after: QueueCursor | None,
    limit: int,
    *,
    assignee_id: int | None = None,
) -> Select[Ticket]:
    """T2: one status in queue order (priority, due time, id), served by ix_tickets_queue."""
    stmt = select(Ticket).where(Ticket.status == status)
    if assignee_id is not None:
        stmt = stmt.where(Ticket.assignee_id == assignee_id)
    if after is not None:
        stmt = stmt.where(
            tuple_(Ticket.priority, Ticket.due_at, Ticket.id)
            > tuple_(after.priority, after.due_at, after.id)
        )
    order = (Ticket.priority, Ticket.due_at, Ticket.id)
    return stmt.order_by(*order).limit(max(1, min(limit, MAX_PAGE)))


async def queue_page(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: TicketStatus = TicketStatus.OPEN,
    after: QueueCursor | None = None,
    limit: int = 50,
    assignee_id: int | None = None,
) -> QueuePage:
    """T2: a keyset page of the queue, overdue tickets flagged. Refusals: StaffOnly."""
    rules.ensure_staff(actor)
    rows = (
        (await uow.session.execute(queue_statement(status, after, limit, assignee_id=assignee_id)))
        .scalars()
        .all()
    )
    items = tuple(QueueItem.of(t, uow.now) for t in rows)
    full = len(items) == max(1, min(limit, MAX_PAGE))
    last = items[-1] if full else None
    cursor = None if last is None else QueueCursor(last.priority, last.due_at, last.id)
    return QueuePage(items, cursor)


async def ticket_view(uow: UnitOfWork, ticket_id: int, actor: Actor) -> TicketView:
    """T4 and roles: staff see the whole thread; a customer sees only their own ticket and
    never its internal notes. Refusals: TicketNotFound, NotYourTicket."""
    t = await repo.ticket(uow.session, ticket_id)
    rules.ensure_may_see(t.customer_id, actor)
    messages = await repo.thread(uow.session, t.id)
    return TicketView.of(t, messages, uow.now, internal=actor.is_staff)


async def tickets_of_customer(
    uow: UnitOfWork,
    customer_id: int,
    actor: Actor,
    *,
    after: int | None = None,
    limit: int = 50,
    invoice_id: int | None = None,
) -> Page[TicketView]:
    """A customer's tickets, newest first (without threads), or only those about one invoice.
    Refusals: NotYourTicket."""
    rules.ensure_may_see(customer_id, actor)
    stmt = select(Ticket).where(Ticket.customer_id == customer_id)
    if invoice_id is not None:
        stmt = stmt.where(Ticket.invoice_id == invoice_id)
    if after is not None:
        stmt = stmt.where(Ticket.id < after)
    size = max(1, min(limit, MAX_PAGE))
    rows = (await uow.session.execute(stmt.order_by(Ticket.id.desc()).limit(size))).scalars()
    items = tuple(TicketView.of(t, (), uow.now, internal=actor.is_staff) for t in rows)
    return Page(items, items[-1].id if len(items) == size else None)


async def live_tickets_of_customer(
    uow: UnitOfWork, customer_id: int, actor: Actor, *, limit: int = 50
) -> tuple[TicketView, ...]:
    """T4: the customer's tickets that still take their messages, newest first (without
    threads), so the bot asks the domain what "live" means. Refusals: NotYourTicket."""
    rules.ensure_may_see(customer_id, actor)
    stmt = select(Ticket).where(
        Ticket.customer_id == customer_id, Ticket.status.not_in(CLOSED_STATUSES)
    )
    size = max(1, min(limit, MAX_PAGE))
    rows = (await uow.session.scalars(stmt.order_by(Ticket.id.desc()).limit(size))).all()
    return tuple(TicketView.of(t, (), uow.now, internal=actor.is_staff) for t in rows)


async def tickets_page(
    uow: UnitOfWork,
    *,
    status: TicketStatus | None = None,
    kind: TicketKind | None = None,
    customer_id: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> Page[TicketView]:
    """Every customer's tickets for an integration, newest first, keyset-paged on the id and
    without threads. The primary key serves the order, ix_tickets_customer a customer's."""
    size = max(1, min(limit, MAX_PAGE))
    stmt = select(Ticket)
    if status is not None:
        stmt = stmt.where(Ticket.status == status)
    if kind is not None:
        stmt = stmt.where(Ticket.kind == kind)
    if customer_id is not None:
        stmt = stmt.where(Ticket.customer_id == customer_id)
    if after is not None:
        stmt = stmt.where(Ticket.id < after)
    rows = (await uow.session.scalars(stmt.order_by(Ticket.id.desc()).limit(size + 1))).all()
    items = tuple(TicketView.of(t, (), uow.now, internal=False) for t in rows[:size])
    return Page(items, items[-1].id if len(rows) > size else None)


async def external_ticket_view(uow: UnitOfWork, ticket_id: int) -> TicketView:
    """A ticket and its thread as shared outside the staff (T4): customer messages and agent
    replies, never internal notes nor the approval note. Refusals: TicketNotFound."""
    t = await repo.ticket(uow.session, ticket_id)
    return TicketView.of(t, await repo.thread(uow.session, t.id), uow.now, internal=False)
