"""An admin's decision on a ticket parked for approval (B11, T5, M13): approval issues the
credit note and resolves the ticket; rejection sends it back to its agent with the admin's note."""

from __future__ import annotations

import billing
from billing.commands import ApproveCreditNote, RejectCreditNote
from support_desk.core.idempotency import idempotent
from support_desk.core.tx import UnitOfWork
from ticketing import rules
from ticketing.commands import ApproveResolution, RejectResolution
from ticketing.errors import NotAwaitingApproval, SelfApproval
from ticketing.models import MessageKind, Ticket
from ticketing.read_models import Resolution
from ticketing.services._common import (
    NESTED_KEY,
    add_message,
    finish,
    load,
    snapshot,
    staff_user,
    view_of,
)
from ticketing.services.resolution import close_resolved


async def _parked(
    uow: UnitOfWork, ticket_id: int, cmd: ApproveResolution | RejectResolution
) -> Ticket:
    rules.ensure_admin(cmd.actor)
    await staff_user(uow, cmd.actor)
    t = await load(uow, ticket_id)
    if not t.awaiting_approval or t.credit_note_id is None:
        raise NotAwaitingApproval(ticket_id=t.id)
    if t.proposed_by == cmd.actor.label:
        raise SelfApproval()  # B11: nobody approves their own credit note
    return t


def _waiting(t: Ticket) -> list[int]:
    """The credit notes the ticket waits for: one, or (a service termination) one per large
    invoice it cancels (B5, B11)."""
    assert t.credit_note_id is not None
    return list((t.resolution or {}).get("credit_note_ids", [t.credit_note_id]))


@idempotent
async def approve_resolution(uow: UnitOfWork, cmd: ApproveResolution) -> Resolution:
    """B11, T5: the admin approves; the credit note is issued and the ticket resolved, in one
    transaction. Refusals: AdminOnly, SelfApproval, NotAwaitingApproval."""
    t = await _parked(uow, cmd.ticket_id, cmd)
    assert t.credit_note_id is not None
    before = snapshot(t)
    notes = [
        await billing.approve_credit_note(uow, ApproveCreditNote(note_id, cmd.actor, NESTED_KEY))
        for note_id in _waiting(t)
    ]
    cn = next(n for n in notes if n.id == t.credit_note_id)
    t.awaiting_approval = False
    outcome = {**(t.resolution or {}), "pending_approval": False, "approved_by": cmd.actor.label}
    view = await close_resolved(uow, t, cmd.actor, outcome, before)
    return Resolution(view, cn)


@idempotent
async def reject_resolution(uow: UnitOfWork, cmd: RejectResolution) -> Resolution:
    """B11, T5: the admin rejects the credit note with a note; the ticket goes back to its
    agent, its SLA clock running again. Refusals: AdminOnly, SelfApproval, ReasonRequired."""
    note = rules.ensure_reason(cmd.note)
    t = await _parked(uow, cmd.ticket_id, cmd)
    assert t.credit_note_id is not None
    before = snapshot(t)
    notes = [
        await billing.reject_credit_note(uow, RejectCreditNote(i, note, cmd.actor, NESTED_KEY))
        for i in _waiting(t)
    ]
    cn = next(n for n in notes if n.id == t.credit_note_id)
    t.awaiting_approval = False
    t.credit_note_id = None
    t.resolution = None
    t.approval_note = note
    # The thread keeps the admin's own words; what was rejected is the ticket's state and audit
    # row, which the console renders in the reader's language.
    add_message(uow, t, MessageKind.NOTE, cmd.actor, note)
    await finish(uow, cmd.actor, t, "ticket.resolution_rejected", before)
    return Resolution(await view_of(uow, t), cn)
