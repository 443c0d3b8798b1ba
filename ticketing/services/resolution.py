"""Resolving and rejecting tickets (T5, T6, T7). Each resolution runs its billing use case in
the same unit of work as the status change, so both happen or neither does; a credit note that
needs an admin's approval (B11) parks the ticket, its SLA clock paused (T2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import billing
from billing.commands import (
    IssueCreditNote,
    LineCredit,
    Remainder,
    ScheduleTermination,
    SplitInvoice,
    TerminateService,
)
from billing.models import CreditNoteStatus
from billing.read_models import CreditNoteView
from support_desk.core.actors import Actor
from support_desk.core.idempotency import idempotent
from support_desk.core.messages import CustomerMessage
from support_desk.core.tx import UnitOfWork
from ticketing import rules
from ticketing.commands import (
    RejectTicket,
    ResolveCompoundSplit,
    ResolveQuestion,
    ResolveRefund,
    ResolveServiceCancellation,
)
from ticketing.errors import AwaitingApproval, InvalidTicketRequest, WrongResolution
from ticketing.models import MessageKind, Ticket, TicketKind, TicketStatus
from ticketing.read_models import Resolution, TicketView
from ticketing.services._common import (
    NESTED_KEY,
    add_message,
    finish,
    load,
    move,
    snapshot,
    staff_user,
    view_of,
)
from ticketing.services.credit_links import link_credit_notes
from ticketing.services.thread import TicketReply


@dataclass(frozen=True, kw_only=True)
class TicketResolved(CustomerMessage, kind="ticket_resolved"):
    """T7: the ticket is resolved; `resolution` is what was done (kept for the record)."""

    ticket_id: int
    ticket_kind: str
    resolution: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class RatingRequest(CustomerMessage, kind="rating_request"):
    """T7: after a resolution the customer is asked for 1 to 5 stars."""

    ticket_id: int


@dataclass(frozen=True, kw_only=True)
class TicketRejected(CustomerMessage, kind="ticket_rejected"):
    """T7: the ticket was closed without a change, with the agent's reason."""

    ticket_id: int
    reason: str


async def workable(
    uow: UnitOfWork, ticket_id: int, actor: Actor, version: int | None, kind: TicketKind | None
) -> Ticket:
    """T3, T5: a live ticket the actor holds, not parked for approval, of the expected kind."""
    await staff_user(uow, actor)
    t = await load(uow, ticket_id, version)
    rules.ensure_live(TicketStatus(t.status))
    rules.ensure_holder(t.assignee_id, actor)
    if t.awaiting_approval:
        raise AwaitingApproval(ticket_id=t.id)
    if kind is not None and t.kind != kind:
        raise WrongResolution(kind=t.kind)
    return t


async def close_resolved(
    uow: UnitOfWork, t: Ticket, actor: Actor, outcome: dict[str, Any], before: dict[str, Any]
) -> TicketView:
    """T5, T7: resolved; the customer is told and asked for a rating."""
    t.resolution = outcome
    move(uow, t, TicketStatus.RESOLVED, tell=False)
    uow.notify(
        t.customer_id, TicketResolved(ticket_id=t.id, ticket_kind=t.kind, resolution=outcome)
    )
    uow.notify(t.customer_id, RatingRequest(ticket_id=t.id))
    await finish(uow, actor, t, "ticket.resolved", before)
    return await view_of(uow, t)


async def _settle_credit(
    uow: UnitOfWork, t: Ticket, actor: Actor, cn: CreditNoteView, outcome: dict[str, Any]
) -> Resolution:
    """T5, B11: an issued credit note resolves the ticket; a pending one parks it."""
    before = snapshot(t)
    t.credit_note_id = cn.id
    link_credit_notes(uow, t.id, actor, [cn.id])
    outcome = {**outcome, "credit_note_id": cn.id}
    if cn.status != CreditNoteStatus.PENDING_APPROVAL:
        return Resolution(await close_resolved(uow, t, actor, outcome, before), cn)
    t.awaiting_approval = True
    t.proposed_by = actor.label
    t.approval_note = None
    t.resolution = {**outcome, "pending_approval": True}
    await finish(uow, actor, t, "ticket.awaiting_approval", before)
    return Resolution(await view_of(uow, t), cn)


