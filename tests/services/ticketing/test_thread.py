"""T2, T4, T7, T8: replies through the outbox, internal notes, waiting on the customer, ratings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import ticketing
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import (
    claimed,
    make_agent,
    make_customer,
    open_question,
    outbox,
)
from ticketing.commands import (
    AddCustomerMessage,
    AddNote,
    RateTicket,
    ReplyToTicket,
    ResolveQuestion,
)
from ticketing.errors import (
    AlreadyRated,
    CustomerOnly,
    EmptyMessage,
    InvalidRating,
    NotTicketHolder,
    NotYourTicket,
    TicketNotResolved,
)
from ticketing.models import TicketStatus


async def test_t4_t8_an_agent_reply_is_queued_for_the_bot_with_author_and_time(
    tx: Transactor, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    ticket = await claimed(tx, agent, await open_question(tx, customer))

    view = await tx.run(ticketing.reply_to_ticket, ReplyToTicket(ticket.id, "On it!", agent))

    reply = view.messages[-1]
    assert (reply.kind, reply.author_id, reply.created_at) == ("reply", agent.id, clock.now())
    assert view.first_responded_at == clock.now()
    assert ("ticket_reply", {"ticket_id": ticket.id, "text": "On it!"}) in await outbox(
        tx, customer.id
    )


async def test_t4_internal_notes_are_never_delivered_nor_shown_to_the_customer(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    ticket = await claimed(tx, agent, await open_question(tx, customer))
    before = await outbox(tx, customer.id)

    staff_view = await tx.run(ticketing.add_note, AddNote(ticket.id, "VIP, be nice", agent))
    customer_view = await tx.read(ticketing.ticket_view, ticket.id, Actor.customer(customer.id))

    assert staff_view.messages[-1].kind == "note"
    assert all(m.kind != "note" for m in customer_view.messages)
    assert await outbox(tx, customer.id) == before


async def test_t4_only_the_holder_replies_and_never_with_an_empty_text(tx: Transactor) -> None:
    customer = await make_customer(tx)
    agent, other = await make_agent(tx), await make_agent(tx)
    ticket = await claimed(tx, agent, await open_question(tx, customer))

    with pytest.raises(NotTicketHolder):
        await tx.run(ticketing.reply_to_ticket, ReplyToTicket(ticket.id, "Hi", other))
    with pytest.raises(EmptyMessage):
        await tx.run(ticketing.reply_to_ticket, ReplyToTicket(ticket.id, "  ", agent))


async def test_t2_waiting_on_the_customer_pauses_the_sla_clock_until_they_answer(
    tx: Transactor, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    ticket = await claimed(tx, agent, await open_question(tx, customer))
    asked = await tx.run(
        ticketing.reply_to_ticket,
        ReplyToTicket(ticket.id, "Which invoice?", agent, wait_for_customer=True),
    )

    clock.advance(hours=3)
    paused = await tx.read(ticketing.ticket_view, ticket.id, agent)
    answered = await tx.run(
        ticketing.add_customer_message,
        AddCustomerMessage(ticket.id, "INV-7", Actor.customer(customer.id)),
    )

    assert (asked.status, asked.paused, paused.overdue) == ("waiting_on_customer", True, False)
    assert (answered.status, answered.paused) == (TicketStatus.IN_PROGRESS, False)
    # due Friday 17:00; three working hours of pause carry it to Monday 12:00
    assert ticket.resolution_due_at == datetime(2026, 1, 9, 17, 0, tzinfo=UTC)
    assert answered.resolution_due_at == datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
    assert answered.first_response_due_at == ticket.first_response_due_at
    kinds = [k for k, p in await outbox(tx, customer.id) if k == "ticket_status_changed"]
    assert len(kinds) == 3  # claimed, waiting, back in progress (T7)


async def test_t7_a_resolved_ticket_asks_for_a_rating_and_stores_it_once(tx: Transactor) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    me = Actor.customer(customer.id)
    ticket = await claimed(tx, agent, await open_question(tx, customer))
    with pytest.raises(TicketNotResolved):
        await tx.run(ticketing.rate_ticket, RateTicket(ticket.id, 5, me))
    await tx.run(ticketing.resolve_question, ResolveQuestion(ticket.id, "Yes, it is.", agent))

    rated = await tx.run(ticketing.rate_ticket, RateTicket(ticket.id, 4, me))

    assert rated.rating == 4
    kinds = [k for k, _ in await outbox(tx, customer.id)]
    assert kinds[-3:] == ["ticket_reply", "ticket_resolved", "rating_request"]
    with pytest.raises(AlreadyRated):
        await tx.run(ticketing.rate_ticket, RateTicket(ticket.id, 5, me))


async def test_t7_only_the_customer_rates_their_ticket_from_1_to_5(tx: Transactor) -> None:
    customer, other = await make_customer(tx), await make_customer(tx)
    agent = await make_agent(tx)
    ticket = await claimed(tx, agent, await open_question(tx, customer))
    await tx.run(ticketing.resolve_question, ResolveQuestion(ticket.id, "Done.", agent))

    with pytest.raises(CustomerOnly):
        await tx.run(ticketing.rate_ticket, RateTicket(ticket.id, 5, agent))
    with pytest.raises(NotYourTicket):
        await tx.run(ticketing.rate_ticket, RateTicket(ticket.id, 5, Actor.customer(other.id)))
    me = Actor.customer(customer.id)
    for bad in (0, 6):
        with pytest.raises(InvalidRating):
            await tx.run(ticketing.rate_ticket, RateTicket(ticket.id, bad, me))
