"""B6: which payments a refund goes back to. By default the invoice's payments in money, newest
first; a refund asked against one payment takes from that payment, which must be one of the
invoice's payments in money and hold enough not yet refunded. Pure: the conditional UPDATE on
the payment (repo.take_refund) stays the guard against concurrent refunds (B9)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from billing import errors

ACCOUNT_CREDIT = "account_credit"  # a payment from account credit is never refunded as money


class Refundable(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def amount_minor(self) -> int: ...
    @property
    def refunded_minor(self) -> int: ...
    @property
    def method(self) -> str: ...


P = TypeVar("P", bound=Refundable)


def left(payment: Refundable) -> int:
    """What can still go back to this payment."""
    return payment.amount_minor - payment.refunded_minor


def refund_order(payments: Sequence[P], chosen: int | None, amount: int) -> list[P]:
    """The payments to take `amount` from, in order: the chosen one first, else newest first.
    Refusals: PaymentNotRefundable (not a payment in money of these), ExceedsRefundableAmount
    (the chosen one holds less than `amount`)."""
    cash = sorted((p for p in payments if p.method != ACCOUNT_CREDIT), key=lambda p: -p.id)
    if chosen is None:
        return cash
    found = next((p for p in cash if p.id == chosen), None)
    if found is None:
        raise errors.PaymentNotRefundable()
    if left(found) < amount:
        raise errors.ExceedsRefundableAmount(refundable=left(found))
    return [found, *(p for p in cash if p.id != chosen)]


def allocation(payments: Sequence[P], chosen: int | None, amount: int) -> list[tuple[P, int]]:
    """Each payment the refund goes back to, with how much (the preview's "back to ...")."""
    shares: list[tuple[P, int]] = []
    for payment in refund_order(payments, chosen, amount):
        take = min(amount, left(payment))
        if take > 0:
            shares.append((payment, take))
            amount -= take
        if amount == 0:
            break
    return shares