@idempotent
async def resolve_compound_split(uow: UnitOfWork, cmd: ResolveCompoundSplit) -> Resolution:
    """T5, B7: credit the dropped lines of a compound invoice, or cancel it and re-invoice the
    kept lines (`keep`). Refusals: NotTicketHolder, WrongResolution, AwaitingApproval, and
    billing's own (InvoicePartiallyPaid, ExceedsCreditableAmount, ...)."""
    t = await workable(
        uow, cmd.ticket_id, cmd.actor, cmd.expected_version, TicketKind.COMPOUND_SPLIT
    )
    assert t.invoice_id is not None
    reason = cmd.note.strip() or t.reason
    key = NESTED_KEY
    if cmd.keep:
        split = await billing.split_invoice(
            uow, SplitInvoice(t.invoice_id, reason, cmd.keep, cmd.actor, key)
        )
        outcome = {"action": "split", "new_invoice_ids": [i.id for i in split.new_invoices]}
        result = await _settle_credit(uow, t, cmd.actor, split.credit_note, outcome)
        return Resolution(result.ticket, result.credit_note, split.new_invoices)
    dropped = cmd.drop_line_ids or tuple(t.line_ids)
    if not dropped:
        raise InvalidTicketRequest(problem="choose the lines to credit")
    lines = tuple(LineCredit(line_id) for line_id in dropped)
    cn = await billing.issue_credit_note(
        uow, IssueCreditNote(t.invoice_id, reason, cmd.actor, key, lines, None, cmd.remainder)
    )
    outcome = {"action": "credit_lines", "line_ids": list(dropped)}
    return await _settle_credit(uow, t, cmd.actor, cn, outcome)


@idempotent
async def resolve_refund(uow: UnitOfWork, cmd: ResolveRefund) -> Resolution:
    """T5, B6: a credit note whose remainder goes back as money (REFUND) or as account credit.
    Refusals: NotTicketHolder, WrongResolution, AwaitingApproval, InvalidTicketRequest, and
    billing's own (ExceedsRefundableAmount, ...)."""
    if cmd.to not in (Remainder.REFUND, Remainder.ACCOUNT_CREDIT):
        raise InvalidTicketRequest(problem="a refund goes back as money or as account credit")
    t = await workable(uow, cmd.ticket_id, cmd.actor, cmd.expected_version, TicketKind.REFUND)
    assert t.invoice_id is not None
    lines = tuple(LineCredit(line_id) for line_id in cmd.line_ids)
    issue = IssueCreditNote(
        t.invoice_id,
        cmd.note.strip() or t.reason,
        cmd.actor,
        NESTED_KEY,
        lines,
        cmd.amount_minor,
        cmd.to,
        cmd.payment_id,
    )
    cn = await billing.issue_credit_note(uow, issue)
    outcome: dict[str, Any] = {"action": "refund", "to": cmd.to.value}
    if cmd.payment_id is not None:
        outcome["payment_id"] = cmd.payment_id
    return await _settle_credit(uow, t, cmd.actor, cn, outcome)


