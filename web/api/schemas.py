"""The invoicing resource in the shape of the seed's REST document (002), as pydantic models.

These classes are both the validation and the OpenAPI document (openapi.py), so the published
schema cannot drift from what is enforced. Requests forbid unknown fields; the known client
quirks (`productSKU`, money as strings, `null` for absent, `deliveryMode` in any case) pass.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, WithJsonSchema

from web.api.types import (
    Currency,
    Email,
    ExternalId,
    Id,
    Label,
    LongText,
    Money,
    Name,
    OptName,
    OutNumber,
    Percent,
    Reason,
    Sku,
)

DELIVERY_MODES = {"none": "None", "email": "Email"}
Status = Literal["DRAFT", "CREATED", "SENT", "PARTIAL", "PAID", "CANCELED"]


def _delivery_mode(value: str) -> str:
    try:
        return DELIVERY_MODES[value.lower()]
    except KeyError:
        raise ValueError("must be none or email") from None


DeliveryMode = Annotated[
    str,
    AfterValidator(_delivery_mode),
    WithJsonSchema({"type": "string", "pattern": "^([Nn][Oo][Nn][Ee]|[Ee][Mm][Aa][Ii][Ll])$"}),
]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Company(Request):
    name: OptName | None = None


class CustomerInformation(Request):
    merchantCustomerId: ExternalId
    name: OptName | None = None
    email: Email | None = None
    company: Company | None = None


class ProcessingInformation(Request):
    requestPhone: bool | None = None
    requestShipping: bool | None = None


class InvoiceInformation(Request):
    description: LongText | None = None
    dueDate: date | None = None
    allowPartialPayments: bool | None = None
    deliveryMode: DeliveryMode | None = None
    sendImmediately: bool | None = None


class TaxDetails(Request):
    type: Label | None = None
    amount: Money | None = None
    rate: Percent | None = None


class Freight(Request):
    amount: Money
    taxable: bool | None = None


class AmountDetails(Request):
    currency: Currency
    totalAmount: Money | None = None
    balanceAmount: Money | None = None
    subAmount: Money | None = None
    discountAmount: Money | None = None
    discountPercent: Percent | None = None
    minimumPartialAmount: Money | None = None
    taxDetails: TaxDetails | None = None
    freight: Freight | None = None


class LineItem(Request):
    productSku: Sku | None = Field(None, validation_alias=AliasChoices("productSku", "productSKU"))
    productName: Name
    unitPrice: Money
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]
    discountAmount: Money | None = None
    taxRate: Percent | None = None
    taxAmount: Money | None = None
    totalAmount: Money | None = None
    serviceId: Id | None = Field(
        default=None, description="The service this line bills (compound)."
    )


class OrderInformation(Request):
    amountDetails: AmountDetails
    lineItems: Annotated[list[LineItem], Field(max_length=200)] | None = None


class InvoiceRequest(Request):
    """Create (POST) or replace (PUT) an invoice."""

    customerInformation: CustomerInformation
    processingInformation: ProcessingInformation | None = None
    invoiceInformation: InvoiceInformation | None = None
    orderInformation: OrderInformation


class CancelRequest(Request):
    """The seed sends `{}`; a reason may be given, else a default one is recorded (B2)."""

    reason: Reason | None = None


class Empty(Request):
    """Actions that take no input accept `{}` or no body."""


class Link(BaseModel):
    href: str
    method: str


class Links(BaseModel):
    self_: Link = Field(serialization_alias="self")


class CompanyOut(BaseModel):
    name: str | None = None


class CustomerOut(BaseModel):
    name: str | None = None
    email: str | None = None
    merchantCustomerId: str
    company: CompanyOut | None = None


class ProcessingOut(BaseModel):
    requestPhone: bool
    requestShipping: bool


class InvoiceInformationOut(BaseModel):
    invoiceNumber: str | None = None
    description: str | None = None
    dueDate: date | None = None
    allowPartialPayments: bool
    deliveryMode: str


class TaxDetailsOut(BaseModel):
    type: str
    amount: OutNumber
    rate: OutNumber | None = None


class FreightOut(BaseModel):
    amount: OutNumber
    taxable: bool


class AmountDetailsOut(BaseModel):
    totalAmount: OutNumber
    currency: str
    balanceAmount: OutNumber
    discountAmount: OutNumber
    discountPercent: OutNumber | None = None
    subAmount: OutNumber
    minimumPartialAmount: OutNumber | None = None
    taxDetails: TaxDetailsOut
    freight: FreightOut | None = None


class LineItemOut(BaseModel):
    productSku: str | None = None
    productName: str
    unitPrice: OutNumber
    quantity: int
    discountAmount: OutNumber
    taxAmount: OutNumber
    taxRate: OutNumber
    totalAmount: OutNumber
    serviceId: int | None = None


class OrderInformationOut(BaseModel):
    amountDetails: AmountDetailsOut
    lineItems: list[LineItemOut]


class InvoiceOut(BaseModel):
    """One invoice, keys in the seed's order (the cancel answer is exactly this)."""

    links: Links = Field(serialization_alias="_links")
    id: str
    submitTimeUtc: str
    status: Status
    customerInformation: CustomerOut
    processingInformation: ProcessingOut
    invoiceInformation: InvoiceInformationOut
    orderInformation: OrderInformationOut


class InvoiceListOut(BaseModel):
    links: Links = Field(serialization_alias="_links")
    submitTimeUtc: str
    totalInvoices: int
    invoices: list[InvoiceOut]


class ErrorDetail(BaseModel):
    field: str
    reason: str


class BadRequestOut(BaseModel):
    """The seed API's 400 body (also 409/422 with the same shape)."""

    submitTimeUtc: str
    status: Literal["BADREQUEST", "CONFLICT"]
    reason: Literal["VALIDATION_ERRORS", "ACTION_NOT_ALLOWED", "DUPLICATE_RECORD"]
    message: str
    details: list[ErrorDetail]


class NotFoundOut(BaseModel):
    status: Literal["NOTFOUND"]
    reason: Literal["NOTFOUND"]
    message: str
