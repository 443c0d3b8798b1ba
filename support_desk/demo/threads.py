"""The demo company's tickets, each a short story told through ticketing's use cases: who asked
what, what the agent answered or noted, and how it ended (or where it stands now)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ticketing
from billing.commands import Remainder
from billing.read_models import CustomerView, InvoiceView
from support_desk.core.actors import Actor
from ticketing.commands import (
    AddCustomerMessage,
    AddNote,
    ClaimTicket,
    RateTicket,
    RejectTicket,
    ReplyToTicket,
    ResolveRefund,
    ResolveServiceCancellation,
)
from ticketing.models import TicketKind

if TYPE_CHECKING:
    from support_desk.demo.company import Staff, Story


def _service(invoice: InvoiceView, name: str) -> int:
    return next(ln.service_id for ln in invoice.lines if ln.name == name and ln.service_id)


def _line(invoice: InvoiceView, name: str) -> int:
    return next(ln.id for ln in invoice.lines if ln.name == name)


async def _says(story: Story, ticket_id: int, customer: CustomerView, text: str) -> None:
    cmd = AddCustomerMessage(ticket_id, text, Actor.customer(customer.id))
    await ticketing.add_customer_message(story.uow, cmd)


async def end_mailboxes(
    story: Story, staff: Staff, priya: CustomerView, june: InvoiceView
) -> None:
    """Service cancellation, resolved: the mail service ended; rated 5."""
    story.at(25)
    mail = _service(june, "Email, 10 mailboxes")
    words = "We moved our mail to our new office's provider; please stop the mailboxes."
    ticket_id = await story.ticket(
        priya, TicketKind.SERVICE_CANCELLATION, words, invoice_id=june.id, service_ids=(mail,)
    )
    uow = story.at(24, 21)
    await ticketing.claim_ticket(uow, ClaimTicket(ticket_id, staff.agent))
    note = "Confirmed by phone; the mailboxes were exported on the 3rd."
    await ticketing.add_note(story.uow, AddNote(ticket_id, note, staff.agent))
    uow = story.at(24, 20)
    done = "Mail stopped as asked. Your website hosting continues as before."
    await ticketing.resolve_service_cancellation(
        uow, ResolveServiceCancellation(ticket_id, staff.agent, note=done)
    )
    uow = story.at(24, 18)
    await ticketing.rate_ticket(uow, RateTicket(ticket_id, 5, Actor.customer(priya.id)))


async def credit_for_outage(
    story: Story, staff: Staff, priya: CustomerView, june: InvoiceView
) -> None:
    """Refund ticket, resolved with account credit: a ticket-driven credit note; rated 4."""
    story.at(20)
    words = "Our website was down for most of the 14th. Can we get something back for that?"
    ticket_id = await story.ticket(priya, TicketKind.REFUND, words, invoice_id=june.id)
    uow = story.at(19, 22)
    await ticketing.claim_ticket(uow, ClaimTicket(ticket_id, staff.agent))
    reply = "Sorry about the 14th: a storage failure at our data centre. We'll credit you."
    await ticketing.reply_to_ticket(uow, ReplyToTicket(ticket_id, reply, staff.agent))
    uow = story.at(19, 20)
    note = "Outage credit: 10.00 as account credit, for a day and a half of hosting."
    cmd = ResolveRefund(
        ticket_id, Remainder.ACCOUNT_CREDIT, staff.agent, amount_minor=1000, note=note
    )
    await ticketing.resolve_refund(uow, cmd)
    uow = story.at(19, 2)
    await ticketing.rate_ticket(uow, RateTicket(ticket_id, 4, Actor.customer(priya.id)))


async def split_compound(
    story: Story, staff: Staff, jonas: CustomerView, compound: InvoiceView
) -> None:
    """Compound split, in progress: the agent holds it and has written an internal note."""
    story.at(11)
    ip = _line(compound, "Static IP address")
    words = "We never used the static IP. Please take it off this invoice, the rest is fine."
    ticket_id = await story.ticket(
        jonas, TicketKind.COMPOUND_SPLIT, words, invoice_id=compound.id, line_ids=(ip,)
    )
    uow = story.at(10, 20)
    await ticketing.claim_ticket(uow, ClaimTicket(ticket_id, staff.agent))
    note = "The IP was never assigned (checked in the panel). OK to credit that line."
    await ticketing.add_note(uow, AddNote(ticket_id, note, staff.agent))


async def refund_awaiting_approval(
    story: Story, staff: Staff, maria: CustomerView, office: InvoiceView
) -> None:
    """Refund above the approval threshold: the agent proposed it; the admin has to decide."""
    story.at(3)
    words = "We are moving out on the 20th. Could we have the last ten days of July back?"
    ticket_id = await story.ticket(maria, TicketKind.REFUND, words, invoice_id=office.id)
    uow = story.at(2, 22)
    await ticketing.claim_ticket(uow, ClaimTicket(ticket_id, staff.agent))
    reply = "Of course. I've asked for the refund of ten days; an admin confirms it shortly."
    await ticketing.reply_to_ticket(uow, ReplyToTicket(ticket_id, reply, staff.agent))
    uow = story.at(2, 21)
    note = "10 of 31 days of the private office: 150.00 back to the card."
    cmd = ResolveRefund(ticket_id, Remainder.REFUND, staff.agent, amount_minor=15000, note=note)
    await ticketing.resolve_refund(uow, cmd)


async def charged_twice(story: Story, staff: Staff, tom: CustomerView, vps: InvoiceView) -> None:
    """Refund ticket waiting on the customer: the agent asked for a bank statement."""
    story.at(7)
    words = "My card was charged twice for this invoice. Please refund one of the payments."
    ticket_id = await story.ticket(tom, TicketKind.REFUND, words, invoice_id=vps.id)
    uow = story.at(6, 22)
    await ticketing.claim_ticket(uow, ClaimTicket(ticket_id, staff.agent))
    reply = (
        "We see one payment on our side. Could you send the two lines of your bank statement "
        "(the amounts and dates are enough)?"
    )
    cmd = ReplyToTicket(ticket_id, reply, staff.agent, wait_for_customer=True)
    await ticketing.reply_to_ticket(uow, cmd)
    story.at(6, 20)
    await _says(story, ticket_id, tom, "I'll look for them tonight.")
    uow = story.at(6, 19)
    cmd = ReplyToTicket(ticket_id, "Thanks, no hurry.", staff.agent, wait_for_customer=True)
    await ticketing.reply_to_ticket(uow, cmd)


async def refund_rejected(
    story: Story, staff: Staff, lena: CustomerView, domain: InvoiceView
) -> None:
    """Refund ticket rejected, with the reason."""
    story.at(14)
    words = "I closed the studio's website and don't need the domain any more. Refund, please?"
    ticket_id = await story.ticket(lena, TicketKind.REFUND, words, invoice_id=domain.id)
    uow = story.at(13, 21)
    await ticketing.claim_ticket(uow, ClaimTicket(ticket_id, staff.agent))
    reason = (
        "The domain was renewed for a full year at the registry, which does not return the "
        "fee. It stays yours until next spring."
    )
    await ticketing.reject_ticket(uow, RejectTicket(ticket_id, reason, staff.agent))
