"""Around every ticketing use case: load and version-check the ticket (D5), check the staff
user, keep the SLA clock right (T2), audit (T6) and tell the customer (T7)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from support_desk.core.actors import Actor, ActorKind
from support_desk.core.messages import CustomerMessage
from support_desk.core.records import attributes
from support_desk.core.tx import UnitOfWork
from ticketing import repo, rules
from ticketing.errors import AdminOnly, StaffOnly, TicketChangedMeanwhile, UserInactive
from ticketing.models import (
    MessageKind,
    Role,
    Ticket,
    TicketMessage,
    TicketStatus,
    User,
)
from ticketing.read_models import TicketView

AUDITED = (
    "status",
    "priority",
    "assignee_id",
    "awaiting_approval",
    "credit_note_id",
    "rating",
    "version",
)


def snapshot(t: Ticket) -> dict[str, Any]:
    """The audited state of a ticket (T6: before and after)."""
    return attributes(t, AUDITED)


# The billing step of a resolution runs without a key of its own: the ticketing command's key
# already makes the whole unit of work happen once (B13), so a second key would add nothing.
NESTED_KEY: None = None


async def load(uow: UnitOfWork, ticket_id: int, expected_version: int | None = None) -> Ticket:
    """The ticket, locked for change; refused if it moved past the version the caller saw."""
    t = await repo.ticket(uow.session, ticket_id, lock=True)
    if expected_version is not None and t.version != expected_version:
        raise TicketChangedMeanwhile(ticket_id=ticket_id, version=t.version)
    return t


async def staff_user(uow: UnitOfWork, actor: Actor) -> User:
    """Roles: the acting agent or admin exists, is active and has the role it claims."""
    rules.ensure_staff(actor)
    try:
        user = await repo.user(uow.session, int(actor.id))
    except ValueError as exc:
        raise StaffOnly() from exc
    if not user.active:
        raise UserInactive()
    if actor.kind is ActorKind.ADMIN and user.role != Role.ADMIN:
        raise AdminOnly()
    return user


def sync_clock(uow: UnitOfWork, t: Ticket) -> None:
    """T2: stop the SLA clock on a pause, move the deadlines on by the pause when it ends."""
    cal = rules.WorkingCalendar.of(uow.settings.ticketing)
    paused = rules.clock_paused(TicketStatus(t.status), t.awaiting_approval)
    if paused and t.paused_at is None:
        t.paused_at = uow.now
    elif not paused and t.paused_at is not None:
        deadlines = rules.resumed_deadlines(
            rules.Deadlines(t.first_response_due_at, t.resolution_due_at),
            t.paused_at,
            uow.now,
            cal,
        )
        if t.first_responded_at is None:  # a met first-response deadline stays as it was
            t.first_response_due_at = deadlines.first_response_due_at
        t.resolution_due_at = deadlines.resolution_due_at
        t.paused_at = None
    t.due_at = rules.next_due(
        rules.Deadlines(t.first_response_due_at, t.resolution_due_at),
        t.first_responded_at is not None,
    )


@dataclass(frozen=True, kw_only=True)
class TicketStatusChanged(CustomerMessage, kind="ticket_status_changed"):
    """T7: the customer hears of every status change of their ticket."""

    ticket_id: int
    status: str


def move(uow: UnitOfWork, t: Ticket, target: TicketStatus, *, tell: bool = True) -> None:
    """Change the status along the life cycle; the customer hears of it (T7)."""
    rules.ensure_transition(TicketStatus(t.status), target)
    t.status = target
    if target in (TicketStatus.RESOLVED, TicketStatus.REJECTED):
        t.closed_at = uow.now
        t.awaiting_approval = False
    if tell:
        uow.notify(t.customer_id, TicketStatusChanged(ticket_id=t.id, status=target.value))


def add_message(
    uow: UnitOfWork, t: Ticket, kind: MessageKind, actor: Actor, text: str
) -> TicketMessage:
    """T4: one entry of the thread, with its author and time."""
    row = TicketMessage(
        ticket_id=t.id,
        kind=kind,
        author_kind=actor.kind.value,
        author_id=actor.id,
        author_name=actor.name,
        text=text,
        created_at=uow.now,
    )
    uow.session.add(row)
    return row


async def finish(
    uow: UnitOfWork, actor: Actor, t: Ticket, action: str, before: dict[str, Any]
) -> None:
    """Close a change: SLA clock, version bump with its optimistic check (D5), audit (T6)."""
    sync_clock(uow, t)
    t.updated_at = uow.now
    await repo.flush(uow.session, t.id)
    uow.audit(actor, action, subject=("ticket", t.id), before=before, after=snapshot(t))


async def view_of(
    uow: UnitOfWork, t: Ticket, *, internal: bool = True, joined: bool = False
) -> TicketView:
    messages = await repo.thread(uow.session, t.id)
    return TicketView.of(t, messages, uow.now, internal=internal, joined=joined)
