"""Ticketing test data, written through the public billing and ticketing services, so a test
cannot start from a state the product could not reach."""

from __future__ import annotations

import itertools
from functools import cache

from argon2 import PasswordHasher
from sqlalchemy import select

import billing
import ticketing
from billing.commands import CreateCustomer, CreateService, IssueInvoice, NewLine, RecordPayment
from billing.models import ServiceStatus
from billing.read_models import CustomerView, InvoiceView, ServiceView
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.outbox import OutboxRow
from support_desk.core.tx import Transactor, UnitOfWork
from ticketing.commands import ClaimTicket, CreateUser, OpenTicket
from ticketing.models import Role, TicketKind
from ticketing.read_models import TicketView

SYSTEM = Actor.system("tests")
PASSWORD = "correct horse battery staple"
_ids = itertools.count(1)

# cheap argon2id parameters: the tests check behaviour, not the hash's cost
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@cache
def password_hash() -> str:
    return FAST_HASHER.hash(PASSWORD)


async def make_customer(tx: Transactor) -> CustomerView:
    n = next(_ids)
    cmd = CreateCustomer(external_id=f"TC{n}", name=f"Customer {n}", actor=SYSTEM)
    return await tx.run(billing.create_customer, cmd)


async def make_service(tx: Transactor, customer: CustomerView, name: str = "VPS") -> ServiceView:
    cmd = CreateService(customer.id, name, SYSTEM, status=ServiceStatus.ACTIVE)
    return await tx.run(billing.create_service, cmd)


def line(unit: int, *, service: ServiceView | None = None, name: str = "Item") -> NewLine:
    return NewLine(name, 1, unit, tax_rate_bp=2000, service_id=service.id if service else None)


async def make_invoice(tx: Transactor, customer: CustomerView, *lines: NewLine) -> InvoiceView:
    cmd = IssueInvoice(customer.id, "EUR", lines or (line(1000),), SYSTEM)
    return await tx.run(billing.issue_invoice, cmd)


async def pay(tx: Transactor, invoice: InvoiceView, amount: int | None = None) -> InvoiceView:
    cmd = RecordPayment(invoice.id, amount or invoice.total_minor, SYSTEM)
    return (await tx.run(billing.record_payment, cmd)).invoice


async def make_user(tx: Transactor, role: Role = Role.AGENT) -> Actor:
    n = next(_ids)
    cmd = CreateUser(f"user{n}", f"User {n}", password_hash(), role, SYSTEM)
    user = await tx.run(ticketing.create_user, cmd)
    return ticketing.actor_of(user)


async def make_agent(tx: Transactor) -> Actor:
    return await make_user(tx, Role.AGENT)


async def make_admin(tx: Transactor) -> Actor:
    return await make_user(tx, Role.ADMIN)


async def open_about(
    tx: Transactor,
    invoice: InvoiceView,
    kind: TicketKind = TicketKind.REFUND,
    *,
    reason: str = "Please help",
    line_ids: tuple[int, ...] = (),
    service_ids: tuple[int, ...] = (),
    key: str | None = None,
) -> TicketView:
    cmd = OpenTicket(
        invoice.customer_id,
        kind,
        reason,
        Actor.customer(invoice.customer_id),
        key,
        invoice.id,
        line_ids,
        service_ids,
    )
    return await tx.run(ticketing.open_ticket, cmd)


async def open_question(tx: Transactor, customer: CustomerView, text: str = "Hi?") -> TicketView:
    cmd = OpenTicket(customer.id, TicketKind.QUESTION, text, Actor.customer(customer.id))
    return await tx.run(ticketing.open_ticket, cmd)


async def claimed(tx: Transactor, agent: Actor, ticket: TicketView) -> TicketView:
    return await tx.run(ticketing.claim_ticket, ClaimTicket(ticket.id, agent))


async def paid_invoice_ticket(
    tx: Transactor, *lines: NewLine, kind: TicketKind = TicketKind.REFUND
) -> tuple[InvoiceView, TicketView]:
    customer = await make_customer(tx)
    invoice = await pay(tx, await make_invoice(tx, customer, *lines))
    return invoice, await open_about(tx, invoice, kind)


async def outbox(tx: Transactor, customer_id: int) -> list[tuple[str, dict[str, object]]]:
    """The messages queued for a customer, oldest first."""

    async def read(uow: UnitOfWork) -> list[tuple[str, dict[str, object]]]:
        stmt = select(OutboxRow).where(OutboxRow.customer_id == customer_id)
        rows = (await uow.session.execute(stmt.order_by(OutboxRow.id))).scalars()
        return [(r.kind, r.payload) for r in rows]

    return await tx.read(read)


async def audit_actions(tx: Transactor, ticket_id: int) -> list[str]:
    async def read(uow: UnitOfWork) -> list[str]:
        stmt = select(AuditRow.action).where(
            AuditRow.subject_type == "ticket", AuditRow.subject_id == str(ticket_id)
        )
        return list((await uow.session.execute(stmt.order_by(AuditRow.id))).scalars())

    return await tx.read(read)
