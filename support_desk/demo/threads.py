"""The demo company's tickets, each a short story told through ticketing's use cases: who asked
what, what the agent answered or noted, and how it ended (or where it stands now).

A story is data (`Thread`): the customer's words, then dated steps; `tell` plays one through
the use cases, so every ticket reaches its state the way the product itself gets there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ticketing
from billing.commands import Remainder
from billing.read_models import CustomerView, InvoiceView
from support_desk.core.actors import Actor
from support_desk.core.tx import UnitOfWork
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


@dataclass(frozen=True, slots=True)
class Turn:
    """Who is in the ticket while a step runs."""

    ticket_id: int
    agent: Actor
    customer: Actor


Act = Callable[[UnitOfWork, Turn], Awaitable[object]]
"""One thing someone does in the ticket: a use case called with the turn's people."""


def claim() -> Act:
    return lambda uow, turn: ticketing.claim_ticket(uow, ClaimTicket(turn.ticket_id, turn.agent))


def note(text: str) -> Act:
    return lambda uow, turn: ticketing.add_note(uow, AddNote(turn.ticket_id, text, turn.agent))


def reply(text: str, *, wait_for_customer: bool = False) -> Act:
    return lambda uow, turn: ticketing.reply_to_ticket(
        uow, ReplyToTicket(turn.ticket_id, text, turn.agent, wait_for_customer=wait_for_customer)
    )


def says(text: str) -> Act:
    """The customer writes again."""
    return lambda uow, turn: ticketing.add_customer_message(
        uow, AddCustomerMessage(turn.ticket_id, text, turn.customer)
    )


def refund(remainder: Remainder, amount_minor: int, text: str) -> Act:
    """The agent resolves a refund ticket with a credit note: money back or account credit."""
    return lambda uow, turn: ticketing.resolve_refund(
        uow,
        ResolveRefund(turn.ticket_id, remainder, turn.agent, amount_minor=amount_minor, note=text),
    )


def end_service(text: str) -> Act:
    return lambda uow, turn: ticketing.resolve_service_cancellation(
        uow, ResolveServiceCancellation(turn.ticket_id, turn.agent, note=text)
    )


def reject(reason: str) -> Act:
    return lambda uow, turn: ticketing.reject_ticket(
        uow, RejectTicket(turn.ticket_id, reason, turn.agent)
    )


def rate(stars: int) -> Act:
    return lambda uow, turn: ticketing.rate_ticket(
        uow, RateTicket(turn.ticket_id, stars, turn.customer)
    )


@dataclass(frozen=True, slots=True)
class Step:
    """`acts`, in order, `days` and `hours` ago."""

    days: float
    hours: float
    acts: tuple[Act, ...]


@dataclass(frozen=True, slots=True)
class Thread:
    """A ticket opened `days` ago about an invoice, in the customer's words; `lines` and
    `services` name the invoice lines it is about (by their names); then its steps."""

    days: float
    kind: TicketKind
    words: str
    steps: tuple[Step, ...]
    lines: tuple[str, ...] = ()
    services: tuple[str, ...] = ()


async def tell(
    story: Story, staff: Staff, customer: CustomerView, invoice: InvoiceView, thread: Thread
) -> None:
    """Open the thread's ticket on `invoice` and play its steps, each at its own time."""
    story.at(thread.days)
    ticket_id = await story.ticket(
        customer,
        thread.kind,
        thread.words,
        invoice_id=invoice.id,
        line_ids=tuple(_line(invoice, name) for name in thread.lines),
        service_ids=tuple(_service(invoice, name) for name in thread.services),
    )
    turn = Turn(ticket_id, staff.agent, Actor.customer(customer.id))
    for step in thread.steps:
        uow = story.at(step.days, step.hours)
        for act in step.acts:
            await act(uow, turn)


def at(days: float, hours: float, *acts: Act) -> Step:
    return Step(days, hours, acts)


def _service(invoice: InvoiceView, name: str) -> int:
    return next(ln.service_id for ln in invoice.lines if ln.name == name and ln.service_id)


def _line(invoice: InvoiceView, name: str) -> int:
    return next(ln.id for ln in invoice.lines if ln.name == name)


END_MAILBOXES = Thread(
    25,
    TicketKind.SERVICE_CANCELLATION,
    "We moved our mail to our new office's provider; please stop the mailboxes.",
    services=("Email, 10 mailboxes",),
    steps=(
        at(24, 21, claim(), note("Confirmed by phone; the mailboxes were exported on the 3rd.")),
        at(
            24, 20, end_service("Mail stopped as asked. Your website hosting continues as before.")
        ),
        at(24, 18, rate(5)),
    ),
)
"""Service cancellation, resolved: the mail service ended; rated 5."""

CREDIT_FOR_OUTAGE = Thread(
    20,
    TicketKind.REFUND,
    "Our website was down for most of the 14th. Can we get something back for that?",
    steps=(
        at(
            19,
            22,
            claim(),
            reply("Sorry about the 14th: a storage failure at our data centre. We'll credit you."),
        ),
        at(
            19,
            20,
            refund(
                Remainder.ACCOUNT_CREDIT,
                1000,
                "Outage credit: 10.00 as account credit, for a day and a half of hosting.",
            ),
        ),
        at(19, 2, rate(4)),
    ),
)
"""Refund ticket, resolved with account credit: a ticket-driven credit note; rated 4."""

SPLIT_COMPOUND = Thread(
    11,
    TicketKind.COMPOUND_SPLIT,
    "We never used the static IP. Please take it off this invoice, the rest is fine.",
    lines=("Static IP address",),
    steps=(
        at(
            10,
            20,
            claim(),
            note("The IP was never assigned (checked in the panel). OK to credit that line."),
        ),
    ),
)
"""Compound split, in progress: the agent holds it and has written an internal note."""

REFUND_AWAITING_APPROVAL = Thread(
    3,
    TicketKind.REFUND,
    "We are moving out on the 20th. Could we have the last ten days of July back?",
    steps=(
        at(
            2,
            22,
            claim(),
            reply(
                "Of course. I've asked for the refund of ten days; an admin confirms it shortly."
            ),
        ),
        at(
            2,
            21,
            refund(
                Remainder.REFUND,
                15000,
                "10 of 31 days of the private office: 150.00 back to the card.",
            ),
        ),
    ),
)
"""Refund above the approval threshold: the agent proposed it; the admin has to decide."""

CHARGED_TWICE = Thread(
    7,
    TicketKind.REFUND,
    "My card was charged twice for this invoice. Please refund one of the payments.",
    steps=(
        at(
            6,
            22,
            claim(),
            reply(
                "We see one payment on our side. Could you send the two lines of your bank "
                "statement (the amounts and dates are enough)?",
                wait_for_customer=True,
            ),
        ),
        at(6, 20, says("I'll look for them tonight.")),
        at(6, 19, reply("Thanks, no hurry.", wait_for_customer=True)),
    ),
)
"""Refund ticket waiting on the customer: the agent asked for a bank statement."""

REFUND_REJECTED = Thread(
    14,
    TicketKind.REFUND,
    "I closed the studio's website and don't need the domain any more. Refund, please?",
    steps=(
        at(
            13,
            21,
            claim(),
            reject(
                "The domain was renewed for a full year at the registry, which does not return "
                "the fee. It stays yours until next spring."
            ),
        ),
    ),
)
"""Refund ticket rejected, with the reason."""
