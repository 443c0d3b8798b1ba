"""Pure ticketing rules: SLA arithmetic in working hours (T2), the status machine, who may act
(T3, roles), the queue order (T2) and what is at stake (T1). No I/O here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from support_desk.core.actors import Actor, ActorKind
from support_desk.core.settings import TicketingSettings
from ticketing.errors import (
    AdminOnly,
    EmptyMessage,
    InvalidRating,
    InvalidTransition,
    NotTicketHolder,
    NotYourTicket,
    ReasonRequired,
    StaffOnly,
    TicketClosed,
)
from ticketing.models import CLOSED_STATUSES, TicketKind, TicketStatus

_MAX_DAYS = 3660

S = TicketStatus
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.OPEN: frozenset({S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset({S.OPEN, S.WAITING_ON_CUSTOMER, S.RESOLVED, S.REJECTED}),
    S.WAITING_ON_CUSTOMER: frozenset({S.OPEN, S.IN_PROGRESS, S.RESOLVED, S.REJECTED}),
    S.RESOLVED: frozenset(),
    S.REJECTED: frozenset(),
}


# --- SLA (T2) ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """When the SLA clock runs: working hours on working days, in the team's time zone (T2)."""

    start_hour: int = 9
    end_hour: int = 17
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    tz: ZoneInfo = ZoneInfo("UTC")

    def __post_init__(self) -> None:
        if not self.weekdays or not 0 <= self.start_hour < self.end_hour <= 24:
            raise ValueError("a working calendar needs working days and hours")

    @classmethod
    def of(cls, settings: TicketingSettings) -> WorkingCalendar:
        return cls(
            settings.working_day_start_hour,
            settings.working_day_end_hour,
            frozenset(settings.working_weekdays),
            ZoneInfo(settings.timezone),
        )

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of `day` in UTC, or None on a day off."""
        if day.weekday() not in self.weekdays:
            return None
        midnight = datetime.combine(day, time(0), tzinfo=self.tz)
        opens = midnight + timedelta(hours=self.start_hour)
        closes = midnight + timedelta(hours=self.end_hour)
        return opens.astimezone(UTC), closes.astimezone(UTC)


def add_working_time(start: datetime, amount: timedelta, cal: WorkingCalendar) -> datetime:
    """T2: the moment when `amount` of working time has passed after `start`."""
    remaining = max(amount, timedelta(0))
    day = start.astimezone(cal.tz).date()
    for _ in range(_MAX_DAYS):
        window = cal.window(day)
        if window is not None and start <= window[1]:
            begin = max(start, window[0])
            available = window[1] - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("SLA beyond the calendar's horizon")


def working_time_between(start: datetime, end: datetime, cal: WorkingCalendar) -> timedelta:
    """T2: how much working time lies between `start` and `end` (zero if end is not later)."""
    total = timedelta(0)
    day = start.astimezone(cal.tz).date()
    last = end.astimezone(cal.tz).date()
    while day <= last:
        window = cal.window(day)
        if window is not None:
            overlap = min(end, window[1]) - max(start, window[0])
            total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total


@dataclass(frozen=True, slots=True)
class Deadlines:
    first_response_due_at: datetime
    resolution_due_at: datetime

    def shifted(self, by: timedelta, cal: WorkingCalendar) -> Deadlines:
        """Both deadlines moved later by `by` working time (a pause, T2)."""
        return Deadlines(
            add_working_time(self.first_response_due_at, by, cal),
            add_working_time(self.resolution_due_at, by, cal),
        )


def sla_hours(kind: TicketKind, settings: TicketingSettings) -> tuple[int, int]:
    """T2: (first response, resolution) in working hours; refunds are faster (setting)."""
    if kind is TicketKind.REFUND:
        return settings.first_response_hours_refund, settings.resolution_hours_refund
    return settings.first_response_hours_default, settings.resolution_hours_default


def initial_deadlines(
    kind: TicketKind, opened_at: datetime, settings: TicketingSettings
) -> Deadlines:
    """T2: the due times of a ticket opened at `opened_at`."""
    cal = WorkingCalendar.of(settings)
    first, resolution = sla_hours(kind, settings)
    return Deadlines(
        add_working_time(opened_at, timedelta(hours=first), cal),
        add_working_time(opened_at, timedelta(hours=resolution), cal),
    )


def resumed_deadlines(
    deadlines: Deadlines, paused_at: datetime, now: datetime, cal: WorkingCalendar
) -> Deadlines:
    """T2: after a pause, the deadlines move by the working time the pause lasted."""
    return deadlines.shifted(working_time_between(paused_at, now, cal), cal)


def clock_paused(status: TicketStatus, awaiting_approval: bool) -> bool:
    """T2: the SLA clock stops while waiting on the customer or on an admin's approval."""
    return status is TicketStatus.WAITING_ON_CUSTOMER or awaiting_approval


