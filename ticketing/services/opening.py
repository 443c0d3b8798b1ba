"""Opening tickets and the customer's side of the thread (T1, T2, T4, T6, T7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from billing import queries as billing_queries
from billing.errors import ServiceAlreadyTerminated
from billing.models import ServiceStatus
from billing.read_models import InvoiceView, ServiceView
from support_desk.core.actors import ActorKind
from support_desk.core.idempotency import idempotent
from support_desk.core.messages import CustomerMessage
from support_desk.core.tx import UnitOfWork
from ticketing import repo, rules
from ticketing.commands import AddCustomerMessage, OpenTicket
from ticketing.errors import InvalidTicketRequest, NotYourTicket
from ticketing.models import MessageKind, Priority, Ticket, TicketKind, TicketStatus
from ticketing.read_models import TicketView
from ticketing.services._common import add_message, finish, load, move, snapshot, view_of

LIVE_INDEX = "uq_tickets_live_kind_invoice"


@dataclass(frozen=True, kw_only=True)
class TicketOpened(CustomerMessage, kind="ticket_opened"):
    """T1: the customer's request is a ticket now, and an agent will answer in the chat."""

    ticket_id: int
    ticket_kind: str


@idempotent
async def open_ticket(uow: UnitOfWork, cmd: OpenTicket) -> TicketView:
    """T1: open a ticket with everything an agent needs, or join the live ticket of the same
    kind about the same invoice. Two simultaneous first requests race on a partial unique
    index; the loser joins the winner's ticket. Refusals: NotYourTicket, NotYourInvoice,
    InvalidTicketRequest, EmptyMessage."""
    rules.ensure_may_see(cmd.customer_id, cmd.actor)
    reason = rules.ensure_text(cmd.reason)
    invoice = await invoice_of(uow, cmd)
    stake = await stake_of(uow, cmd, invoice)
    view = await _join(uow, cmd, reason, stake)
    if view is None:
        view = await _insert_or_join(uow, cmd, reason, stake)
    return view


async def invoice_of(uow: UnitOfWork, cmd: OpenTicket) -> InvoiceView | None:
    if cmd.invoice_id is None:
        if cmd.kind not in (TicketKind.QUESTION, TicketKind.SERVICE_CANCELLATION):
            raise InvalidTicketRequest(problem="this kind of ticket is about an invoice")
        return None
    invoice = await billing_queries.customer_invoice(uow, cmd.invoice_id, cmd.customer_id)
    unknown = set(cmd.line_ids) - {line.id for line in invoice.lines}
    if unknown:
        raise InvalidTicketRequest(problem=f"lines {sorted(unknown)} are not on the invoice")
    return invoice


@dataclass(frozen=True, slots=True)
class Stake:
    """T1: what the request is worth and what the customer chose, as the new ticket keeps it."""

    currency: str | None
    amount_minor: int | None
    details: dict[str, Any]


async def stake_of(uow: UnitOfWork, cmd: OpenTicket, invoice: InvoiceView | None) -> Stake:
    """T1: the amount at stake; for a service cancellation (B5), what its termination cancels,
    named in the details so the agent sees it (a terminated service is refused here)."""
    services = await check_services(uow, cmd)
    details = dict(cmd.details)
    if cmd.kind is not TicketKind.SERVICE_CANCELLATION:
        if invoice is None:
            return Stake(None, None, details)
        amount = rules.amount_at_stake(cmd.kind, invoice, cmd.line_ids)
        return Stake(invoice.currency, amount, details)
    cancels: list[InvoiceView] = []
    for service in services:
        cancels += await billing_queries.invoices_a_termination_cancels(uow, service.id)
    currency = invoice.currency if invoice else cancels[0].currency if cancels else None
    amount = sum(i.balance_minor for i in cancels if i.currency == currency)
    details["cancels_invoice_ids"] = sorted({i.id for i in cancels})
    return Stake(currency, amount if currency else None, details)


async def check_services(uow: UnitOfWork, cmd: OpenTicket) -> list[ServiceView]:
    if cmd.kind is TicketKind.SERVICE_CANCELLATION and not cmd.service_ids:
        raise InvalidTicketRequest(problem="name the services to cancel")
    if not cmd.service_ids:
        return []
    own = {s.id: s for s in await billing_queries.services_of(uow, cmd.customer_id)}
    if set(cmd.service_ids) - set(own):
        raise InvalidTicketRequest(problem="a service is not the customer's")
    named = [own[i] for i in sorted(set(cmd.service_ids))]
    if cmd.kind is TicketKind.SERVICE_CANCELLATION and any(
        s.status == ServiceStatus.TERMINATED for s in named
    ):
        raise ServiceAlreadyTerminated()
    return named


