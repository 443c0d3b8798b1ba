"""The invoicing resource (seed 002): thin views that parse, call one billing use case, render."""

from __future__ import annotations

from datetime import date
from typing import Final, TypedDict

from pydantic import BaseModel, Field

import billing
from billing.commands import (
    CancelInvoice,
    CreateCustomer,
    DeliverInvoice,
    IssueInvoice,
    PublishInvoice,
    ReplaceInvoice,
    UpdateInvoice,
)
from billing.errors import CustomerNotFound, InvoiceNotFound
from billing.read_models import CustomerView, InvoiceView
from support_desk.core.tx import UnitOfWork
from web.api.plan import plan_invoice
from web.api.render import INVOICES_PATH, invoice_out
from web.api.route import Route
from web.api.schemas import (
    CancelRequest,
    CustomerInformation,
    Empty,
    InvoiceInformation,
    InvoiceListOut,
    InvoiceOut,
    InvoiceRequest,
    Link,
    Links,
    Status,
)
from web.api.store import invoice_ids, load_extras, save_extras
from web.api.types import to_minor
from web.platform.errors import RequestInvalid, utc_stamp
from web.platform.http import (
    Answer,
    Caller,
    View,
    answer,
)


class ListQuery(BaseModel):
    model_config = {"extra": "forbid"}

    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(20, ge=1, le=100)
    status: Status | None = None


async def _customer(uow: UnitOfWork, info: CustomerInformation, caller: Caller) -> CustomerView:
    """The customer named by merchantCustomerId, created on first sight when a name is given."""
    try:
        return await billing.queries.customer_by_external_id(uow, info.merchantCustomerId)
    except CustomerNotFound:
        if not info.name:
            raise RequestInvalid(
                "Unknown merchantCustomerId: give customerInformation.name to create it.",
                [("customerInformation.name", "MISSING_FIELD")],
            ) from None
    company = info.company.name if info.company else None
    return await billing.create_customer(
        uow,
        CreateCustomer(
            external_id=info.merchantCustomerId,
            name=info.name,
            actor=caller.actor,
            email=info.email,
            company=company,
        ),
    )


async def _render(uow: UnitOfWork, invoice: InvoiceView, status: int = 200) -> Answer:
    customer = await billing.queries.customer_view(uow, invoice.customer_id)
    extras = await load_extras(uow, invoice.id)
    return answer(status, invoice_out(invoice, customer, extras, uow.now))


class Terms(TypedDict):
    description: str | None
    due_date: date | None
    allow_partial_payments: bool
    minimum_partial_minor: int | None


def _terms(body: InvoiceRequest) -> Terms:
    info = body.invoiceInformation or InvoiceInformation()
    minimum = body.orderInformation.amountDetails.minimumPartialAmount
    return Terms(
        description=info.description,
        due_date=info.dueDate,
        allow_partial_payments=info.allowPartialPayments is not False,
        minimum_partial_minor=None if minimum is None else to_minor(minimum),
    )


async def _create(body: InvoiceRequest, uow: UnitOfWork, caller: Caller) -> Answer:
    customer = await _customer(uow, body.customerInformation, caller)
    plan = plan_invoice(body)
    send = bool(body.invoiceInformation and body.invoiceInformation.sendImmediately)
    invoice = await billing.issue_invoice(
        uow,
        IssueInvoice(
            customer_id=customer.id,
            currency=body.orderInformation.amountDetails.currency,
            lines=plan.lines,
            actor=caller.actor,
            draft=not send,
            **_terms(body),
        ),
    )
    if send:
        invoice = await billing.deliver_invoice(uow, DeliverInvoice(invoice.id, caller.actor))
    await save_extras(uow, invoice.id, plan.extras)
    return await _render(uow, invoice, 201)


async def _same_customer_and_currency(
    body: InvoiceRequest, invoice_id: int, uow: UnitOfWork
) -> None:
    """An update or a replacement keeps the invoice's customer and currency."""
    current = await billing.queries.invoice_view(uow, invoice_id)
    customer = await billing.queries.customer_view(uow, current.customer_id)
    if body.customerInformation.merchantCustomerId != customer.external_id:
        raise RequestInvalid(
            "An invoice cannot move to another customer.",
            [("customerInformation.merchantCustomerId", "INVALID_DATA")],
        )
    if body.orderInformation.amountDetails.currency != current.currency:
        raise RequestInvalid(
            "An invoice cannot change its currency.",
            [("orderInformation.amountDetails.currency", "INVALID_DATA")],
        )


