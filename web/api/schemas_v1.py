"""The `/api/v1/` bodies: customers, services, payments, credit notes, link tokens.

Money is a decimal string in major units on the way out (exact), a string or number on the way
in; ids are integers; unknown fields are refused.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AliasGenerator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_snake

from web.api.types import (
    Email,
    ExternalId,
    Id,
    Language,
    Method,
    Money,
    Name,
    OptName,
    OutMoney,
    OutOfMinor,
    Phone,
    Reason,
    Reference,
    Sku,
)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Out(BaseModel):
    """An answer read straight from a read model: `CustomerOut.model_validate(view)` fills
    each camelCase field from the view's snake_case attribute (the published names stay
    camelCase; the snake_case ones are only where a field is read from)."""

    model_config = ConfigDict(
        from_attributes=True,
        alias_generator=AliasGenerator(validation_alias=to_snake),
        validate_by_name=True,
    )


class CustomerIn(In):
    externalId: ExternalId
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    company: OptName | None = None
    language: Language = "en"
    compoundInvoicesAllowed: bool = True


class CustomerPatch(In):
    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    company: OptName | None = None
    language: Language | None = None
    compoundInvoicesAllowed: bool | None = None


class ServiceIn(In):
    customerId: Id
    name: Name
    sku: Sku | None = None
    status: Literal["pending", "active"] = "pending"


class TerminationIn(In):
    reason: Reason
    when: Literal["now", "period_end"] = Field(
        default="now",
        description="now: terminate at once (B5, the invoices still unpaid are cancelled); "
        "period_end: keep the service until its billing period ends, then terminate it.",
        # the default is left out of the idempotency fingerprint, which stays what it was
        # before `when` existed: a key stored then still replays its answer
        exclude_if=lambda when: when == "now",
    )


class PaymentIn(In):
    invoiceId: Id
    amount: Money
    customerId: Id | None = Field(
        default=None, description="When given, the invoice must be theirs."
    )
    method: Method = "card"
    reference: Reference | None = None


class CreditLineIn(In):
    invoiceLineId: Id
    netAmount: Money | None = Field(
        default=None, description="Part of the line's net amount (tax follows); else all left."
    )


class CreditNoteIn(In):
    """B6, B7, B9: chosen lines, a gross amount, or all that is left when neither is given."""

    invoiceId: Id
    reason: Reason
    customerId: Id | None = Field(
        default=None, description="When given, the invoice must be theirs."
    )
    lines: Annotated[list[CreditLineIn], Field(max_length=200)] = []
    amount: Money | None = Field(default=None, description="A gross amount to credit.")
    remainder: Literal["none", "refund", "account_credit"] = Field(
        default="none",
        description="Where the part beyond what is still due goes (B6): refunded, or kept "
        "as the customer's account credit; none refuses a credit beyond what is due.",
    )
    paymentId: Id | None = Field(
        default=None,
        description="B6: refund against this payment in money of the invoice (it must hold "
        "the refund); else the invoice's payments newest first.",
    )


class CreditNoteQuery(In):
    customerId: Id | None = None
    invoiceId: Id | None = None
    status: Literal["pending_approval", "issued", "void", "rejected"] | None = None
    after: Id | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class CustomerOut(Out):
    id: int
    externalId: str
    name: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    language: str
    compoundInvoicesAllowed: bool
    createdAt: datetime


class ServiceOut(Out):
    id: int
    customerId: int
    name: str
    sku: str | None = None
    status: str
    createdAt: datetime
    terminatedAt: datetime | None = None
    periodEnd: date | None = Field(default=None, description="The last day invoiced so far (B5).")
    terminatesOn: date | None = Field(
        default=None, description="A termination scheduled for the end of this day (B5)."
    )


class TerminationOut(BaseModel):
    service: ServiceOut
    canceledInvoiceIds: list[int]
    creditNoteIds: list[int]


class PaymentOut(BaseModel):
    id: int
    invoiceId: int
    amount: OutMoney
    currency: str
    method: str
    reference: str | None = None
    receivedAt: datetime
    invoiceStatus: str
    invoiceBalance: OutMoney


class CreditNoteLineOut(Out):
    invoiceLineId: int
    sku: str | None = None
    name: str
    quantity: int
    unitPrice: OutOfMinor = Field(validation_alias="unit_price_minor")
    taxRate: OutOfMinor = Field(validation_alias="tax_rate_bp")
    netAmount: OutOfMinor = Field(validation_alias="net_minor")
    taxAmount: OutOfMinor = Field(validation_alias="tax_minor")
    totalAmount: OutOfMinor = Field(validation_alias="total_minor")


class CreditNoteOut(Out):
    id: int
    number: str | None = None
    invoiceId: int
    invoiceNumber: str | None = None
    customerId: int
    currency: str
    kind: str
    status: str
    reason: str
    netAmount: OutOfMinor = Field(validation_alias="net_minor")
    taxAmount: OutOfMinor = Field(validation_alias="tax_minor")
    totalAmount: OutOfMinor = Field(validation_alias="total_minor")
    settledAmount: OutOfMinor = Field(
        validation_alias="settled_minor", description="What it took off the amount still due."
    )
    refundAmount: OutOfMinor = Field(
        validation_alias="refund_minor", description="What goes back as money (B6)."
    )
    accountCreditAmount: OutOfMinor = Field(
        validation_alias="account_credit_minor", description="What became account credit (B6)."
    )
    remainder: str
    createdAt: datetime
    issuedAt: datetime | None = None
    voidedAt: datetime | None = None
    lines: list[CreditNoteLineOut]


class CreditNotePageOut(BaseModel):
    items: list[CreditNoteOut]
    nextAfter: int | None = None


class LinkTokenOut(BaseModel):
    customerId: int
    token: str
    expiresAt: datetime
    deepLink: str


class ApiErrorDetail(BaseModel):
    field: str
    reason: str


class ApiErrorOut(BaseModel):
    """Every refusal under /api/: the HTTP status, a machine-readable reason, a message."""

    status: int
    reason: str
    message: str
    details: list[ApiErrorDetail] = []