@idempotent
async def resolve_service_cancellation(
    uow: UnitOfWork, cmd: ResolveServiceCancellation
) -> Resolution:
    """T5, B5: terminate the services concerned now (billing cancels their unpaid invoices),
    or at the end of their period (`at_period_end`: billing does it then). Refusals:
    NotTicketHolder, WrongResolution, billing's ServiceAlreadyTerminated, NoBillingPeriod,
    TerminationAlreadyScheduled, ..."""
    kind = TicketKind.SERVICE_CANCELLATION
    t = await workable(uow, cmd.ticket_id, cmd.actor, cmd.expected_version, kind)
    service_ids = cmd.service_ids or tuple(t.service_ids)
    if not service_ids:
        raise InvalidTicketRequest(problem="choose the services to terminate")
    before = snapshot(t)
    reason = cmd.note.strip() or t.reason
    if cmd.at_period_end:
        return await _at_period_end(uow, t, cmd.actor, service_ids, reason, before)
    terminations = tuple(
        [
            await billing.terminate_service(
                uow,
                TerminateService(sid, reason, cmd.actor, NESTED_KEY),
            )
            for sid in service_ids
        ]
    )
    made = [
        c.credit_note
        for x in terminations
        for c in x.cancellations
        if c.credit_note is not None and not c.already_cancelled
    ]
    outcome: dict[str, Any] = {"action": "terminate_services", "service_ids": list(service_ids)}
    waiting = [cn for cn in made if cn.status == CreditNoteStatus.PENDING_APPROVAL]
    if waiting:  # B11: the large cancellations wait for an admin, and the ticket with them
        outcome["credit_note_ids"] = [cn.id for cn in waiting]
        link_credit_notes(uow, t.id, cmd.actor, [cn.id for cn in made if cn is not waiting[0]])
        parked = await _settle_credit(uow, t, cmd.actor, waiting[0], outcome)  # links the first
        return Resolution(parked.ticket, parked.credit_note, terminations=terminations)
    link_credit_notes(uow, t.id, cmd.actor, [cn.id for cn in made])
    view = await close_resolved(uow, t, cmd.actor, outcome, before)
    return Resolution(view, terminations=terminations)


async def _at_period_end(
    uow: UnitOfWork,
    t: Ticket,
    actor: Actor,
    service_ids: tuple[int, ...],
    reason: str,
    before: dict[str, Any],
) -> Resolution:
    """B5, T5: each service is kept until its period ends, then stops (billing tells the
    customer the day and carries it out); the ticket is resolved now."""
    scheduled = tuple(
        [
            await billing.schedule_termination(
                uow, ScheduleTermination(sid, reason, actor, NESTED_KEY)
            )
            for sid in service_ids
        ]
    )
    outcome: dict[str, Any] = {
        "action": "terminate_at_period_end",
        "service_ids": list(service_ids),
        "terminates_on": {str(s.id): str(s.terminates_on) for s in scheduled},
    }
    view = await close_resolved(uow, t, actor, outcome, before)
    return Resolution(view, scheduled=scheduled)


@idempotent
async def resolve_question(uow: UnitOfWork, cmd: ResolveQuestion) -> Resolution:
    """T4, T5: answer a question (the answer reaches the customer) and resolve it."""
    t = await workable(uow, cmd.ticket_id, cmd.actor, cmd.expected_version, TicketKind.QUESTION)
    answer = rules.ensure_text(cmd.answer)
    before = snapshot(t)
    add_message(uow, t, MessageKind.REPLY, cmd.actor, answer)
    uow.notify(t.customer_id, TicketReply(ticket_id=t.id, text=answer))
    t.first_responded_at = t.first_responded_at or uow.now
    view = await close_resolved(uow, t, cmd.actor, {"action": "answered"}, before)
    return Resolution(view)


@idempotent
async def reject_ticket(uow: UnitOfWork, cmd: RejectTicket) -> TicketView:
    """T5, T7: the holder turns a request down, with a reason the customer is told.
    Refusals: ReasonRequired, NotTicketHolder, AwaitingApproval, TicketClosed."""
    reason = rules.ensure_reason(cmd.reason)
    t = await workable(uow, cmd.ticket_id, cmd.actor, cmd.expected_version, None)
    before = snapshot(t)
    move(uow, t, TicketStatus.REJECTED, tell=False)
    t.rejection_reason = reason
    uow.notify(t.customer_id, TicketRejected(ticket_id=t.id, reason=reason))
    await finish(uow, cmd.actor, t, "ticket.rejected", before)
    return await view_of(uow, t)
