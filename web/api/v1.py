"""The `/api/v1/` resources: thin views over billing's use cases and queries."""

from __future__ import annotations

from functools import cache, partial

from aiohttp import web

import billing
from billing.commands import (
    CreateCustomer,
    CreateService,
    IssueLinkToken,
    RecordPayment,
    SetCompoundInvoicesAllowed,
    TerminateService,
    UpdateCustomer,
)
from billing.document_files import credit_note_pdf_once
from billing.errors import CreditNoteNotFound, CustomerNotFound, ServiceNotFound
from billing.models import ServiceStatus
from billing.read_models import CreditNoteView, CustomerView, ServiceView
from support_desk.core.texts import Texts
from support_desk.core.tx import UnitOfWork
from web.api.schemas import Empty
from web.api.schemas_v1 import (
    CreditNoteLineOut,
    CreditNoteOut,
    CreditNotePageOut,
    CreditNoteQuery,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    LinkTokenOut,
    PaymentIn,
    PaymentOut,
    ServiceIn,
    ServiceOut,
    TerminationIn,
    TerminationOut,
)
from web.api.types import from_bp, from_minor, to_minor
from web.platform.context import API_TX
from web.platform.http import (
    Answer,
    Caller,
    answer,
    parse_body,
    parse_query,
    path_id,
    read,
    respond,
)


@cache
def _texts(default_locale: str) -> Texts:
    """Built once: compiling the gettext catalogs is not per-request work."""
    return Texts(default_locale)


def customer_out(c: CustomerView) -> CustomerOut:
    return CustomerOut(
        id=c.id,
        externalId=c.external_id,
        name=c.name,
        email=c.email,
        phone=c.phone,
        company=c.company,
        language=c.language,
        compoundInvoicesAllowed=c.compound_invoices_allowed,
        createdAt=c.created_at,
    )


def service_out(s: ServiceView) -> ServiceOut:
    return ServiceOut(
        id=s.id,
        customerId=s.customer_id,
        name=s.name,
        sku=s.sku,
        status=s.status,
        createdAt=s.created_at,
        terminatedAt=s.terminated_at,
    )


def credit_note_out(n: CreditNoteView) -> CreditNoteOut:
    lines = [
        CreditNoteLineOut(
            invoiceLineId=x.invoice_line_id,
            sku=x.sku,
            name=x.name,
            quantity=x.quantity,
            unitPrice=from_minor(x.unit_price_minor),
            taxRate=from_bp(x.tax_rate_bp),
            netAmount=from_minor(x.net_minor),
            taxAmount=from_minor(x.tax_minor),
            totalAmount=from_minor(x.total_minor),
        )
        for x in n.lines
    ]
    return CreditNoteOut(
        id=n.id,
        number=n.number,
        invoiceId=n.invoice_id,
        invoiceNumber=n.invoice_number,
        customerId=n.customer_id,
        currency=n.currency,
        kind=n.kind,
        status=n.status,
        reason=n.reason,
        netAmount=from_minor(n.net_minor),
        taxAmount=from_minor(n.tax_minor),
        totalAmount=from_minor(n.total_minor),
        createdAt=n.created_at,
        issuedAt=n.issued_at,
        voidedAt=n.voided_at,
        lines=lines,
    )


async def _create_customer(body: CustomerIn, uow: UnitOfWork, caller: Caller) -> Answer:
    view = await billing.create_customer(
        uow,
        CreateCustomer(
            external_id=body.externalId,
            name=body.name,
            actor=caller.actor,
            idempotency_key=caller.key_for("customer"),
            email=body.email,
            phone=body.phone,
            company=body.company,
            language=body.language,
            compound_invoices_allowed=body.compoundInvoicesAllowed,
        ),
    )
    return answer(201, customer_out(view))


async def _update_customer(
    body: CustomerPatch, customer_id: int, uow: UnitOfWork, caller: Caller
) -> Answer:
    view = await billing.update_customer(
        uow,
        UpdateCustomer(
            customer_id=customer_id,
            actor=caller.actor,
            idempotency_key=caller.key_for("update"),
            name=body.name,
            email=body.email,
            phone=body.phone,
            company=body.company,
            language=body.language,
        ),
    )
    if body.compoundInvoicesAllowed is not None:
        view = await billing.set_compound_invoices_allowed(
            uow,
            SetCompoundInvoicesAllowed(
                customer_id, body.compoundInvoicesAllowed, caller.actor, caller.key_for("compound")
            ),
        )
    return answer(200, customer_out(view))


async def _customer(customer_id: int, uow: UnitOfWork, _caller: Caller) -> Answer:
    return answer(200, customer_out(await billing.queries.customer_view(uow, customer_id)))


async def _create_service(body: ServiceIn, uow: UnitOfWork, caller: Caller) -> Answer:
    view = await billing.create_service(
        uow,
        CreateService(
            customer_id=body.customerId,
            name=body.name,
            actor=caller.actor,
            idempotency_key=caller.key_for("service"),
            sku=body.sku,
            status=ServiceStatus(body.status),
        ),
    )
    return answer(201, service_out(view))


