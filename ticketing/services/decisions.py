"""An admin's decision on a pending credit note, from the approvals page (B11, T5, M13).

A note parked on a ticket is decided through the ticket (approval resolves it, rejection sends
it back to its agent with the admin's note); a pending note without a ticket is decided in
billing alone. Either way nobody decides their own (billing and ticketing both refuse)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

import billing
from billing.commands import ApproveCreditNote, RejectCreditNote
from billing.read_models import CreditNoteView
from support_desk.core.actors import Actor
from support_desk.core.tx import UnitOfWork
from ticketing import rules
from ticketing.commands import ApproveResolution, RejectResolution
from ticketing.models import Ticket
from ticketing.services._common import NESTED_KEY, staff_user
from ticketing.services.approval import approve_resolution, reject_resolution


@dataclass(frozen=True, slots=True)
class DecideCreditNote:
    credit_note_id: int
    approve: bool
    actor: Actor
    note: str = ""  # required to reject: the agent reads it
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class CreditNoteDecision:
    credit_note: CreditNoteView
    ticket_id: int | None


async def _parked_ticket(uow: UnitOfWork, credit_note_id: int) -> int | None:
    """The ticket parked on this very note, if any (an older, rejected note of the same ticket
    is not the one it waits on)."""
    found = await uow.session.scalars(
        select(Ticket.id).where(Ticket.credit_note_id == credit_note_id, Ticket.awaiting_approval)
    )
    return found.first()


async def decide_credit_note(uow: UnitOfWork, cmd: DecideCreditNote) -> CreditNoteDecision:
    """B11: approve or reject a pending credit note. Refusals: AdminOnly, OwnCreditNote /
    SelfApproval (code own_credit_note), ReasonRequired, CreditNoteNotPending,
    NotAwaitingApproval (decided by another admin meanwhile)."""
    if (earlier := await uow.idempotency.replay(cmd, CreditNoteDecision)) is not None:
        return earlier
    rules.ensure_admin(cmd.actor)
    await staff_user(uow, cmd.actor)
    note = "" if cmd.approve else rules.ensure_reason(cmd.note)
    ticket_id = await _parked_ticket(uow, cmd.credit_note_id)
    if ticket_id is not None:
        if cmd.approve:
            done = await approve_resolution(uow, ApproveResolution(ticket_id, cmd.actor))
        else:
            done = await reject_resolution(uow, RejectResolution(ticket_id, note, cmd.actor))
        assert done.credit_note is not None  # a parked ticket's decision returns its note
        decided = done.credit_note
    elif cmd.approve:
        approve = ApproveCreditNote(cmd.credit_note_id, cmd.actor, NESTED_KEY)
        decided = await billing.approve_credit_note(uow, approve)
    else:
        reject = RejectCreditNote(cmd.credit_note_id, note, cmd.actor, NESTED_KEY)
        decided = await billing.reject_credit_note(uow, reject)
    return await uow.idempotency.remember(cmd, CreditNoteDecision(decided, ticket_id))
