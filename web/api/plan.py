"""From an invoicing request to billing lines, and the check that its stated figures agree.

Amounts are computed from the lines (B12). Invoice-level `discountPercent` and `taxDetails.rate`
apply to each line that carries none of its own; a stated `discountAmount` is spread over those
lines by largest remainder so it is met exactly. Freight is one more line, taxed at the invoice
rate when taxable. Stated figures that disagree with the lines are refused, naming the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing.commands import NewLine
from billing.models import LineKind
from billing.money import BASIS_POINTS, allocate, div_half_up, line_amounts
from web.api.schemas import AmountDetails, InvoiceRequest, LineItem, TaxDetails
from web.api.types import from_minor, to_bp, to_minor
from web.platform.errors import RequestInvalid

AMOUNTS = "orderInformation.amountDetails"


@dataclass(frozen=True, slots=True)
class Plan:
    """What the request asks billing for, plus the labels billing has no column for."""

    lines: tuple[NewLine, ...]
    extras: dict[str, Any]


def _mismatch(field: str, stated: Decimal, computed: int) -> RequestInvalid:
    return RequestInvalid(
        f"{field} {stated:.2f} does not agree with the lines, which make "
        f"{from_minor(computed):.2f}.",
        [(field, "INVALID_DATA")],
    )


def _check(field: str, stated: Decimal | None, computed: int) -> None:
    if stated is not None and to_minor(stated) != computed:
        raise _mismatch(field, stated, computed)


def _implied_line(request: InvoiceRequest) -> LineItem:
    """No lines: one line for the stated amounts (sub amount, or what the total implies)."""
    amounts = request.orderInformation.amountDetails
    tax = amounts.taxDetails or TaxDetails()
    sub = amounts.subAmount
    if sub is None and amounts.totalAmount is not None and (tax.rate or 0) == 0:
        freight = amounts.freight.amount if amounts.freight else Decimal(0)
        sub = amounts.totalAmount - freight - (tax.amount or 0) + (amounts.discountAmount or 0)
    if sub is None or sub <= 0:
        raise RequestInvalid(
            "An invoice without lineItems needs a positive subAmount (or totalAmount).",
            [(f"{AMOUNTS}.subAmount", "MISSING_FIELD")],
        )
    info = request.invoiceInformation
    name = (info.description if info and info.description else "Invoice")[:200]
    return LineItem(productSku=None, productName=name, unitPrice=sub, quantity=1)


def _discounts(items: list[LineItem], amounts: AmountDetails) -> list[int]:
    gross = [item.quantity * to_minor(item.unitPrice) for item in items]
    own = [None if i.discountAmount is None else to_minor(i.discountAmount) for i in items]
    open_ = [n for n, d in enumerate(own) if d is None]
    open_gross = sum(gross[n] for n in open_)
    rest = 0
    if amounts.discountPercent is not None:
        rest = div_half_up(open_gross * to_bp(amounts.discountPercent), BASIS_POINTS)
    if amounts.discountAmount is not None:
        stated = to_minor(amounts.discountAmount) - sum(d or 0 for d in own)
        if amounts.discountPercent is not None and stated != rest:
            raise _mismatch(f"{AMOUNTS}.discountPercent", amounts.discountPercent, stated)
        rest = stated
    if rest < 0 or rest > open_gross:
        raise _mismatch(f"{AMOUNTS}.discountAmount", amounts.discountAmount or Decimal(0), rest)
    shares = iter(allocate(rest, [gross[n] for n in open_]))
    return [d if d is not None else next(shares) for d in own]


def _line(n: int, item: LineItem, discount: int, default_bp: int) -> NewLine:
    field = f"orderInformation.lineItems[{n}]"
    unit = to_minor(item.unitPrice)
    if discount > item.quantity * unit:
        raise _mismatch(f"{field}.discountAmount", item.discountAmount or Decimal(0), discount)
    rate = default_bp if item.taxRate is None else to_bp(item.taxRate)
    amounts = line_amounts(item.quantity, unit, discount, rate)
    _check(f"{field}.taxAmount", item.taxAmount, amounts.tax_minor)
    _check(f"{field}.totalAmount", item.totalAmount, amounts.total_minor)
    return NewLine(
        name=item.productName,
        quantity=item.quantity,
        unit_price_minor=unit,
        discount_minor=discount,
        tax_rate_bp=rate,
        sku=item.productSku,
        service_id=item.serviceId,
    )


def _check_totals(amounts: AmountDetails, lines: list[NewLine]) -> None:
    """The stated figures, in the order the seed's document lists them."""
    items = [line for line in lines if line.kind is LineKind.ITEM]
    computed = [
        line_amounts(x.quantity, x.unit_price_minor, x.discount_minor, x.tax_rate_bp)
        for x in lines
    ]
    total = sum(a.total_minor for a in computed)
    _check(
        f"{AMOUNTS}.discountAmount", amounts.discountAmount, sum(x.discount_minor for x in items)
    )
    tax = amounts.taxDetails
    _check(
        f"{AMOUNTS}.taxDetails.amount",
        tax.amount if tax else None,
        sum(a.tax_minor for a in computed),
    )
    _check(f"{AMOUNTS}.totalAmount", amounts.totalAmount, total)
    _check(f"{AMOUNTS}.balanceAmount", amounts.balanceAmount, total)


def plan_invoice(request: InvoiceRequest) -> Plan:
    """The billing lines for `request`; RequestInvalid names the first disagreeing figure."""
    amounts = request.orderInformation.amountDetails
    tax = amounts.taxDetails or TaxDetails()
    rate_bp = 0 if tax.rate is None else to_bp(tax.rate)
    items = request.orderInformation.lineItems or [_implied_line(request)]
    _check(
        f"{AMOUNTS}.subAmount",
        amounts.subAmount,
        sum(item.quantity * to_minor(item.unitPrice) for item in items),
    )
    discounts = _discounts(items, amounts)
    lines = [_line(n, item, discounts[n], rate_bp) for n, item in enumerate(items)]
    if amounts.freight is not None and amounts.freight.amount > 0:
        freight_bp = rate_bp if amounts.freight.taxable else 0
        lines.append(
            NewLine(
                "Freight",
                1,
                to_minor(amounts.freight.amount),
                tax_rate_bp=freight_bp,
                kind=LineKind.FREIGHT,
            )
        )
    _check_totals(amounts, lines)
    return Plan(tuple(lines), _extras(request))


def _extras(request: InvoiceRequest) -> dict[str, Any]:
    amounts = request.orderInformation.amountDetails
    tax = amounts.taxDetails or TaxDetails()
    info, processing = request.invoiceInformation, request.processingInformation
    return {
        "deliveryMode": (info.deliveryMode if info else None) or "None",
        "taxType": tax.type,
        "taxRate": None if tax.rate is None else str(tax.rate),
        "discountPercent": None
        if amounts.discountPercent is None
        else str(amounts.discountPercent),
        "freightTaxable": bool(amounts.freight and amounts.freight.taxable),
        "requestPhone": bool(processing and processing.requestPhone),
        "requestShipping": bool(processing and processing.requestShipping),
    }
