"""The register's totals: per currency (never one sum across currencies) and per ISO week or
calendar month, for the chart. Issued notes count; pending ones only when asked; void and
rejected ones are counted apart and never added to the issued totals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select

from billing.models import CreditNote, CreditNoteStatus
from support_desk.core.actors import Actor
from support_desk.core.tx import UnitOfWork
from ticketing import rules
from ticketing.admin_models import TicketCreditNote
from ticketing.register import RegisterFilter, filtered, noted_at

MAX_WEEKS = 26  # a longer period is drawn in months, and the page says so


class Granularity(StrEnum):
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Point:
    """What the totals need of one credit note."""

    at: datetime
    currency: str
    status: str
    total_minor: int


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency: str
    issued_count: int
    issued_minor: int
    pending_count: int
    pending_minor: int
    void_count: int
    void_minor: int


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bar: a week (starting Monday) or a month (starting the 1st) of one currency."""

    start: date
    currency: str
    total_minor: int
    count: int


@dataclass(frozen=True, slots=True)
class RegisterTotals:
    granularity: Granularity
    switched_to_months: bool
    currencies: tuple[CurrencyTotal, ...]
    buckets: tuple[Bucket, ...]  # every period from the first to the last, zero-filled
    count: int = 0  # every credit note the filter selects, whatever its status


def period_start(day: date, granularity: Granularity) -> date:
    """The Monday of the ISO week, or the 1st of the month."""
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(start: date, granularity: Granularity) -> date:
    if granularity is Granularity.WEEK:
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def choose_granularity(
    wanted: Granularity, first: date | None, last: date | None
) -> tuple[Granularity, bool]:
    """Weeks unless the period is longer than MAX_WEEKS; True when weeks were switched off."""
    if wanted is Granularity.WEEK and first and last and (last - first).days > 7 * MAX_WEEKS:
        return Granularity.MONTH, True
    return wanted, False


def _currency_totals(points: list[Point]) -> tuple[CurrencyTotal, ...]:
    sums: dict[tuple[str, str], tuple[int, int]] = {}
    for p in points:
        count, minor = sums.get((p.currency, p.status), (0, 0))
        sums[p.currency, p.status] = (count + 1, minor + p.total_minor)

    def of(currency: str, status: CreditNoteStatus) -> tuple[int, int]:
        return sums.get((currency, status.value), (0, 0))

    S = CreditNoteStatus
    return tuple(
        CurrencyTotal(c, *of(c, S.ISSUED), *of(c, S.PENDING_APPROVAL), *of(c, S.VOID))
        for c in sorted({p.currency for p in points})
    )


def totals_of(
    points: Iterable[Point],
    wanted: Granularity,
    *,
    start: date | None = None,
    end: date | None = None,
    include_pending: bool = False,
) -> RegisterTotals:
    """Pure: the totals of these credit notes over [start, end] (or the notes' own span)."""
    points = list(points)
    days = [p.at.date() for p in points]
    first, last = start or min(days, default=None), end or max(days, default=None)
    granularity, switched = choose_granularity(wanted, first, last)
    counted = {CreditNoteStatus.ISSUED.value}
    if include_pending:
        counted.add(CreditNoteStatus.PENDING_APPROVAL.value)
    bars: dict[tuple[date, str], tuple[int, int]] = {}
    for p in points:
        if p.status in counted:
            key = (period_start(p.at.date(), granularity), p.currency)
            total, count = bars.get(key, (0, 0))
            bars[key] = (total + p.total_minor, count + 1)
    buckets: list[Bucket] = []
    currencies = sorted({c for _, c in bars})
    if first is not None and last is not None and currencies:
        at, stop = period_start(first, granularity), period_start(last, granularity)
        while at <= stop:
            buckets.extend(Bucket(at, c, *bars.get((at, c), (0, 0))) for c in currencies)
            at = _next(at, granularity)
    return RegisterTotals(
        granularity, switched, _currency_totals(points), tuple(buckets), len(points)
    )


async def register_totals(
    uow: UnitOfWork,
    actor: Actor,
    f: RegisterFilter,
    wanted: Granularity = Granularity.WEEK,
    *,
    include_pending: bool = False,
) -> RegisterTotals:
    """The totals of what the filter selects. Refusals: AdminOnly."""
    rules.ensure_admin(actor)
    stmt = select(
        noted_at, CreditNote.currency, CreditNote.status, CreditNote.total_minor
    ).outerjoin(TicketCreditNote, TicketCreditNote.credit_note_id == CreditNote.id)
    rows = (await uow.session.execute(filtered(stmt, f))).all()
    points = (Point(r[0], r[1], r[2], r[3]) for r in rows)
    return totals_of(points, wanted, start=f.start, end=f.end, include_pending=include_pending)
