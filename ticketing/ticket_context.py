"""A ticket as the console's ticket page shows it: its thread with the status changes woven
in, and beside it the customer's money and history (invoices, payments, services, account
credit, credit notes, earlier tickets). Also the previews of a money resolution, built by the
same commands the resolutions issue (T5) and priced by billing's own preview and split rules.

Run with `tx.read(...)`; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

import billing
from billing import refund_choice
from billing import rules as money
from billing.commands import IssueCreditNote, LineCredit, Remainder
from billing.read_models import (
    CreditNotePreview,
    CreditNoteView,
    CustomerView,
    InvoiceView,
    PaymentView,
    ServiceView,
)
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.tx import UnitOfWork
from ticketing import repo, rules
from ticketing.errors import InvalidTicketRequest
from ticketing.models import Ticket, TicketKind, User
from ticketing.read_models import TicketView

HISTORY = 20  # invoices, credit notes and tickets of the customer shown beside the thread
SHOWN_EVENTS = (
    "ticket.claimed", "ticket.released", "ticket.reassigned", "ticket.priority_changed",
    "ticket.awaiting_approval", "ticket.resolution_rejected", "ticket.resolved",
    "ticket.rejected", "ticket.converted", "ticket.rated",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """A message (customer, reply, note) or a status change, in time order."""

    at: datetime
    kind: str
    author: str
    text: str = ""
    action: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True)
class TicketContext:
    ticket: TicketView
    entries: tuple[ThreadEntry, ...]
    holder_name: str | None
    customer: CustomerView
    invoice: InvoiceView | None
    invoices: tuple[InvoiceView, ...]
    payments: tuple[PaymentView, ...]
    services: tuple[ServiceView, ...]
    account_credit: dict[str, int]
    credit_notes: tuple[CreditNoteView, ...]
    credit_note: CreditNoteView | None  # this ticket's own, pending or issued
    tickets: tuple[TicketView, ...]  # the customer's other tickets
    cancelled_with: dict[int, tuple[InvoiceView, ...]]  # per ticket service: B5's invoices
    period_ends: dict[int, date | None] = field(default_factory=dict)  # B5: "at period end"
    # how many there are in all of the lists above that show the newest HISTORY
    totals: dict[str, int] = field(default_factory=dict)


async def _events(uow: UnitOfWork, ticket_id: int, names: dict[str, str]) -> list[ThreadEntry]:
    stmt = select(AuditRow).where(
        AuditRow.subject_type == "ticket",
        AuditRow.subject_id == str(ticket_id),
        AuditRow.action.in_(SHOWN_EVENTS),
    )
    rows = (await uow.session.scalars(stmt.order_by(AuditRow.id))).all()
    staff = ("agent", "admin")
    return [
        ThreadEntry(
            r.at, "event",
            names.get(r.actor_id, r.actor_kind) if r.actor_kind in staff else r.actor_kind,
            action=r.action, status=str((r.after or {}).get("status", "")),
        )
        for r in rows
    ]  # fmt: skip


async def _names(uow: UnitOfWork) -> dict[str, str]:
    rows = await uow.session.execute(select(User.id, User.name))
    return {str(r.id): r.name for r in rows}


def _thread(t: TicketView, events: list[ThreadEntry]) -> tuple[ThreadEntry, ...]:
    messages = [ThreadEntry(m.created_at, m.kind, m.author_name or m.author_kind, m.text)
                for m in t.messages]  # fmt: skip
    return tuple(sorted(messages + events, key=lambda e: e.at))


async def ticket_context(uow: UnitOfWork, ticket_id: int, actor: Actor) -> TicketContext:
    """Staff only (the thread has internal notes). Refusals: StaffOnly, TicketNotFound."""
    rules.ensure_staff(actor)
    t = await repo.ticket(uow.session, ticket_id)
    view = TicketView.of(t, await repo.thread(uow.session, t.id), uow.now)
    names = await _names(uow)
    q = billing.queries
    invoices = (await q.invoices_page(uow, customer_id=t.customer_id, limit=HISTORY)).items
    payments = await q.payments_of_invoices(uow, [i.id for i in invoices])
    notes = (await q.credit_notes_page(uow, customer_id=t.customer_id, limit=HISTORY)).items
    tickets = await _tickets_of(uow, t.customer_id, t.id)
    invoice_total, note_total = await q.documents_of(uow, t.customer_id)
    totals = {
        "invoices": invoice_total,
        "credit_notes": note_total,
        "tickets": await _ticket_total(uow, t.customer_id, t.id),
    }
    return TicketContext(
        view, _thread(view, await _events(uow, t.id, names)),
        names.get(str(t.assignee_id)) if t.assignee_id else None,
        await q.customer_view(uow, t.customer_id),
        await q.invoice_view(uow, t.invoice_id) if t.invoice_id else None,
        invoices, payments, await q.services_of(uow, t.customer_id),
        await q.account_credit_of(uow, t.customer_id), notes,
        await q.credit_note_view(uow, t.credit_note_id) if t.credit_note_id else None,
        tickets, await _cancelled_with(uow, t), await _period_ends(uow, t), totals,
    )  # fmt: skip


async def _cancelled_with(uow: UnitOfWork, t: Ticket) -> dict[int, tuple[InvoiceView, ...]]:
    if t.kind != TicketKind.SERVICE_CANCELLATION:
        return {}
    return {s: await billing.queries.invoices_a_termination_cancels(uow, s) for s in t.service_ids}


async def _period_ends(uow: UnitOfWork, t: Ticket) -> dict[int, date | None]:
    """B5: per ticket service, the day a termination at period end keeps it until (or None)."""
    if t.kind != TicketKind.SERVICE_CANCELLATION:
        return {}
    today = uow.now.date()
    return {
        s: billing.period_end_offered(await billing.queries.service_view(uow, s), today)
        for s in t.service_ids
    }


async def _tickets_of(uow: UnitOfWork, customer_id: int, but: int) -> tuple[TicketView, ...]:
    stmt = select(Ticket).where(Ticket.customer_id == customer_id, Ticket.id != but)
    rows = await uow.session.scalars(stmt.order_by(Ticket.id.desc()).limit(HISTORY))
    return tuple(TicketView.of(r, (), uow.now) for r in rows)


async def _ticket_total(uow: UnitOfWork, customer_id: int, but: int) -> int:
    stmt = select(func.count()).where(Ticket.customer_id == customer_id, Ticket.id != but)
    return int(await uow.session.scalar(stmt) or 0)


@dataclass(frozen=True, slots=True)
class ResolutionPreview:
    """The credit note a resolution would issue, and where its value goes (B6, B9, B11)."""

    credit_note: CreditNotePreview
    settles_minor: int  # off the amount still due
    refund_minor: int  # back to the customer's payments, newest first
    account_credit_minor: int
    balance_before: int
    balance_after: int
    account_credit_before: int
    account_credit_after: int
    payments: tuple[PaymentView, ...]
    refund_to: tuple[tuple[PaymentView, int], ...] = ()  # B6: each payment and its share


async def preview_resolution(
    uow: UnitOfWork,
    ticket_id: int,
    actor: Actor,
    *,
    to: Remainder = Remainder.NONE,
    amount_minor: int | None = None,
    line_ids: tuple[int, ...] = (),
    payment_id: int | None = None,
) -> ResolutionPreview:
    """What resolve_refund or resolve_compound_split (dropping lines) would issue, by the same
    command; billing's refusals (ExceedsRefundableAmount, ...) come out just as they would.
    Refusals: StaffOnly, TicketNotFound, WrongResolution."""
    rules.ensure_staff(actor)
    t = await repo.ticket(uow.session, ticket_id)
    if t.invoice_id is None or t.kind not in (TicketKind.REFUND, TicketKind.COMPOUND_SPLIT):
        raise InvalidTicketRequest(problem="this ticket issues no credit note")
    if t.kind == TicketKind.COMPOUND_SPLIT:
        line_ids = line_ids or tuple(t.line_ids)
    lines = tuple(LineCredit(line_id) for line_id in line_ids)
    cmd = IssueCreditNote(t.invoice_id, t.reason, actor, None, lines, amount_minor, to, payment_id)
    preview = await billing.preview_credit_note(uow, cmd)
    invoice = await billing.queries.invoice_view(uow, t.invoice_id)
    payments = await billing.queries.payments_of(uow, t.invoice_id)
    refundable = sum(
        p.amount_minor - p.refunded_minor for p in payments if p.method != "account_credit"
    )
    total, balance = preview.total_minor, invoice.balance_minor
    settles, refund, credit = money.split_credit(total, balance, refundable, to)
    held = (await billing.queries.account_credit_of(uow, t.customer_id)).get(invoice.currency, 0)
    shares = tuple(refund_choice.allocation(payments, payment_id, refund))
    return ResolutionPreview(
        preview, settles, refund, credit, invoice.balance_minor, invoice.balance_minor - settles,
        held, held + credit, tuple(sorted(payments, key=lambda p: p.id, reverse=True)), shares,
    )  # fmt: skip
