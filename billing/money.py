"""Exact money (B12): integer minor units of one currency, tax rounded per line half-up."""

from __future__ import annotations

from dataclasses import dataclass

BASIS_POINTS = 10_000  # a tax rate of 20 % is 2000 bp; 8.25 % is 825 bp


def div_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers only."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


def line_tax(net_minor: int, rate_bp: int) -> int:
    """Tax of one line, rounded half-up to the minor unit (B12)."""
    return div_half_up(net_minor * rate_bp, BASIS_POINTS)


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """What one invoice line comes to."""

    net_minor: int
    tax_minor: int

    @property
    def total_minor(self) -> int:
        return self.net_minor + self.tax_minor


def line_amounts(
    quantity: int, unit_price_minor: int, discount_minor: int, rate_bp: int
) -> LineAmounts:
    net = quantity * unit_price_minor - discount_minor
    return LineAmounts(net, line_tax(net, rate_bp))


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` over `weights` in proportion, largest remainder first; sums exactly."""
    total = sum(weights)
    if total <= 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def cumulative_tax(tax_total: int, net_total: int, net_before: int, net_part: int) -> int:
    """Tax on a part of a line so that the parts' taxes always sum to the line's tax (M9).

    Rounding the running total (not each part) keeps every part within one minor unit of its
    exact share, and the last part absorbs the residue: the Lago #2643 trap cannot happen.
    """
    if net_total == 0:
        return 0
    after = div_half_up(tax_total * (net_before + net_part), net_total)
    before = div_half_up(tax_total * net_before, net_total)
    return after - before


def format_minor(minor: int, currency: str) -> str:
    """1234 EUR -> '12.34 EUR' (two-decimal currencies; enough for the ones we accept)."""
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d} {currency}"