async def _terminate(
    body: TerminationIn, service_id: int, uow: UnitOfWork, caller: Caller
) -> Answer:
    done = await billing.terminate_service(
        uow, TerminateService(service_id, body.reason, caller.actor, caller.key_for("terminate"))
    )
    return answer(
        200,
        TerminationOut(
            service=service_out(done.service),
            canceledInvoiceIds=[c.invoice.id for c in done.cancellations],
            creditNoteIds=[c.credit_note.id for c in done.cancellations if c.credit_note],
        ),
    )


async def _pay(body: PaymentIn, uow: UnitOfWork, caller: Caller) -> Answer:
    if body.customerId is not None:  # "ids of another customer" are refused as not found
        await billing.queries.customer_invoice(uow, body.invoiceId, body.customerId)
    done = await billing.record_payment(
        uow,
        RecordPayment(
            invoice_id=body.invoiceId,
            amount_minor=to_minor(body.amount),
            actor=caller.actor,
            idempotency_key=caller.key_for("payment"),
            method=body.method,
            reference=body.reference,
        ),
    )
    p, inv = done.payment, done.invoice
    return answer(
        201,
        PaymentOut(
            id=p.id,
            invoiceId=p.invoice_id,
            amount=from_minor(p.amount_minor),
            currency=inv.currency,
            method=p.method,
            reference=p.reference,
            receivedAt=p.received_at,
            invoiceStatus=inv.status,
            invoiceBalance=from_minor(inv.balance_minor),
        ),
    )


async def _credit_notes(query: CreditNoteQuery, uow: UnitOfWork, _caller: Caller) -> Answer:
    page = await billing.queries.credit_notes_page(
        uow,
        customer_id=query.customerId,
        invoice_id=query.invoiceId,
        statuses=[query.status] if query.status else [],
        after=query.after,
        limit=query.limit,
    )
    return answer(
        200,
        CreditNotePageOut(
            items=[credit_note_out(n) for n in page.items], nextAfter=page.next_after
        ),
    )


async def _credit_note(note_id: int, uow: UnitOfWork, _caller: Caller) -> Answer:
    return answer(200, credit_note_out(await billing.queries.credit_note_view(uow, note_id)))


async def _link_token(customer_id: int, uow: UnitOfWork, caller: Caller) -> Answer:
    token = await billing.issue_link_token(uow, IssueLinkToken(customer_id, caller.actor))
    # the bot's settings section may not exist in every deployment; the default is the brief's
    bot = getattr(getattr(uow.settings, "bot", None), "username", None) or "support_desk_bot"
    return answer(
        201,
        LinkTokenOut(
            customerId=token.customer_id,
            token=token.token,
            expiresAt=token.expires_at,
            deepLink=f"https://t.me/{bot}?start={token.token}",
        ),
    )


async def create_customer(request: web.Request) -> web.Response:
    body = await parse_body(request, CustomerIn)
    return await respond(request, body, partial(_create_customer, body))


async def get_customer(request: web.Request) -> web.Response:
    return await read(request, partial(_customer, path_id(request, "id", CustomerNotFound)))


async def update_customer(request: web.Request) -> web.Response:
    customer_id = path_id(request, "id", CustomerNotFound)
    body = await parse_body(request, CustomerPatch)
    return await respond(request, body, partial(_update_customer, body, customer_id))


async def create_service(request: web.Request) -> web.Response:
    body = await parse_body(request, ServiceIn)
    return await respond(request, body, partial(_create_service, body))


async def terminate_service(request: web.Request) -> web.Response:
    service_id = path_id(request, "id", ServiceNotFound)
    body = await parse_body(request, TerminationIn)
    return await respond(request, body, partial(_terminate, body, service_id))


async def record_payment(request: web.Request) -> web.Response:
    body = await parse_body(request, PaymentIn)
    return await respond(request, body, partial(_pay, body))


async def list_credit_notes(request: web.Request) -> web.Response:
    return await read(request, partial(_credit_notes, parse_query(request, CreditNoteQuery)))


async def get_credit_note(request: web.Request) -> web.Response:
    return await read(request, partial(_credit_note, path_id(request, "id", CreditNoteNotFound)))


async def credit_note_document(request: web.Request) -> web.Response:
    note_id = path_id(request, "id", CreditNoteNotFound)
    tx = request.config_dict[API_TX]
    texts = _texts(tx.settings.default_locale)
    number, body = await credit_note_pdf_once(tx, texts, note_id)  # drawn once, off the loop
    name = number or f"credit-note-{note_id}"
    return web.Response(
        body=body,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


async def create_link_token(request: web.Request) -> web.Response:
    customer_id = path_id(request, "id", CustomerNotFound)
    await parse_body(request, Empty)
    return await respond(request, None, partial(_link_token, customer_id), idempotent=False)
