"""Test data written through the public billing services, so fixtures cannot build states the
product cannot reach."""

from __future__ import annotations

import itertools

import billing
from billing.commands import (
    CreateCustomer,
    CreateService,
    IssueInvoice,
    NewLine,
    RecordPayment,
)
from billing.models import ServiceStatus
from billing.read_models import CustomerView, InvoiceView, ServiceView
from support_desk.core.actors import Actor
from support_desk.core.tx import Transactor

STAFF = Actor.system("tests")
AGENT = Actor.agent(1, "Alice Agent")
AGENT_2 = Actor.agent(2, "Bob Agent")
ADMIN = Actor.admin(10, "Ada Admin")
ADMIN_2 = Actor.admin(11, "Max Admin")
_ids = itertools.count(1)


async def make_customer(tx: Transactor, **fields: object) -> CustomerView:
    n = next(_ids)
    params: dict[str, object] = {"external_id": f"C{n}", "name": f"Customer {n}", "actor": STAFF}
    params.update(fields)
    return await tx.run(billing.create_customer, CreateCustomer(**params))  # type: ignore[arg-type]


async def make_service(
    tx: Transactor,
    customer: CustomerView,
    status: ServiceStatus = ServiceStatus.PENDING,
    name: str = "VPS S",
) -> ServiceView:
    cmd = CreateService(customer_id=customer.id, name=name, actor=STAFF, status=status)
    return await tx.run(billing.create_service, cmd)


def line(
    unit: int,
    qty: int = 1,
    *,
    rate_bp: int = 2000,
    discount: int = 0,
    service: ServiceView | None = None,
    name: str = "Item",
) -> NewLine:
    return NewLine(
        name=name,
        quantity=qty,
        unit_price_minor=unit,
        discount_minor=discount,
        tax_rate_bp=rate_bp,
        service_id=service.id if service else None,
    )


async def make_invoice(
    tx: Transactor,
    customer: CustomerView,
    *lines: NewLine,
    currency: str = "EUR",
    draft: bool = False,
    **fields: object,
) -> InvoiceView:
    cmd = IssueInvoice(
        customer_id=customer.id,
        currency=currency,
        lines=lines or (line(1000),),
        actor=STAFF,
        draft=draft,
        **fields,
    )  # type: ignore[arg-type]
    return await tx.run(billing.issue_invoice, cmd)


async def pay(tx: Transactor, invoice: InvoiceView, amount: int) -> InvoiceView:
    cmd = RecordPayment(invoice_id=invoice.id, amount_minor=amount, actor=STAFF)
    return (await tx.run(billing.record_payment, cmd)).invoice


async def read_invoice(tx: Transactor, invoice_id: int) -> InvoiceView:
    return await tx.read(billing.queries.invoice_view, invoice_id)
