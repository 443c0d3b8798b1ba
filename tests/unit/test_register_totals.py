"""Pure pieces of the credit-note register: week and month buckets, what counts, and the CSV's
cells."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from ticketing.register_csv import decimal_string, safe_cell
from ticketing.register_totals import Granularity, Point, period_start, totals_of


def at(day: int, month: int = 1) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    assert period_start(date(2026, 1, 11), Granularity.WEEK) == date(2026, 1, 5)  # a Sunday
    assert period_start(date(2026, 1, 12), Granularity.WEEK) == date(2026, 1, 12)
    assert period_start(date(2026, 2, 28), Granularity.MONTH) == date(2026, 2, 1)


def test_pending_void_and_rejected_notes_stay_out_of_the_bars_unless_pending_is_asked() -> None:
    points = [
        Point(at(5), "EUR", "issued", 100),
        Point(at(6), "EUR", "pending_approval", 20),
        Point(at(6), "EUR", "void", 7),
        Point(at(6), "EUR", "rejected", 3),
    ]

    plain = totals_of(points, Granularity.WEEK)
    with_pending = totals_of(points, Granularity.WEEK, include_pending=True)

    assert [b.total_minor for b in plain.buckets] == [100] and plain.count == 4
    assert [b.total_minor for b in with_pending.buckets] == [120]
    (eur,) = plain.currencies
    assert (eur.issued_minor, eur.pending_minor, eur.void_minor) == (100, 20, 7)


def test_empty_periods_between_bars_are_zero_and_a_long_period_switches_to_months() -> None:
    points = [Point(at(5), "EUR", "issued", 1), Point(at(26), "EUR", "issued", 2)]

    weeks = totals_of(points, Granularity.WEEK)
    year = totals_of(points, Granularity.WEEK, start=date(2026, 1, 1), end=date(2026, 12, 31))

    assert [b.total_minor for b in weeks.buckets] == [1, 0, 0, 2]
    assert (year.granularity, year.switched_to_months) == (Granularity.MONTH, True)
    assert len(year.buckets) == 12 and year.buckets[-1].start == date(2026, 12, 1)


@given(st.lists(st.tuples(st.integers(1, 28), st.integers(1, 12), st.integers(1, 10**9))))
def test_the_bars_sum_to_the_issued_total_whatever_the_granularity(
    notes: list[tuple[int, int, int]],
) -> None:
    points = [Point(at(d, m), "EUR", "issued", v) for d, m, v in notes]
    for granularity in Granularity:
        totals = totals_of(points, granularity)
        assert sum(b.total_minor for b in totals.buckets) == sum(v for _, _, v in notes)


def test_cells_that_a_spreadsheet_would_run_are_neutralised() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@SUM", "\tx", "ok", None, 7)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM",
        "'\tx",
        "ok",
        "",
        "7",
    ]


def test_amounts_are_exact_decimal_strings() -> None:
    assert [decimal_string(v) for v in (0, 5, 1234, -1234, 10**20 + 1)] == [
        "0.00",
        "0.05",
        "12.34",
        "-12.34",
        "1000000000000000000.01",
    ]
    assert decimal_string(1234, 0) == "1234"
