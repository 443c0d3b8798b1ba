"""Billing rules (B1–B13): pure decisions with no I/O, applied only by `billing.services`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from billing import errors
from billing.commands import LineCredit, NewLine, Remainder
from billing.models import Invoice, InvoiceStatus, ServiceStatus
from billing.money import allocate, div_half_up, format_minor, line_amounts
from billing.read_models import InvoiceView
from support_desk.core.actors import Actor, ActorKind
from support_desk.core.errors import DomainError, PermissionDenied

MAX_MINOR = 10**13  # absurd amounts are refused before they reach a CHECK


class LineLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def net_minor(self) -> int: ...
    @property
    def tax_minor(self) -> int: ...
    @property
    def credited_net_minor(self) -> int: ...
    @property
    def credited_tax_minor(self) -> int: ...


class InvoiceLike(Protocol):
    @property
    def customer_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def paid_minor(self) -> int: ...
    @property
    def is_compound(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class CreditPart:
    """How much of one invoice line a credit note reverses."""

    line_id: int
    net_minor: int
    tax_minor: int


def ensure_not_customer(actor: Actor) -> None:
    """Staff, the company's billing system and the system issue and change invoices, services
    and customers; a customer does not (their own actions have use cases of their own)."""
    if actor.kind is ActorKind.CUSTOMER:
        raise PermissionDenied()


def ensure_self_or_not_customer(actor: Actor, customer_id: int) -> None:
    """A customer changes only their own account; everyone else any account."""
    if actor.kind is ActorKind.CUSTOMER and actor.customer_id != customer_id:
        raise PermissionDenied()


def ensure_owner(actor: Actor, customer_id: int) -> None:
    """A customer acts only on what is theirs; staff, the API and the system act for anyone."""
    if actor.kind is ActorKind.CUSTOMER and actor.customer_id != customer_id:
        raise errors.NotYourInvoice()


def validate_new_lines(lines: Sequence[NewLine]) -> None:
    """B12: lines are exact, positive and bounded; discounts never exceed the line."""
    if not lines:
        raise errors.InvalidInvoice(problem="an invoice needs at least one line")
    for n, line in enumerate(lines, 1):
        if not line.name.strip():
            raise errors.InvalidInvoice(problem=f"line {n} has no name")
        if not 0 < line.quantity <= 1_000_000:
            raise errors.InvalidInvoice(problem=f"line {n} quantity must be 1..1000000")
        if not 0 <= line.unit_price_minor <= MAX_MINOR or line.discount_minor < 0:
            raise errors.InvalidInvoice(problem=f"line {n} has an invalid price or discount")
        if line.discount_minor > line.quantity * line.unit_price_minor:
            raise errors.InvalidInvoice(problem=f"line {n} discount exceeds the line")
        if not 0 <= line.tax_rate_bp <= 10_000:
            raise errors.InvalidInvoice(problem=f"line {n} tax rate must be 0..100 %")
    if (
        sum(
            line_amounts(
                ln.quantity, ln.unit_price_minor, ln.discount_minor, ln.tax_rate_bp
            ).total_minor
            for ln in lines
        )
        > MAX_MINOR
    ):
        raise errors.InvalidInvoice(problem="the total is too large")


def ensure_currency(currency: str, allowed: Sequence[str]) -> None:
    if currency not in allowed:
        raise errors.UnknownCurrency(currency=currency)


def ensure_editable(
    number: int | None, status: str, *, issued: type[errors.BillingError] = errors.InvoiceIssued
) -> None:
    """Only a draft is edited (or published); an issued invoice never (DESIGN)."""
    if number is not None:
        raise issued()
    if status != InvoiceStatus.DRAFT:
        raise errors.InvoiceNotEditable()


def ensure_deliverable(status: str) -> None:
    """A draft was not issued and a cancelled invoice is not owed: neither is sent."""
    if status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELED):
        raise errors.InvoiceNotPayable(status=status)


def ensure_payable(invoice: Invoice, amount: int) -> None:
    """B9: a payment is never more than the balance, and a partial one meets the terms."""
    if invoice.status not in (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID):
        raise errors.InvoiceNotPayable(status=invoice.status)
    balance = invoice.balance_minor
    if amount > balance:
        raise errors.ExceedsBalance(balance=format_minor(balance, invoice.currency))
    if amount < balance and not invoice.allow_partial_payments:
        raise errors.PartialPaymentNotAllowed()
    if amount < balance and amount < (invoice.minimum_partial_minor or 0):
        raise errors.PartialPaymentNotAllowed()


def compound_change_possible(invoice: InvoiceView) -> bool:
    """B7: only a compound invoice that is not cancelled can be split or partly cancelled."""
    return invoice.is_compound and invoice.status != InvoiceStatus.CANCELED


def ensure_splittable(
    credited: int, keep: Sequence[Sequence[int]], line_ids: Iterable[int]
) -> None:
    """B7: an invoice nothing was credited on, split into groups of distinct lines of its own."""
    if credited:
        raise errors.InvoiceNotEditable()
    named = [i for group in keep for i in group]
    if any(not group for group in keep) or len(named) != len(set(named)):
        raise errors.InvalidInvoice(problem="each kept group names distinct lines")
    if unknown := set(named) - set(line_ids):
        raise errors.InvalidInvoice(problem=f"line {min(unknown)} is not on the invoice")


def ensure_creditable(actor: Actor, reason: str, status: str) -> None:
    """B6: staff credit issued invoices, with a reason."""
    ensure_not_customer(actor)
    if not reason.strip():
        raise errors.InvalidInvoice(problem="a credit note needs a reason")
    if status == InvoiceStatus.DRAFT:
        raise errors.InvoiceNotCancellable(status=status)


def credit_parts(
    lines: Sequence[LineLike], wanted: Sequence[LineCredit], amount: int | None
) -> list[CreditPart]:
    """What a credit note reverses: chosen lines, a gross amount, or everything left."""
    if wanted and amount is not None:
        raise errors.InvalidInvoice(problem="credit either lines or an amount, not both")
    if wanted:
        parts = line_parts(lines, wanted)
    elif amount is not None:
        parts = amount_parts(lines, amount)
    else:
        parts = remaining_parts(lines)
    if not parts:
        raise errors.NothingToCredit()
    return parts


def is_compound(service_ids: Iterable[int | None]) -> bool:
    """An invoice is compound when its lines bill more than one service."""
    return len({s for s in service_ids if s is not None}) > 1


def ensure_compound_allowed(compound: bool, allowed: bool) -> None:
    """B8: a customer can turn compound invoices off."""
    if compound and not allowed:
        raise errors.CompoundInvoicesDisabled()


def ensure_cancellable(invoice: InvoiceLike, actor: Actor, services_in_use: Sequence[str]) -> None:
    """B1, B5, B7: only an unpaid invoice with nothing paid; customers cannot self-cancel a
    compound invoice or one for a service in use."""
    if invoice.status == InvoiceStatus.PAID:
        raise errors.InvoicePaid()
    if invoice.paid_minor > 0:
        raise errors.InvoicePartiallyPaid()
    if invoice.status != InvoiceStatus.UNPAID:
        raise errors.InvoiceNotCancellable(status=invoice.status)
    if actor.kind is ActorKind.CUSTOMER:
        if invoice.is_compound:
            raise errors.InvoiceIsCompound()
        if services_in_use:
            raise errors.ServiceInUse(service=services_in_use[0])


def customer_cancel_refusal(
    invoice: InvoiceLike, services_in_use: Sequence[str] = ()
) -> DomainError | None:
    """Why the invoice's customer could not cancel it themselves now (B1, B5, B7), or None:
    the same rule `ensure_cancellable` applies, asked instead of copied by those who show a
    Cancel button."""
    try:
        ensure_cancellable(invoice, Actor.customer(invoice.customer_id), services_in_use)
    except DomainError as refusal:
        return refusal
    return None


def company_reason(company: str) -> str:
    """The reason kept when the company's billing system cancels without giving one."""
    return f"Cancelled by {company}"


