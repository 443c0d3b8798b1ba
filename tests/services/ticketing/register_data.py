"""A register with one credit note of every origin, written through the public use cases:
self-service, a ticket (issued, then one approved above the threshold), a service's
termination through a ticket, the API; one in another currency a week later."""

from __future__ import annotations

from dataclasses import dataclass

import billing
import ticketing
from billing.commands import (
    CancelInvoice,
    CreateCustomer,
    IssueCreditNote,
    IssueInvoice,
    Remainder,
)
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import (
    SYSTEM,
    claimed,
    line,
    make_admin,
    make_agent,
    make_customer,
    make_invoice,
    make_service,
    open_about,
    paid_invoice_ticket,
)
from ticketing.commands import ApproveResolution, ResolveRefund, ResolveServiceCancellation
from ticketing.models import TicketKind


@dataclass(frozen=True)
class Register:
    agent: Actor
    admin: Actor
    self_service: int
    ticket_issued: int
    ticket_approved: int
    termination: int
    api: int
    usd: int
    refund_ticket: int
    approved_ticket: int
    termination_ticket: int


async def _self_service(tx: Transactor) -> int:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(1000))
    actor = Actor.customer(customer.id)
    done = await tx.run(billing.cancel_invoice, CancelInvoice(invoice.id, "not needed", actor))
    return done.credit_note.id


async def _refund(tx: Transactor, agent: Actor, unit: int) -> tuple[int, int]:
    invoice, ticket = await paid_invoice_ticket(tx, line(unit))
    await claimed(tx, agent, ticket)
    done = await tx.run(
        ticketing.resolve_refund, ResolveRefund(ticket.id, Remainder.REFUND, agent)
    )
    assert done.credit_note is not None
    return done.credit_note.id, ticket.id


async def _termination(tx: Transactor, agent: Actor) -> tuple[int, int]:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, "VPS")
    invoice = await make_invoice(tx, customer, line(3000, service=vps))
    ticket = await open_about(tx, invoice, TicketKind.SERVICE_CANCELLATION, service_ids=(vps.id,))
    await claimed(tx, agent, ticket)
    done = await tx.run(
        ticketing.resolve_service_cancellation, ResolveServiceCancellation(ticket.id, agent)
    )
    return done.terminations[0].cancellations[0].credit_note.id, ticket.id


async def _api(tx: Transactor, currency: str = "EUR", name: str = "=HYPERLINK(1)") -> int:
    customer = await tx.run(
        billing.create_customer,
        CreateCustomer(external_id=f"API-{currency}", name=name, actor=SYSTEM),
    )
    invoice = await tx.run(
        billing.issue_invoice, IssueInvoice(customer.id, currency, (line(2000),), SYSTEM)
    )
    cmd = IssueCreditNote(invoice.id, "-goodwill", Actor.api("erp"), amount_minor=500)
    return (await tx.run(billing.issue_credit_note, cmd)).id


async def build_register(tx: Transactor, clock: FrozenClock) -> Register:
    """Monday 2026-01-05 (week 2): all but the USD note, which comes a week later."""
    agent, admin = await make_agent(tx), await make_admin(tx)
    self_service = await _self_service(tx)
    issued, refund_ticket = await _refund(tx, agent, 1000)
    pending, approved_ticket = await _refund(tx, agent, 50_000)
    await tx.run(ticketing.approve_resolution, ApproveResolution(approved_ticket, admin))
    termination, termination_ticket = await _termination(tx, agent)
    api = await _api(tx)
    clock.advance(days=7)
    usd = await _api(tx, "USD", "Plain Name")
    return Register(
        agent,
        admin,
        self_service,
        issued,
        pending,
        termination,
        api,
        usd,
        refund_ticket,
        approved_ticket,
        termination_ticket,
    )
