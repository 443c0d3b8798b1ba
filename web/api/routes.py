"""One table drives routing, names, authentication and the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aiohttp.typedefs import Handler
from pydantic import BaseModel

from web.api import api_keys, invoicing, v1
from web.api.schemas import (
    CancelRequest,
    Empty,
    InvoiceListOut,
    InvoiceOut,
    InvoiceRequest,
)
from web.api.schemas_v1 import (
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

INVOICES = "/invoicing/v2/invoices"


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    name: str
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    content_type: str = "application/json"
    admin_only: bool = False  # answers 403 to a key that is not an admin key

    @property
    def seed_shaped(self) -> bool:
        """Under /invoicing the seed API's error bodies; elsewhere ours."""
        return self.path.startswith("/invoicing/")


ROUTES: Final = (
    Route(
        "POST",
        INVOICES,
        invoicing.create_invoice,
        "invoices:create",
        "Create an invoice",
        InvoiceRequest,
        response=InvoiceOut,
        status=201,
    ),
    Route(
        "GET",
        INVOICES,
        invoicing.list_invoices,
        "invoices:list",
        "List invoices, newest first",
        query=invoicing.ListQuery,
        response=InvoiceListOut,
    ),
    Route(
        "GET",
        INVOICES + "/{id}",
        invoicing.get_invoice,
        "invoices:get",
        "Read an invoice",
        response=InvoiceOut,
    ),
    Route(
        "PUT",
        INVOICES + "/{id}",
        invoicing.update_invoice,
        "invoices:update",
        "Edit a draft (an issued invoice is never edited: see replacement)",
        InvoiceRequest,
        response=InvoiceOut,
    ),
    Route(
        "POST",
        INVOICES + "/{id}/replacement",
        invoicing.replace_invoice,
        "invoices:replace",
        "Correct an issued unpaid invoice: cancel it with a credit note and send a new invoice, "
        "in one step; answers the new invoice",
        InvoiceRequest,
        response=InvoiceOut,
        status=201,
    ),
    Route(
        "POST",
        INVOICES + "/{id}/publication",
        invoicing.publish_invoice,
        "invoices:publish",
        "Publish a draft (DRAFT -> CREATED)",
        Empty,
        response=InvoiceOut,
    ),
    Route(
        "POST",
        INVOICES + "/{id}/delivery",
        invoicing.deliver_invoice,
        "invoices:deliver",
        "Send the invoice to the customer's Telegram chat",
        Empty,
        response=InvoiceOut,
    ),
    Route(
        "POST",
        INVOICES + "/{id}/cancelation",
        invoicing.cancel_invoice,
        "invoices:cancel",
        "Cancel an unpaid invoice (B1); answers the invoice as CANCELED",
        CancelRequest,
        response=InvoiceOut,
    ),
    Route(
        "POST",
        "/api/v1/customers",
        v1.create_customer,
        "customers:create",
        "Create a customer",
        CustomerIn,
        response=CustomerOut,
        status=201,
    ),
    Route(
        "GET",
        "/api/v1/customers/{id}",
        v1.get_customer,
        "customers:get",
        "Read a customer",
        response=CustomerOut,
    ),
    Route(
        "PATCH",
        "/api/v1/customers/{id}",
        v1.update_customer,
        "customers:update",
        "Update a customer",
        CustomerPatch,
        response=CustomerOut,
    ),
    Route(
        "POST",
        "/api/v1/customers/{id}/link-tokens",
        v1.create_link_token,
        "customers:link-token",
        "A one-time Telegram deep link for the customer",
        Empty,
        response=LinkTokenOut,
        status=201,
    ),
    Route(
        "POST",
        "/api/v1/services",
        v1.create_service,
        "services:create",
        "Create a service",
        ServiceIn,
        response=ServiceOut,
        status=201,
    ),
    Route(
        "POST",
        "/api/v1/services/{id}/termination",
        v1.terminate_service,
        "services:terminate",
        "Terminate a service (B5)",
        TerminationIn,
        response=TerminationOut,
    ),
    Route(
        "POST",
        "/api/v1/payments",
        v1.record_payment,
        "payments:create",
        "Record a payment against an invoice",
        PaymentIn,
        response=PaymentOut,
        status=201,
    ),
    Route(
        "GET",
        "/api/v1/credit-notes",
        v1.list_credit_notes,
        "credit-notes:list",
        "The credit-note register",
        query=CreditNoteQuery,
        response=CreditNotePageOut,
    ),
    Route(
        "GET",
        "/api/v1/credit-notes/{id}",
        v1.get_credit_note,
        "credit-notes:get",
        "Read a credit note",
        response=CreditNoteOut,
    ),
    Route(
        "GET",
        "/api/v1/credit-notes/{id}/document",
        v1.credit_note_document,
        "credit-notes:document",
        "The credit note as a PDF document",
        content_type="application/pdf",
    ),
    Route(
        "GET",
        "/api/v1/api-keys",
        api_keys.list_keys,
        "api-keys:list",
        "Every API key, live and revoked (an admin key only)",
        response=api_keys.ApiKeyListOut,
        admin_only=True,
    ),
    Route(
        "POST",
        "/api/v1/api-keys/{id}/revocation",
        api_keys.revoke_key,
        "api-keys:revoke",
        "Revoke an API key: its next request, in any process, is a 401 (an admin key only)",
        Empty,
        response=api_keys.ApiKeyOut,
        admin_only=True,
    ),
)
