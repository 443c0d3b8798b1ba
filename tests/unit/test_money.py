"""M9 / B12: exact money. Pure tests of billing.money and of the credit rules in billing.rules,
on plain dataclass lines: no database, no event loop."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import errors, rules
from billing.commands import LineCredit
from billing.money import allocate, cumulative_tax, div_half_up, line_amounts, line_tax
from billing.rules import CreditPart

RATES_BP = (0, 550, 700, 1000, 1900, 2000, 2100)
LAGO_TRAP = (6833, 6833, 5750, 8500)  # 68.33, 68.33, 57.50, 85.00 at 20 % (Lago #2643)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(slots=True)
class Line:
    """An invoice line as the rules see it; credited counters move as notes are applied."""

    id: int
    net_minor: int
    tax_minor: int
    credited_net_minor: int = 0
    credited_tax_minor: int = 0


def make_lines(nets_and_rates: list[tuple[int, int]]) -> list[Line]:
    return [
        Line(i, net, line_tax(net, rate)) for i, (net, rate) in enumerate(nets_and_rates, start=1)
    ]


def apply(lines: list[Line], parts: list[CreditPart]) -> None:
    """Move the counters as billing.services.crediting does, asserting the per-line CHECKs."""
    by_id = {ln.id: ln for ln in lines}
    for part in parts:
        ln = by_id[part.line_id]
        assert part.net_minor >= 0 and part.tax_minor >= 0
        ln.credited_net_minor += part.net_minor
        ln.credited_tax_minor += part.tax_minor
        assert ln.credited_net_minor <= ln.net_minor and ln.credited_tax_minor <= ln.tax_minor


def half_up(exact: Fraction) -> int:
    sign = -1 if exact < 0 else 1
    return sign * int(abs(exact) + Fraction(1, 2))


def creditable(lines: list[Line]) -> int:
    return sum(
        ln.net_minor + ln.tax_minor - ln.credited_net_minor - ln.credited_tax_minor for ln in lines
    )


invoices = st.lists(
    st.tuples(st.integers(0, 5_000_000), st.sampled_from(RATES_BP)), min_size=1, max_size=20
).filter(lambda ls: sum(n for n, _ in ls) > 0)


# --- billing.money ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [(5, 10, 1), (4, 10, 0), (15, 10, 2), (-5, 10, -1), (-4, 10, 0), (-15, 10, -2), (0, 7, 0)],
)
def test_b12_div_half_up_rounds_halves_away_from_zero(num: int, den: int, expected: int) -> None:
    assert div_half_up(num, den) == expected


@given(st.integers(-(10**15), 10**15), st.integers(1, 10**9))
@PROPERTY
def test_b12_div_half_up_is_the_exact_quotient_rounded_half_up(num: int, den: int) -> None:
    assert div_half_up(num, den) == half_up(Fraction(num, den))


def test_b12_div_half_up_refuses_a_non_positive_denominator() -> None:
    with pytest.raises(ValueError):
        div_half_up(1, 0)
    with pytest.raises(ValueError):
        div_half_up(1, -3)


@given(st.integers(0, 10**13), st.integers(0, 10_000))
@PROPERTY
def test_b12_line_tax_is_rounded_per_line_half_up(net: int, rate_bp: int) -> None:
    expected = (Decimal(net) * rate_bp / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP)

    assert line_tax(net, rate_bp) == int(expected)


def test_b12_line_amounts_of_the_lago_trap_are_rounded_line_by_line() -> None:
    amounts = [line_amounts(1, unit, 0, 2000) for unit in LAGO_TRAP]

    assert [a.tax_minor for a in amounts] == [1367, 1367, 1150, 1700]
    assert sum(a.total_minor for a in amounts) == 27916 + 5584
    assert line_amounts(3, 1000, 500, 1900).net_minor == 2500


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**9), min_size=1, max_size=30))
@PROPERTY
def test_m9_allocate_sums_exactly_and_stays_within_one_unit_of_the_exact_share(
    amount: int, weights: list[int]
) -> None:
    shares = allocate(amount, weights)

    total = sum(weights)
    assert len(shares) == len(weights)
    if total == 0:
        assert shares == [0] * len(weights)
        return
    assert sum(shares) == amount
    for share, weight in zip(shares, weights, strict=True):
        assert abs(share - Fraction(amount * weight, total)) < 1
        if weight == 0:
            assert share == 0
        if amount <= total:
            assert 0 <= share <= weight


@given(st.data(), st.integers(1, 10**9), st.sampled_from(RATES_BP))
@PROPERTY
def test_m9_cumulative_tax_parts_sum_to_the_lines_tax(
    data: st.DataObject, net_total: int, rate_bp: int
) -> None:
    tax_total = line_tax(net_total, rate_bp)
    cuts = sorted(data.draw(st.lists(st.integers(0, net_total), max_size=15)))
    bounds = [0, *cuts, net_total]
    parts = [(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]

    taxes = [cumulative_tax(tax_total, net_total, before, part) for before, part in parts]

    assert sum(taxes) == tax_total
    for tax, (_, part) in zip(taxes, parts, strict=True):
        assert abs(tax - Fraction(tax_total * part, net_total)) <= 1
        assert tax >= 0


def test_m9_cumulative_tax_of_a_zero_line_is_zero() -> None:
    assert cumulative_tax(0, 0, 0, 0) == 0


# --- billing.rules: full and partial reversals -------------------------------------------------


def test_b12_a_full_credit_of_the_lago_trap_reverses_to_the_minor_unit() -> None:
    lines = make_lines([(unit, 2000) for unit in LAGO_TRAP])

    parts = rules.remaining_parts(lines)

    assert sum(p.net_minor for p in parts) == sum(ln.net_minor for ln in lines) == 27916
    assert sum(p.tax_minor for p in parts) == sum(ln.tax_minor for ln in lines) == 5584
    assert [(p.net_minor, p.tax_minor) for p in parts] == [
        (ln.net_minor, ln.tax_minor) for ln in lines
    ]


@given(st.lists(st.integers(1, 3349), min_size=1, max_size=12))
@PROPERTY
def test_b12_partial_amount_credits_of_the_lago_trap_sum_to_the_invoice_exactly(
    steps: list[int],
) -> None:
    lines = make_lines([(unit, 2000) for unit in LAGO_TRAP])
    notes: list[list[CreditPart]] = []

    for amount in steps:
        amount = min(amount, creditable(lines))
        if amount == 0:
            break
        parts = rules.amount_parts(lines, amount)
        assert sum(p.net_minor + p.tax_minor for p in parts) == amount
        apply(lines, parts)
        notes.append(parts)
    if creditable(lines):
        final = rules.remaining_parts(lines)
        apply(lines, final)
        notes.append(final)

    assert sum(p.net_minor for n in notes for p in n) == 27916
    assert sum(p.tax_minor for n in notes for p in n) == 5584
    assert creditable(lines) == 0


@given(st.data())
@PROPERTY
def test_m9_line_credits_of_the_lago_trap_keep_tax_within_one_unit_and_sum_exactly(
    data: st.DataObject,
) -> None:
    lines = make_lines([(unit, 2000) for unit in LAGO_TRAP])
    notes = 0

    while any(ln.credited_net_minor < ln.net_minor for ln in lines) and notes < 12:
        open_lines = [ln for ln in lines if ln.credited_net_minor < ln.net_minor]
        chosen = data.draw(st.lists(st.sampled_from(open_lines), min_size=1, unique_by=id))
        wanted = tuple(
            LineCredit(ln.id, data.draw(st.integers(1, ln.net_minor - ln.credited_net_minor)))
            for ln in chosen
        )

        parts = rules.line_parts(lines, wanted)

        for part in parts:
            ln = next(x for x in lines if x.id == part.line_id)
            exact = Fraction(ln.tax_minor * part.net_minor, ln.net_minor)
            assert abs(part.tax_minor - exact) <= 1, (part, ln)
        apply(lines, parts)
        notes += 1
    apply(lines, rules.remaining_parts(lines))

    assert sum(ln.credited_net_minor for ln in lines) == 27916
    assert sum(ln.credited_tax_minor for ln in lines) == 5584


@given(invoices, st.data())
@PROPERTY
def test_b12_random_partial_credits_to_exhaustion_reverse_the_invoice_exactly(
    nets_and_rates: list[tuple[int, int]], data: st.DataObject
) -> None:
    lines = make_lines(nets_and_rates)
    net, tax = sum(ln.net_minor for ln in lines), sum(ln.tax_minor for ln in lines)
    credited_net = credited_tax = 0

    for _ in range(data.draw(st.integers(0, 8), label="steps")):
        left = creditable(lines)
        if left == 0:
            break
        if data.draw(st.booleans(), label="by amount"):
            amount = data.draw(st.integers(1, left), label="amount")
            parts = rules.amount_parts(lines, amount)
            assert sum(p.net_minor + p.tax_minor for p in parts) == amount
        else:
            open_lines = [ln for ln in lines if ln.credited_net_minor < ln.net_minor]
            if not open_lines:
                continue
            ln = data.draw(st.sampled_from(open_lines), label="line")
            rest = ln.net_minor - ln.credited_net_minor
            part_net = data.draw(st.one_of(st.none(), st.integers(1, rest)), label="net")
            parts = rules.line_parts(lines, [LineCredit(ln.id, part_net)])
        apply(lines, parts)
        credited_net += sum(p.net_minor for p in parts)
        credited_tax += sum(p.tax_minor for p in parts)
        assert credited_net + credited_tax <= net + tax
    final = rules.remaining_parts(lines)
    apply(lines, final)
    credited_net += sum(p.net_minor for p in final)
    credited_tax += sum(p.tax_minor for p in final)

    assert (credited_net, credited_tax) == (net, tax)
    assert rules.remaining_parts(lines) == []


def test_b9_an_amount_above_what_is_left_is_refused() -> None:
    lines = make_lines([(1000, 2000)])
    apply(lines, rules.amount_parts(lines, 700))

    with pytest.raises(errors.ExceedsCreditableAmount):
        rules.amount_parts(lines, 501)
    with pytest.raises(errors.InvalidAmount):
        rules.amount_parts(lines, 0)


def test_b9_a_line_credit_above_the_lines_rest_is_refused() -> None:
    lines = make_lines([(1000, 2000), (500, 0)])

    with pytest.raises(errors.ExceedsCreditableAmount):
        rules.line_parts(lines, [LineCredit(1, 1001)])
    with pytest.raises(errors.InvalidInvoice):
        rules.line_parts(lines, [LineCredit(1, 10), LineCredit(1, 20)])
    with pytest.raises(errors.InvalidInvoice):
        rules.line_parts(lines, [LineCredit(99, 10)])
