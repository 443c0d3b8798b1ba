"""Claiming, releasing and reassigning tickets (T3), and the agent's edits of the ticket itself.

One ticket never has two agents: a claim is a conditional UPDATE that only changes a ticket that
is still open at the version the claimer read; on PostgreSQL the next-ticket pick skips rows
other claimers hold (SKIP LOCKED), on SQLite BEGIN IMMEDIATE serialises the claimers.
"""

from __future__ import annotations

from support_desk.core.idempotency import idempotent
from support_desk.core.tx import UnitOfWork
from ticketing import repo, rules
from ticketing.commands import ClaimNext, ClaimTicket, ReassignTicket, ReleaseTicket, SetPriority
from ticketing.errors import AwaitingApproval, QueueEmpty, TicketAlreadyClaimed, UserInactive
from ticketing.models import Ticket, TicketStatus
from ticketing.read_models import TicketView
from ticketing.services._common import (
    TicketStatusChanged,
    finish,
    load,
    move,
    snapshot,
    staff_user,
    view_of,
)

_PICK_ATTEMPTS = 20


@idempotent
async def claim_next(uow: UnitOfWork, cmd: ClaimNext) -> TicketView:
    """T2, T3: take the first open ticket in queue order. Refusals: StaffOnly, QueueEmpty."""
    user = await staff_user(uow, cmd.actor)
    for _ in range(_PICK_ATTEMPTS):
        picked = await repo.next_open(uow.session)
        if picked is None:
            raise QueueEmpty()
        if await repo.take(uow.session, picked[0], picked[1], user.id, uow.now):
            t = await _claimed(uow, cmd, picked[0])
            return await view_of(uow, t)
    raise QueueEmpty()  # every pick was lost to a faster claimer; the caller may retry


@idempotent
async def claim_ticket(uow: UnitOfWork, cmd: ClaimTicket) -> TicketView:
    """T3: take a chosen open ticket. Refusals: StaffOnly, TicketAlreadyClaimed, TicketClosed."""
    user = await staff_user(uow, cmd.actor)
    t = await repo.ticket(uow.session, cmd.ticket_id, lock=True)
    if t.status != TicketStatus.OPEN:
        rules.ensure_live(TicketStatus(t.status))
        raise TicketAlreadyClaimed(ticket_id=t.id)
    if not await repo.take(uow.session, t.id, t.version, user.id, uow.now):
        raise TicketAlreadyClaimed(ticket_id=t.id)
    t = await _claimed(uow, cmd, t.id)
    return await view_of(uow, t)


async def _claimed(uow: UnitOfWork, cmd: ClaimNext | ClaimTicket, ticket_id: int) -> Ticket:
    t = await repo.ticket(uow.session, ticket_id)
    before = {**snapshot(t), "status": TicketStatus.OPEN.value, "assignee_id": None}
    uow.audit(
        cmd.actor, "ticket.claimed", subject=("ticket", t.id), before=before, after=snapshot(t)
    )
    uow.notify(t.customer_id, TicketStatusChanged(ticket_id=t.id, status=t.status))
    return t


@idempotent
async def release_ticket(uow: UnitOfWork, cmd: ReleaseTicket) -> TicketView:
    """T3: the holder (or an admin) puts a ticket back in the queue. Refusals: NotTicketHolder,
    TicketClosed, TicketChangedMeanwhile, AwaitingApproval (a parked ticket waits for the admin's
    decision with its holder; released, nobody could finish it)."""
    await staff_user(uow, cmd.actor)
    t = await load(uow, cmd.ticket_id, cmd.expected_version)
    rules.ensure_holder_or_admin(t.assignee_id, cmd.actor)
    if t.awaiting_approval:
        raise AwaitingApproval(ticket_id=t.id)
    before = snapshot(t)
    move(uow, t, TicketStatus.OPEN)
    t.assignee_id = None
    t.claimed_at = None
    await finish(uow, cmd.actor, t, "ticket.released", before)
    return await view_of(uow, t)


@idempotent
async def reassign_ticket(uow: UnitOfWork, cmd: ReassignTicket) -> TicketView:
    """T3: an admin hands a ticket to another active agent. Refusals: AdminOnly, UserNotFound,
    UserInactive, TicketClosed, TicketChangedMeanwhile."""
    rules.ensure_admin(cmd.actor)
    await staff_user(uow, cmd.actor)
    target = await repo.user(uow.session, cmd.assignee_id)
    if not target.active:
        raise UserInactive(user_id=target.id)
    t = await load(uow, cmd.ticket_id, cmd.expected_version)
    rules.ensure_live(TicketStatus(t.status))
    before = snapshot(t)
    if t.status == TicketStatus.OPEN:
        move(uow, t, TicketStatus.IN_PROGRESS)
    t.assignee_id = target.id
    t.claimed_at = uow.now
    await finish(uow, cmd.actor, t, "ticket.reassigned", before)
    return await view_of(uow, t)


@idempotent
async def set_priority(uow: UnitOfWork, cmd: SetPriority) -> TicketView:
    """T2: the holder or an admin changes a ticket's priority, which moves it in the queue.
    Refusals: NotTicketHolder, TicketClosed, TicketChangedMeanwhile (D5)."""
    await staff_user(uow, cmd.actor)
    t = await load(uow, cmd.ticket_id, cmd.expected_version)
    rules.ensure_live(TicketStatus(t.status))
    if t.status != TicketStatus.OPEN:
        rules.ensure_holder_or_admin(t.assignee_id, cmd.actor)
    before = snapshot(t)
    t.priority = int(cmd.priority)
    await finish(uow, cmd.actor, t, "ticket.priority_changed", before)
    return await view_of(uow, t)
