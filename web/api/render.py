"""Billing's read models in the seed's invoice shape: statuses in capitals, amounts from lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from billing.models import InvoiceStatus, LineKind
from billing.read_models import CustomerView, InvoiceLineView, InvoiceView
from web.api.schemas import (
    AmountDetailsOut,
    CompanyOut,
    CustomerOut,
    FreightOut,
    InvoiceInformationOut,
    InvoiceOut,
    LineItemOut,
    Link,
    Links,
    OrderInformationOut,
    ProcessingOut,
    Status,
    TaxDetailsOut,
)
from web.api.types import from_bp, from_minor
from web.platform.errors import utc_stamp

INVOICES_PATH = "/invoicing/v2/invoices"
_STATUS: dict[str, Status] = {
    InvoiceStatus.DRAFT: "DRAFT",
    InvoiceStatus.UNPAID: "CREATED",
    InvoiceStatus.PARTIALLY_PAID: "PARTIAL",
    InvoiceStatus.PAID: "PAID",
    InvoiceStatus.CANCELED: "CANCELED",
}


def seed_status(invoice: InvoiceView) -> Status:
    """unpaid is CREATED until delivered to the customer, then SENT."""
    if invoice.status == InvoiceStatus.UNPAID and invoice.sent_at is not None:
        return "SENT"
    return _STATUS[invoice.status]


def _line(line: InvoiceLineView) -> LineItemOut:
    return LineItemOut(
        productSku=line.sku,
        productName=line.name,
        unitPrice=from_minor(line.unit_price_minor),
        quantity=line.quantity,
        discountAmount=from_minor(line.discount_minor),
        taxAmount=from_minor(line.tax_minor),
        taxRate=from_bp(line.tax_rate_bp),
        totalAmount=from_minor(line.total_minor),
        serviceId=line.service_id,
    )


def _rate(items: list[InvoiceLineView], extras: dict[str, Any]) -> Decimal | None:
    if extras.get("taxRate") is not None:
        return Decimal(extras["taxRate"])
    rates = {line.tax_rate_bp for line in items}
    return from_bp(rates.pop()) if len(rates) == 1 else None


def _amounts(invoice: InvoiceView, extras: dict[str, Any]) -> AmountDetailsOut:
    items = [line for line in invoice.lines if line.kind != LineKind.FREIGHT]
    freight = [line for line in invoice.lines if line.kind == LineKind.FREIGHT]
    percent = extras.get("discountPercent")
    minimum = invoice.minimum_partial_minor
    return AmountDetailsOut(
        totalAmount=from_minor(invoice.total_minor),
        currency=invoice.currency,
        balanceAmount=from_minor(invoice.balance_minor),
        discountAmount=from_minor(sum(line.discount_minor for line in items)),
        discountPercent=None if percent is None else Decimal(percent),
        subAmount=from_minor(sum(line.quantity * line.unit_price_minor for line in items)),
        minimumPartialAmount=None if minimum is None else from_minor(minimum),
        taxDetails=TaxDetailsOut(
            type=extras.get("taxType") or "Tax",
            amount=from_minor(invoice.tax_minor),
            rate=_rate(items, extras),
        ),
        freight=FreightOut(
            amount=from_minor(sum(line.net_minor for line in freight)),
            taxable=any(line.tax_rate_bp > 0 for line in freight),
        )
        if freight
        else None,
    )


def invoice_out(
    invoice: InvoiceView, customer: CustomerView, extras: dict[str, Any], now: datetime
) -> InvoiceOut:
    """The seed's invoice document for one invoice, stamped with `now`."""
    return InvoiceOut(
        links=Links(self_=Link(href=f"{INVOICES_PATH}/{invoice.id}", method="GET")),
        id=str(invoice.id),
        submitTimeUtc=utc_stamp(now),
        status=seed_status(invoice),
        customerInformation=CustomerOut(
            name=customer.name,
            email=customer.email,
            merchantCustomerId=customer.external_id,
            company=CompanyOut(name=customer.company) if customer.company else None,
        ),
        processingInformation=ProcessingOut(
            requestPhone=bool(extras.get("requestPhone")),
            requestShipping=bool(extras.get("requestShipping")),
        ),
        invoiceInformation=InvoiceInformationOut(
            invoiceNumber=invoice.number,
            description=invoice.description,
            dueDate=invoice.due_date,
            allowPartialPayments=invoice.allow_partial_payments,
            deliveryMode=extras.get("deliveryMode") or "None",
        ),
        orderInformation=OrderInformationOut(
            amountDetails=_amounts(invoice, extras),
            lineItems=[_line(line) for line in invoice.lines if line.kind != LineKind.FREIGHT],
        ),
    )