async def _live_match(uow: UnitOfWork, cmd: OpenTicket) -> Ticket | None:
    """T1: the live ticket this request joins: of its kind about its invoice, or, for a
    service cancellation, the customer's live one about any of the same services."""
    if cmd.kind is TicketKind.SERVICE_CANCELLATION:
        found = await repo.live_ticket_for_services(
            uow.session, cmd.customer_id, cmd.kind, cmd.service_ids
        )
        if found is not None:
            return found
    if cmd.invoice_id is None:
        return None
    return await repo.live_ticket_for(uow.session, cmd.kind, cmd.invoice_id)


async def _join(uow: UnitOfWork, cmd: OpenTicket, reason: str, stake: Stake) -> TicketView | None:
    """T1: a second request adds its reason, lines, services and choices to the live ticket."""
    t = await _live_match(uow, cmd)
    if t is None:
        return None
    before = snapshot(t)
    t.line_ids = rules.merged_ids(t.line_ids, cmd.line_ids)
    t.service_ids = rules.merged_ids(t.service_ids, cmd.service_ids)
    t.details = rules.merged_details(t.details, stake.details)
    add_message(uow, t, MessageKind.CUSTOMER, cmd.actor, reason)
    await finish(uow, cmd.actor, t, "ticket.joined", before)
    return await view_of(uow, t, internal=cmd.actor.is_staff, joined=True)


async def _insert_or_join(
    uow: UnitOfWork, cmd: OpenTicket, reason: str, stake: Stake
) -> TicketView:
    try:
        async with uow.session.begin_nested():
            t = _new_ticket(uow, cmd, reason, stake)
            uow.session.add(t)
            await uow.session.flush()
    except IntegrityError as exc:
        if LIVE_INDEX not in str(exc) and "tickets.kind, tickets.invoice_id" not in str(exc):
            raise
        joined = await _join(uow, cmd, reason, stake)  # the race's loser joins the winner (T1)
        if joined is None:
            raise
        return joined
    add_message(uow, t, MessageKind.CUSTOMER, cmd.actor, reason)
    uow.audit(cmd.actor, "ticket.opened", subject=("ticket", t.id), after=snapshot(t))
    uow.notify(t.customer_id, TicketOpened(ticket_id=t.id, ticket_kind=t.kind))
    return await view_of(uow, t, internal=cmd.actor.is_staff)


def _new_ticket(uow: UnitOfWork, cmd: OpenTicket, reason: str, stake: Stake) -> Ticket:
    """T1, T2: the ticket as the agent will find it, with its SLA deadlines."""
    deadlines = rules.initial_deadlines(cmd.kind, uow.now, uow.settings.ticketing)
    priority = cmd.priority if cmd.priority is not None and cmd.actor.is_staff else None
    return Ticket(
        kind=cmd.kind,
        status=TicketStatus.OPEN,
        priority=int(priority if priority is not None else Priority.NORMAL),
        customer_id=cmd.customer_id,
        invoice_id=cmd.invoice_id,
        line_ids=sorted(set(cmd.line_ids)),
        service_ids=sorted(set(cmd.service_ids)),
        reason=reason,
        details=stake.details or None,
        currency=stake.currency,
        amount_minor=stake.amount_minor,
        created_at=uow.now,
        updated_at=uow.now,
        first_response_due_at=deadlines.first_response_due_at,
        resolution_due_at=deadlines.resolution_due_at,
        due_at=deadlines.first_response_due_at,
        awaiting_approval=False,
    )


@idempotent
async def add_customer_message(uow: UnitOfWork, cmd: AddCustomerMessage) -> TicketView:
    """T4: a customer's message joins the thread; a ticket waiting on the customer goes back to
    its agent and its SLA clock runs again (T2, T7). Refusals: NotYourTicket, TicketClosed."""
    t = await load(uow, cmd.ticket_id)
    if cmd.actor.kind not in (ActorKind.CUSTOMER, ActorKind.SYSTEM):
        raise NotYourTicket()
    rules.ensure_may_see(t.customer_id, cmd.actor)
    rules.ensure_live(TicketStatus(t.status))
    before = snapshot(t)
    add_message(uow, t, MessageKind.CUSTOMER, cmd.actor, rules.ensure_text(cmd.text))
    if t.status == TicketStatus.WAITING_ON_CUSTOMER:
        move(uow, t, TicketStatus.IN_PROGRESS)
    await finish(uow, cmd.actor, t, "ticket.customer_message", before)
    return await view_of(uow, t, internal=False)