def next_due(deadlines: Deadlines, first_responded: bool) -> datetime:
    """T2: the queue sorts by the first-response due time, then by the resolution due time."""
    return deadlines.resolution_due_at if first_responded else deadlines.first_response_due_at


def is_overdue(status: TicketStatus, due_at: datetime, paused: bool, now: datetime) -> bool:
    """T2: a live, running ticket past its due time stands out."""
    return status not in CLOSED_STATUSES and not paused and now > due_at


def queue_key(priority: int, due_at: datetime, ticket_id: int) -> tuple[int, datetime, int]:
    """T2: the queue order: priority, then due time, then age (id) as the tie-breaker."""
    return priority, due_at, ticket_id


# --- the status machine and who may act (T3, roles) -------------------------------------------


def ensure_transition(current: TicketStatus, target: TicketStatus) -> None:
    """The ticket life cycle: open -> in_progress <-> waiting_on_customer -> resolved/rejected."""
    if current in CLOSED_STATUSES:
        raise TicketClosed(status=current.value)
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(status=current.value, target=target.value)


def ensure_live(status: TicketStatus) -> None:
    if status in CLOSED_STATUSES:
        raise TicketClosed(status=status.value)


def ensure_staff(actor: Actor) -> None:
    """Roles: agents and admins work the queue."""
    if not actor.is_staff:
        raise StaffOnly()


def ensure_admin(actor: Actor) -> None:
    """Roles: only admins reassign tickets and approve credit notes."""
    if actor.kind is not ActorKind.ADMIN:
        raise AdminOnly()


def ensure_holder(assignee_id: int | None, actor: Actor) -> None:
    """T3: only the agent who holds a ticket works it."""
    ensure_staff(actor)
    if assignee_id is None or str(assignee_id) != actor.id:
        raise NotTicketHolder()


def ensure_holder_or_admin(assignee_id: int | None, actor: Actor) -> None:
    """T3: the holder releases a ticket; an admin may release or reassign any."""
    if actor.kind is not ActorKind.ADMIN:
        ensure_holder(assignee_id, actor)


def ensure_may_see(customer_id: int, actor: Actor) -> None:
    """Roles: a customer sees only their own tickets; staff and the system see all."""
    if actor.kind is ActorKind.CUSTOMER and actor.customer_id != customer_id:
        raise NotYourTicket()
    if actor.kind is ActorKind.API:
        raise StaffOnly()


def ensure_text(text: str) -> str:
    if not text.strip():
        raise EmptyMessage()
    return text.strip()


def ensure_reason(reason: str) -> str:
    """T5: rejecting a ticket, or a credit note, needs a reason."""
    if not reason.strip():
        raise ReasonRequired()
    return reason.strip()


def ensure_rating(rating: int) -> int:
    """T7: a rating is 1 to 5."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidRating(rating=rating)
    return rating


# --- what is at stake (T1) --------------------------------------------------------------------


class StakeLine(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def creditable_minor(self) -> int: ...


class StakeInvoice(Protocol):
    @property
    def paid_minor(self) -> int: ...
    @property
    def refunded_minor(self) -> int: ...
    @property
    def balance_minor(self) -> int: ...
    @property
    def lines(self) -> Sequence[StakeLine]: ...


def amount_at_stake(kind: TicketKind, invoice: StakeInvoice, line_ids: Iterable[int]) -> int:
    """T1: what the request is worth, read off billing's own figures (never recomputed here):
    a refund risks what was paid and not yet refunded, a split or cancellation the chosen
    lines' creditable amounts (the whole balance when none is chosen)."""
    if kind is TicketKind.REFUND:
        return refundable_minor(invoice)
    chosen = set(line_ids)
    if kind is TicketKind.QUESTION or not chosen:
        return invoice.balance_minor
    return sum(line.creditable_minor for line in invoice.lines if line.id in chosen)


def merged_ids(existing: Iterable[int], added: Iterable[int]) -> list[int]:
    """T1: a joining request adds its lines or services to the open ticket's."""
    return sorted(set(existing) | set(added))


def merged_details(
    existing: Mapping[str, Any] | None, added: Mapping[str, Any]
) -> dict[str, Any] | None:
    """T1: a joining request's choices replace the earlier ones (the latest word counts)."""
    merged = {**(existing or {}), **added}
    return merged or None


def refundable_minor(invoice: StakeInvoice) -> int:
    """B6, B9: what a refund ticket can still ask for: paid less already refunded."""
    return max(0, invoice.paid_minor - invoice.refunded_minor)


def is_live(status: str) -> bool:
    """T4: a ticket still takes the customer's messages until resolved or rejected."""
    return status not in CLOSED_STATUSES