def ensure_undo_allowed(
    *,
    actor: Actor,
    self_service: bool,
    undo_until: datetime | None,
    now: datetime,
    paid_minor: int,
) -> None:
    """B4: the customer who cancelled may undo within the window if nothing was paid."""
    if actor.kind is not ActorKind.CUSTOMER or not self_service or undo_until is None:
        raise errors.UndoNotAllowed()
    if now > undo_until:
        raise errors.UndoWindowPassed()
    if paid_minor > 0:
        raise errors.UndoNotAllowed()


def derive_status(total: int, paid: int, settled: int) -> InvoiceStatus:
    """An issued invoice's status follows from its money: nothing due -> paid or canceled."""
    if total - paid - settled <= 0:
        return InvoiceStatus.PAID if paid > 0 else InvoiceStatus.CANCELED
    return InvoiceStatus.PARTIALLY_PAID if paid > 0 else InvoiceStatus.UNPAID


def remaining_parts(lines: Sequence[LineLike]) -> list[CreditPart]:
    """Everything not yet credited, line by line: a full credit reverses exactly (B2, B12)."""
    parts = [
        CreditPart(
            ln.id, ln.net_minor - ln.credited_net_minor, ln.tax_minor - ln.credited_tax_minor
        )
        for ln in lines
    ]
    return [p for p in parts if p.net_minor or p.tax_minor]


