"""The approvals page (admins, B11): credit notes awaiting an admin, longest waiting first, each
with its ticket, the agent who asked, the customer, the invoice, the note's lines and what
approving it would do; and the decisions of the last 30 days. Run with `tx.read(...)`.

`own` marks a request the reading admin made: billing refuses their approval (B11), and the page
says so instead of hiding the buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from billing import repo as billing_repo
from billing.approval_preview import ApprovalPreview, approval_preview
from billing.models import CreditNote, CreditNoteStatus, Customer
from billing.read_models import CreditNoteView, document_number
from support_desk.core.actors import Actor
from support_desk.core.tx import UnitOfWork
from ticketing import rules
from ticketing.admin_models import TicketCreditNote
from ticketing.models import MessageKind, Ticket, TicketMessage, User
from ticketing.register import staff_id

MAX_PENDING = 100
DECIDED_DAYS = 30
HISTORY_DAYS = 90


@dataclass(frozen=True, slots=True)
class PendingApproval:
    credit_note: CreditNoteView
    preview: ApprovalPreview
    ticket_id: int | None
    ticket_reason: str | None
    agent_name: str | None
    customer_name: str
    customer_external_id: str
    requested_at: datetime
    waiting_minutes: int
    own: bool
    last_messages: tuple[tuple[str, str], ...]  # (kind, text) of the thread's last customer words
    recent_count: int  # the customer's credit notes of the last 90 days, this one left out
    recent_total_minor: int


@dataclass(frozen=True, slots=True)
class Decision:
    credit_note_id: int
    number: str | None
    status: str  # issued (approved) or rejected
    ticket_id: int | None
    customer_name: str
    currency: str
    total_minor: int
    agent_name: str | None
    decided_by_name: str | None
    decision_note: str | None
    requested_at: datetime


def is_own(actor: Actor, created_by: str) -> bool:
    """The same person, whichever role they asked in (as billing's B11 check)."""
    return created_by in (actor.label, f"agent:{actor.id}", f"admin:{actor.id}")


async def _names(uow: UnitOfWork, labels: set[str | None]) -> dict[int, str]:
    ids = {i for i in (staff_id(label) for label in labels) if i is not None}
    if not ids:
        return {}
    rows = await uow.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {r.id: r.name for r in rows}


def _name(names: dict[int, str], label: str | None) -> str | None:
    ident = staff_id(label)
    return None if ident is None else names.get(ident)


async def _last_messages(uow: UnitOfWork, ticket_id: int | None) -> tuple[tuple[str, str], ...]:
    if ticket_id is None:
        return ()
    rows = await uow.session.execute(
        select(TicketMessage.kind, TicketMessage.text)
        .where(TicketMessage.ticket_id == ticket_id, TicketMessage.kind != MessageKind.NOTE)
        .order_by(TicketMessage.id.desc())
        .limit(3)
    )
    return tuple((r.kind, r.text) for r in reversed(rows.all()))


async def _recent(uow: UnitOfWork, note: CreditNote) -> tuple[int, int]:
    since = uow.now - timedelta(days=HISTORY_DAYS)
    row = (
        await uow.session.execute(
            select(func.count(), func.coalesce(func.sum(CreditNote.total_minor), 0)).where(
                CreditNote.customer_id == note.customer_id,
                CreditNote.currency == note.currency,
                CreditNote.status == CreditNoteStatus.ISSUED,
                CreditNote.created_at >= since,
                CreditNote.id != note.id,
            )
        )
    ).one()
    return int(row[0]), int(row[1])


PendingRow = tuple[CreditNote, str, str, int | None, str | None]


async def _pending(
    uow: UnitOfWork, actor: Actor, row: PendingRow, names: dict[int, str]
) -> PendingApproval:
    note, customer_name, external_id, ticket_id, ticket_reason = row
    count, total = await _recent(uow, note)
    return PendingApproval(
        credit_note=await billing_repo.credit_note_view(uow.session, note.id),
        preview=await approval_preview(uow, note.id),
        ticket_id=ticket_id,
        ticket_reason=ticket_reason,
        agent_name=_name(names, note.created_by),
        customer_name=customer_name,
        customer_external_id=external_id,
        requested_at=note.created_at,
        waiting_minutes=int((uow.now - note.created_at).total_seconds() // 60),
        own=is_own(actor, note.created_by),
        last_messages=await _last_messages(uow, ticket_id),
        recent_count=count,
        recent_total_minor=total,
    )


async def pending_approvals(uow: UnitOfWork, actor: Actor) -> tuple[PendingApproval, ...]:
    """B11: what waits for an admin, longest waiting first. Refusals: AdminOnly."""
    rules.ensure_admin(actor)
    stmt = (
        select(CreditNote, Customer.name, Customer.external_id, Ticket.id, Ticket.reason)
        .join(Customer, Customer.id == CreditNote.customer_id)
        .outerjoin(TicketCreditNote, TicketCreditNote.credit_note_id == CreditNote.id)
        .outerjoin(Ticket, Ticket.id == TicketCreditNote.ticket_id)
        .where(CreditNote.status == CreditNoteStatus.PENDING_APPROVAL)
        .order_by(CreditNote.created_at, CreditNote.id)
        .limit(MAX_PENDING)
    )
    rows = (await uow.session.execute(stmt)).all()
    names = await _names(uow, {r[0].created_by for r in rows})
    return tuple([await _pending(uow, actor, r, names) for r in rows])


async def pending_count(uow: UnitOfWork, actor: Actor) -> int:
    """The badge beside Approvals in the top bar."""
    rules.ensure_admin(actor)
    stmt = select(func.count()).where(CreditNote.status == CreditNoteStatus.PENDING_APPROVAL)
    return int(await uow.session.scalar(stmt) or 0)


async def recent_decisions(uow: UnitOfWork, actor: Actor) -> tuple[Decision, ...]:
    """B11: approvals and rejections of the last 30 days, newest first. Refusals: AdminOnly."""
    rules.ensure_admin(actor)
    since = uow.now - timedelta(days=DECIDED_DAYS)
    stmt = (
        select(CreditNote, Customer.name, TicketCreditNote.ticket_id)
        .join(Customer, Customer.id == CreditNote.customer_id)
        .outerjoin(TicketCreditNote, TicketCreditNote.credit_note_id == CreditNote.id)
        .where(CreditNote.decided_by.is_not(None), CreditNote.created_at >= since)
        .order_by(CreditNote.id.desc())
        .limit(MAX_PENDING)
    )
    rows = (await uow.session.execute(stmt)).all()
    labels: set[str | None] = {r[0].created_by for r in rows}
    names = await _names(uow, labels | {r[0].decided_by for r in rows})
    return tuple(
        Decision(
            note.id,
            document_number(note.series, note.number),
            note.status,
            ticket_id,
            customer_name,
            note.currency,
            note.total_minor,
            _name(names, note.created_by),
            _name(names, note.decided_by),
            note.decision_note,
            note.created_at,
        )
        for note, customer_name, ticket_id in rows
    )
