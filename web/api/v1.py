"""The `/api/v1/` resources: thin views over billing's use cases and queries."""

from __future__ import annotations

from functools import cache
from typing import Final

from aiohttp import web

import billing
from billing.commands import (
    CreateCustomer,
    CreateService,
    IssueCreditNote,
    IssueLinkToken,
    KeepService,
    LineCredit,
    RecordPayment,
    Remainder,
    ScheduleTermination,
    SetCompoundInvoicesAllowed,
    TerminateService,
    UpdateCustomer,
)
from billing.document_files import credit_note_pdf_once
from billing.errors import CreditNoteNotFound, CustomerNotFound, ServiceNotFound
from billing.models import ServiceStatus
from billing.read_models import CreditNoteView
from support_desk.core.errors import PermissionDenied
from support_desk.core.texts import Texts
from support_desk.core.tx import UnitOfWork
from web.api.route import Route
from web.api.schemas import Empty
from web.api.schemas_v1 import (
    CreditNoteIn,
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
from web.api.types import from_minor, to_minor
from web.platform.context import API_TX
from web.platform.http import (
    Answer,
    Caller,
    View,
    answer,
    path_id,
)


class CreditNoteNeedsAdminKey(PermissionDenied, code="credit_note_needs_admin_key"):
    """Money goes out through this API with no approval (B11 is for staff): an admin key only."""

    message = "Only an admin API key may issue credit notes."


@cache
def _texts(default_locale: str) -> Texts:
    """Built once: compiling the gettext catalogs is not per-request work."""
    return Texts(default_locale)


def credit_note_out(n: CreditNoteView) -> CreditNoteOut:
    return CreditNoteOut.model_validate(n)


async def _create_customer(body: CustomerIn, uow: UnitOfWork, caller: Caller) -> Answer:
    view = await billing.create_customer(
        uow,
        CreateCustomer(
            external_id=body.externalId,
            name=body.name,
            actor=caller.actor,
            email=body.email,
            phone=body.phone,
            company=body.company,
            language=body.language,
            compound_invoices_allowed=body.compoundInvoicesAllowed,
        ),
    )
    return answer(201, CustomerOut.model_validate(view))


async def _update_customer(
    body: CustomerPatch, customer_id: int, uow: UnitOfWork, caller: Caller
) -> Answer:
    view = await billing.update_customer(
        uow,
        UpdateCustomer(
            customer_id=customer_id,
            actor=caller.actor,
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
            SetCompoundInvoicesAllowed(customer_id, body.compoundInvoicesAllowed, caller.actor),
        )
    return answer(200, CustomerOut.model_validate(view))


async def _customer(customer_id: int, uow: UnitOfWork, _caller: Caller) -> Answer:
    return answer(
        200, CustomerOut.model_validate(await billing.queries.customer_view(uow, customer_id))
    )


async def _create_service(body: ServiceIn, uow: UnitOfWork, caller: Caller) -> Answer:
    view = await billing.create_service(
        uow,
        CreateService(
            customer_id=body.customerId,
            name=body.name,
            actor=caller.actor,
            sku=body.sku,
            status=ServiceStatus(body.status),
        ),
    )
    return answer(201, ServiceOut.model_validate(view))


async def _keep(service_id: int, uow: UnitOfWork, caller: Caller) -> Answer:
    kept = await billing.keep_service(uow, KeepService(service_id, caller.actor))
    return answer(200, ServiceOut.model_validate(kept))


async def _terminate(
    body: TerminationIn, service_id: int, uow: UnitOfWork, caller: Caller
) -> Answer:
    if body.when == "period_end":  # B5: kept until its period ends; nothing is cancelled now
        kept = await billing.schedule_termination(
            uow,
            ScheduleTermination(service_id, body.reason, caller.actor),
        )
        service = ServiceOut.model_validate(kept)
        return answer(
            200, TerminationOut(service=service, canceledInvoiceIds=[], creditNoteIds=[])
        )
    done = await billing.terminate_service(
        uow, TerminateService(service_id, body.reason, caller.actor)
    )
    return answer(
        200,
        TerminationOut(
            service=ServiceOut.model_validate(done.service),
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


async def _issue_credit_note(body: CreditNoteIn, uow: UnitOfWork, caller: Caller) -> Answer:
    if not caller.key.admin:
        raise CreditNoteNeedsAdminKey()
    if body.customerId is not None:  # "ids of another customer" are refused as not found
        await billing.queries.customer_invoice(uow, body.invoiceId, body.customerId)
    note = await billing.issue_credit_note(
        uow,
        IssueCreditNote(
            invoice_id=body.invoiceId,
            reason=body.reason,
            actor=caller.actor,
            lines=tuple(
                LineCredit(x.invoiceLineId, None if x.netAmount is None else to_minor(x.netAmount))
                for x in body.lines
            ),
            amount_minor=None if body.amount is None else to_minor(body.amount),
            remainder=Remainder(body.remainder),
            payment_id=body.paymentId,
        ),
    )
    return answer(201, credit_note_out(note))


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


ROUTES: Final = (
    Route(
        "POST",
        "/api/v1/customers",
        View(_create_customer),
        "customers:create",
        "Create a customer",
        CustomerIn,
        response=CustomerOut,
        status=201,
    ),
    Route(
        "GET",
        "/api/v1/customers/{id}",
        View(_customer, CustomerNotFound),
        "customers:get",
        "Read a customer",
        response=CustomerOut,
    ),
    Route(
        "PATCH",
        "/api/v1/customers/{id}",
        View(_update_customer, CustomerNotFound),
        "customers:update",
        "Update a customer",
        CustomerPatch,
        response=CustomerOut,
    ),
    Route(
        "POST",
        "/api/v1/customers/{id}/link-tokens",
        View(_link_token, CustomerNotFound, idempotent=False),
        "customers:link-token",
        "A one-time Telegram deep link for the customer",
        Empty,
        response=LinkTokenOut,
        status=201,
    ),
    Route(
        "POST",
        "/api/v1/services",
        View(_create_service),
        "services:create",
        "Create a service",
        ServiceIn,
        response=ServiceOut,
        status=201,
    ),
    Route(
        "POST",
        "/api/v1/services/{id}/termination",
        View(_terminate, ServiceNotFound),
        "services:terminate",
        "Terminate a service now or at the end of its billing period (B5)",
        TerminationIn,
        response=TerminationOut,
    ),
    Route(
        "DELETE",
        "/api/v1/services/{id}/termination",
        View(_keep, ServiceNotFound),
        "services:keep",
        "Withdraw a termination set for the end of the billing period: the service goes on (B5)",
        response=ServiceOut,
    ),
    Route(
        "POST",
        "/api/v1/payments",
        View(_pay),
        "payments:create",
        "Record a payment against an invoice",
        PaymentIn,
        response=PaymentOut,
        status=201,
    ),
    Route(
        "POST",
        "/api/v1/credit-notes",
        View(_issue_credit_note),
        "credit-notes:create",
        "Issue a credit note on an invoice, its remainder refunded or kept as account credit "
        "(B6; an admin key only: money goes out with no approval, B11)",
        CreditNoteIn,
        response=CreditNoteOut,
        status=201,
        admin_only=True,  # money out: not for every integration key
    ),
    Route(
        "GET",
        "/api/v1/credit-notes",
        View(_credit_notes),
        "credit-notes:list",
        "The credit-note register",
        query=CreditNoteQuery,
        response=CreditNotePageOut,
    ),
    Route(
        "GET",
        "/api/v1/credit-notes/{id}",
        View(_credit_note, CreditNoteNotFound),
        "credit-notes:get",
        "Read a credit note",
        response=CreditNoteOut,
    ),
    Route(
        "GET",
        "/api/v1/credit-notes/{id}/document",
        credit_note_document,
        "credit-notes:document",
        "The credit note as a PDF document",
        content_type="application/pdf",
    ),
)