def line_parts(lines: Sequence[LineLike], wanted: Sequence[LineCredit]) -> list[CreditPart]:
    """Chosen lines, whole or by net amount; tax follows the running proportion (M9)."""
    by_id = {ln.id: ln for ln in lines}
    if len({w.invoice_line_id for w in wanted}) != len(wanted):
        raise errors.InvalidInvoice(problem="a line is named twice")
    parts = []
    for want in wanted:
        line = by_id.get(want.invoice_line_id)
        if line is None:
            raise errors.InvalidInvoice(problem=f"line {want.invoice_line_id} is not on it")
        parts.append(_line_part(line, want.net_minor))
    return [p for p in parts if p.net_minor or p.tax_minor]


def _line_part(line: LineLike, net_wanted: int | None) -> CreditPart:
    rest_net = line.net_minor - line.credited_net_minor
    rest_tax = line.tax_minor - line.credited_tax_minor
    if net_wanted is None or net_wanted == rest_net:
        return CreditPart(line.id, rest_net, rest_tax)
    if not 0 < net_wanted < rest_net:
        raise errors.ExceedsCreditableAmount(creditable=rest_net)
    target = div_half_up(line.tax_minor * (line.credited_net_minor + net_wanted), line.net_minor)
    tax = min(rest_tax, max(0, target - line.credited_tax_minor))
    return CreditPart(line.id, net_wanted, tax)


def amount_parts(lines: Sequence[LineLike], amount: int) -> list[CreditPart]:
    """A gross amount spread over the lines by what is left on each (largest remainder)."""
    rest = [
        (ln.net_minor - ln.credited_net_minor, ln.tax_minor - ln.credited_tax_minor)
        for ln in lines
    ]
    creditable = sum(n + t for n, t in rest)
    if amount <= 0:
        raise errors.InvalidAmount()
    if amount > creditable:
        raise errors.ExceedsCreditableAmount(creditable=creditable)
    shares = allocate(amount, [n + t for n, t in rest])
    parts = [
        _gross_part(ln.id, share, n, t)
        for ln, share, (n, t) in zip(lines, shares, rest, strict=True)
    ]
    return [p for p in parts if p.net_minor or p.tax_minor]


def _gross_part(line_id: int, gross: int, rest_net: int, rest_tax: int) -> CreditPart:
    if gross == rest_net + rest_tax:
        return CreditPart(line_id, rest_net, rest_tax)
    net = min(rest_net, div_half_up(gross * rest_net, rest_net + rest_tax) if gross else 0)
    tax = gross - net
    if tax > rest_tax:
        tax, net = rest_tax, gross - rest_tax
    return CreditPart(line_id, net, tax)


def split_credit(
    total: int, balance: int, refundable: int, remainder: Remainder
) -> tuple[int, int, int]:
    """B6, B9: a credit note first settles what is still due; the rest is refunded (never more
    than was paid and not yet refunded) or becomes account credit."""
    settled = min(total, max(balance, 0))
    rest = total - settled
    if rest == 0:
        return settled, 0, 0
    if remainder is Remainder.REFUND:
        if rest > refundable:
            raise errors.ExceedsRefundableAmount(refundable=refundable)
        return settled, rest, 0
    if remainder is Remainder.ACCOUNT_CREDIT:
        return settled, 0, rest
    raise errors.RemainderNeedsDestination()


def needs_approval(actor: Actor, total: int, threshold: int) -> bool:
    """B11: a credit note an agent (or admin) issues above the threshold waits for an admin."""
    return actor.is_staff and total > threshold


def ensure_may_decide(actor: Actor, created_by: str) -> None:
    """B11: only an admin decides, and never on their own credit note."""
    if actor.kind is not ActorKind.ADMIN:
        raise errors.ApprovalNeedsAdmin()
    if created_by in (actor.label, f"{ActorKind.AGENT}:{actor.id}"):  # same person, any role
        raise errors.OwnCreditNote()


def ensure_terminable(status: str) -> None:
    if status == ServiceStatus.TERMINATED:
        raise errors.ServiceAlreadyTerminated()
