"""What ticketing answers: frozen read models, never ORM rows; they serialise for idempotent
replay (B13) and render without lazy loads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing.read_models import CreditNoteView, InvoiceView, ServiceView, Termination
from support_desk.core.records import from_row
from ticketing import rules
from ticketing.models import MessageKind, Ticket, TicketMessage, TicketStatus, User


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    kind: str
    author_kind: str
    author_id: str
    author_name: str
    text: str
    created_at: datetime

    @classmethod
    def of(cls, row: TicketMessage) -> MessageView:
        return from_row(cls, row)


@dataclass(frozen=True, slots=True)
class TicketSummary:
    """What every view of a ticket shows: enough to pick it from the queue (T2), with the
    overdue flag."""

    id: int
    kind: str
    status: str
    priority: int
    customer_id: int
    invoice_id: int | None
    currency: str | None
    amount_minor: int | None
    assignee_id: int | None
    due_at: datetime
    overdue: bool
    awaiting_approval: bool
    version: int


@dataclass(frozen=True, slots=True)
class TicketView(TicketSummary):
    line_ids: tuple[int, ...]
    service_ids: tuple[int, ...]
    reason: str
    created_at: datetime
    updated_at: datetime
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_responded_at: datetime | None
    paused: bool
    credit_note_id: int | None
    approval_note: str | None
    resolution: dict[str, Any] | None
    rejection_reason: str | None
    closed_at: datetime | None
    rating: int | None
    messages: tuple[MessageView, ...] = ()
    joined: bool = False
    details: dict[str, Any] | None = None

    @classmethod
    def of(
        cls,
        t: Ticket,
        messages: Iterable[TicketMessage],
        now: datetime,
        *,
        internal: bool = True,
        joined: bool = False,
    ) -> TicketView:
        """`internal=False` drops internal notes: what a customer may read (T4)."""
        shown = tuple(
            MessageView.of(m) for m in messages if internal or m.kind != MessageKind.NOTE
        )
        return from_row(
            cls,
            t,
            line_ids=tuple(t.line_ids),
            service_ids=tuple(t.service_ids),
            overdue=_overdue(t, now),
            paused=t.paused_at is not None,
            approval_note=t.approval_note if internal else None,
            messages=shown,
            joined=joined,
        )


def _overdue(t: Ticket, now: datetime) -> bool:
    return rules.is_overdue(TicketStatus(t.status), t.due_at, t.paused_at is not None, now)


@dataclass(frozen=True, slots=True)
class QueueItem(TicketSummary):
    """One row of the agents' queue (T2)."""

    @classmethod
    def of(cls, t: Ticket, now: datetime) -> QueueItem:
        return from_row(cls, t, overdue=_overdue(t, now))


@dataclass(frozen=True, slots=True)
class QueueCursor:
    """Keyset position in the queue order (priority, due time, id)."""

    priority: int
    due_at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: tuple[QueueItem, ...]
    next_after: QueueCursor | None


@dataclass(frozen=True, slots=True)
class Resolution:
    """The answer to a resolution (T5): the ticket and what billing did for it."""

    ticket: TicketView
    credit_note: CreditNoteView | None = None
    new_invoices: tuple[InvoiceView, ...] = ()
    terminations: tuple[Termination, ...] = ()
    scheduled: tuple[ServiceView, ...] = ()  # B5: services set to stop at their period's end


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    login: str
    name: str
    role: str
    active: bool
    created_at: datetime
    session_version: int
    locale: str | None = None

    @classmethod
    def of(cls, u: User) -> UserView:
        return cls(
            u.id, u.login, u.name, u.role, u.active, u.created_at, u.session_version, u.locale
        )
