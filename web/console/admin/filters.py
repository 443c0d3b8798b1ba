"""The admin pages' GET filters, parsed from the query string the same way for the page and its
CSV, so both always select the same rows. A value that does not parse is dropped and named in
`ignored`, and the page says so; it never fails the page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from billing.models import CreditNoteStatus
from ticketing.audit_log import AuditFilter
from ticketing.register import Origin, RegisterFilter
from ticketing.register_totals import Granularity

T = TypeVar("T")
PERIODS = ("this_month", "last_month", "this_quarter", "custom")


@dataclass(frozen=True, slots=True)
class RegisterQuery:
    filter: RegisterFilter
    period: str
    granularity: Granularity
    include_pending: bool
    before: int | None
    ignored: tuple[str, ...] = field(default=())


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _int(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def preset(period: str, today: date) -> tuple[date | None, date | None]:
    """The days a named period covers, up to and including its last day."""
    first = today.replace(day=1)
    if period == "this_month":
        return first, today
    if period == "last_month":
        end = first - timedelta(days=1)
        return end.replace(day=1), end
    if period == "this_quarter":
        return first.replace(month=(today.month - 1) // 3 * 3 + 1), today
    return None, None


E = TypeVar("E", Origin, CreditNoteStatus, Granularity)


def _member(kind: type[E]) -> Callable[[str], E | None]:
    values = {m.value: m for m in kind}
    return lambda raw: values.get(raw)


def _currency(raw: str) -> str | None:
    return raw.upper() if len(raw) == 3 and raw.isalpha() else None


class _Reader:
    """Reads one parameter at a time; a non-empty value that does not parse is noted."""

    def __init__(self, q: Mapping[str, str]) -> None:
        self.q = q
        self.ignored: list[str] = []

    def __call__(self, name: str, parse: Callable[[str], T | None]) -> T | None:
        raw = self.q.get(name, "").strip()
        value = parse(raw) if raw else None
        if raw and value is None:
            self.ignored.append(name)
        return value


def register_query(q: Mapping[str, str], today: date) -> RegisterQuery:
    """The register's filters from `?period=&start=&end=&agent=&origin=&status=&currency=&by=`;
    a named period wins over the custom days."""
    read = _Reader(q)
    period = read("period", lambda raw: raw if raw in PERIODS else None) or "custom"
    start, end = preset(period, today)
    if period == "custom":
        start, end = read("start", _date), read("end", _date)
    f = RegisterFilter(
        start,
        end,
        read("agent", _int),
        read("origin", _member(Origin)),
        read("status", _member(CreditNoteStatus)),
        read("currency", _currency),
    )
    granularity = read("by", _member(Granularity)) or Granularity.WEEK
    pending = q.get("pending", "").strip() == "1"
    before = read("before", _int)
    return RegisterQuery(f, period, granularity, pending, before, tuple(read.ignored))


def audit_query(q: Mapping[str, str]) -> tuple[AuditFilter, int | None, tuple[str, ...]]:
    """The audit log's filters from `?actor=kind:id&object=type:id&action=&start=&end=`."""
    ignored: list[str] = []
    actor_kind, _, actor_id = q.get("actor", "").strip().partition(":")
    subject_type, _, subject_id = q.get("object", "").strip().partition(":")
    start, end = _date(q.get("start", "").strip()), _date(q.get("end", "").strip())
    for name, value in (("start", start), ("end", end)):
        if value is None and q.get(name, "").strip():
            ignored.append(name)
    f = AuditFilter(
        actor_kind=actor_kind[:16] or None,
        actor_id=actor_id[:128] or None,
        subject_type=subject_type[:32] or None,
        subject_id=subject_id[:64] or None,
        action=q.get("action", "").strip()[:64] or None,
        start=start,
        end=end,
    )
    return f, _int(q.get("before", "").strip()), tuple(ignored)