async def _update(
    body: InvoiceRequest, invoice_id: int, uow: UnitOfWork, caller: Caller
) -> Answer:
    await _same_customer_and_currency(body, invoice_id, uow)
    plan = plan_invoice(body)
    invoice = await billing.update_invoice(
        uow,
        UpdateInvoice(
            invoice_id=invoice_id,
            lines=plan.lines,
            actor=caller.actor,
            **_terms(body),
        ),
    )
    await save_extras(uow, invoice_id, plan.extras)
    return await _render(uow, invoice)


async def _replace(
    body: InvoiceRequest, invoice_id: int, uow: UnitOfWork, caller: Caller
) -> Answer:
    await _same_customer_and_currency(body, invoice_id, uow)
    plan = plan_invoice(body)
    cmd = ReplaceInvoice(
        invoice_id=invoice_id,
        lines=plan.lines,
        actor=caller.actor,
        **_terms(body),
    )
    replaced = await billing.replace_invoice(uow, cmd)
    await save_extras(uow, replaced.invoice.id, plan.extras)
    return await _render(uow, replaced.invoice, 201)


async def _publish(invoice_id: int, uow: UnitOfWork, caller: Caller) -> Answer:
    cmd = PublishInvoice(invoice_id, caller.actor)
    return await _render(uow, await billing.publish_invoice(uow, cmd))


async def _deliver(invoice_id: int, uow: UnitOfWork, caller: Caller) -> Answer:
    cmd = DeliverInvoice(invoice_id, caller.actor)
    return await _render(uow, await billing.deliver_invoice(uow, cmd))


async def _cancel(body: CancelRequest, invoice_id: int, uow: UnitOfWork, caller: Caller) -> Answer:
    cmd = CancelInvoice(invoice_id, body.reason or "", caller.actor)
    return await _render(uow, (await billing.cancel_invoice(uow, cmd)).invoice)


async def _one(invoice_id: int, uow: UnitOfWork, _caller: Caller) -> Answer:
    return await _render(uow, await billing.queries.invoice_view(uow, invoice_id))


async def _page(query: ListQuery, uow: UnitOfWork, _caller: Caller) -> Answer:
    statuses = [query.status] if query.status else []
    total, ids = await invoice_ids(uow, statuses, query.offset, query.limit)
    invoices = []
    for invoice_id in ids:
        invoice = await billing.queries.invoice_view(uow, invoice_id)
        customer = await billing.queries.customer_view(uow, invoice.customer_id)
        invoices.append(
            invoice_out(invoice, customer, await load_extras(uow, invoice_id), uow.now)
        )
    return answer(
        200,
        InvoiceListOut(
            links=Links(self_=Link(href=INVOICES_PATH, method="GET")),
            submitTimeUtc=utc_stamp(uow.now),
            totalInvoices=total,
            invoices=invoices,
        ),
    )


ROUTES: Final = (
    Route(
        "POST",
        INVOICES_PATH,
        View(_create),
        "invoices:create",
        "Create an invoice",
        InvoiceRequest,
        response=InvoiceOut,
        status=201,
    ),
    Route(
        "GET",
        INVOICES_PATH,
        View(_page),
        "invoices:list",
        "List invoices, newest first",
        query=ListQuery,
        response=InvoiceListOut,
    ),
    Route(
        "GET",
        INVOICES_PATH + "/{id}",
        View(_one, InvoiceNotFound),
        "invoices:get",
        "Read an invoice",
        response=InvoiceOut,
    ),
    Route(
        "PUT",
        INVOICES_PATH + "/{id}",
        View(_update, InvoiceNotFound),
        "invoices:update",
        "Edit a draft (an issued invoice is never edited: see replacement)",
        InvoiceRequest,
        response=InvoiceOut,
    ),
    Route(
        "POST",
        INVOICES_PATH + "/{id}/replacement",
        View(_replace, InvoiceNotFound),
        "invoices:replace",
        "Correct an issued unpaid invoice: cancel it with a credit note and send a new invoice, "
        "in one step; answers the new invoice",
        InvoiceRequest,
        response=InvoiceOut,
        status=201,
    ),
    Route(
        "POST",
        INVOICES_PATH + "/{id}/publication",
        View(_publish, InvoiceNotFound),
        "invoices:publish",
        "Publish a draft (DRAFT -> CREATED)",
        Empty,
        response=InvoiceOut,
    ),
    Route(
        "POST",
        INVOICES_PATH + "/{id}/delivery",
        View(_deliver, InvoiceNotFound),
        "invoices:deliver",
        "Send the invoice to the customer's Telegram chat",
        Empty,
        response=InvoiceOut,
    ),
    Route(
        "POST",
        INVOICES_PATH + "/{id}/cancelation",
        View(_cancel, InvoiceNotFound),
        "invoices:cancel",
        "Cancel an unpaid invoice (B1); answers the invoice as CANCELED",
        CancelRequest,
        response=InvoiceOut,
    ),
)
