"""The agent's side of the thread (T4): replies that reach the customer through the bot's
outbox (T8), and internal notes that never leave the console."""

from __future__ import annotations

from dataclasses import dataclass

from support_desk.core.idempotency import idempotent
from support_desk.core.messages import CustomerMessage
from support_desk.core.tx import UnitOfWork
from ticketing import rules
from ticketing.commands import AddNote, RateTicket, ReplyToTicket
from ticketing.errors import AlreadyRated, CustomerOnly, TicketNotResolved
from ticketing.models import MessageKind, TicketStatus
from ticketing.read_models import TicketView
from ticketing.services._common import (
    add_message,
    finish,
    load,
    move,
    snapshot,
    staff_user,
    view_of,
)


@dataclass(frozen=True, kw_only=True)
class TicketReply(CustomerMessage, kind="ticket_reply"):
    """T4: an agent's answer on the customer's ticket, delivered by the bot."""

    ticket_id: int
    text: str


@idempotent
async def reply_to_ticket(uow: UnitOfWork, cmd: ReplyToTicket) -> TicketView:
    """T4, T8: the holder replies; the reply is queued for the bot in the same transaction.
    The first reply meets the first-response SLA (T2); `wait_for_customer` pauses the clock.
    Refusals: NotTicketHolder, TicketClosed, EmptyMessage, TicketChangedMeanwhile."""
    await staff_user(uow, cmd.actor)
    t = await load(uow, cmd.ticket_id, cmd.expected_version)
    rules.ensure_live(TicketStatus(t.status))
    rules.ensure_holder(t.assignee_id, cmd.actor)
    text = rules.ensure_text(cmd.text)
    before = snapshot(t)
    add_message(uow, t, MessageKind.REPLY, cmd.actor, text)
    uow.notify(t.customer_id, TicketReply(ticket_id=t.id, text=text))
    if t.first_responded_at is None:
        t.first_responded_at = uow.now
    if cmd.wait_for_customer and t.status != TicketStatus.WAITING_ON_CUSTOMER:
        move(uow, t, TicketStatus.WAITING_ON_CUSTOMER)
    await finish(uow, cmd.actor, t, "ticket.replied", before)
    return await view_of(uow, t)


@idempotent
async def add_note(uow: UnitOfWork, cmd: AddNote) -> TicketView:
    """T4: an internal note by any agent or admin; never sent to the customer.
    Refusals: StaffOnly, EmptyMessage."""
    await staff_user(uow, cmd.actor)
    t = await load(uow, cmd.ticket_id)
    before = snapshot(t)
    add_message(uow, t, MessageKind.NOTE, cmd.actor, rules.ensure_text(cmd.text))
    await finish(uow, cmd.actor, t, "ticket.noted", before)
    return await view_of(uow, t)


@idempotent
async def rate_ticket(uow: UnitOfWork, cmd: RateTicket) -> TicketView:
    """T7: the customer rates a resolved ticket 1 to 5, once. Refusals: CustomerOnly,
    NotYourTicket, TicketNotResolved, AlreadyRated, InvalidRating."""
    if cmd.actor.customer_id is None:
        raise CustomerOnly()
    rating = rules.ensure_rating(cmd.rating)
    t = await load(uow, cmd.ticket_id)
    rules.ensure_may_see(t.customer_id, cmd.actor)
    if t.status != TicketStatus.RESOLVED:
        raise TicketNotResolved(status=t.status)
    if t.rating is not None:
        raise AlreadyRated()
    before = snapshot(t)
    t.rating = rating
    t.rated_at = uow.now
    await finish(uow, cmd.actor, t, "ticket.rated", before)
    return await view_of(uow, t, internal=False)
