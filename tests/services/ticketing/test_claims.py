"""T2, T3: the queue order, claiming, releasing and reassigning."""

from __future__ import annotations

import asyncio

import pytest

import ticketing
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import (
    SYSTEM,
    audit_actions,
    claimed,
    make_admin,
    make_agent,
    make_customer,
    open_question,
    outbox,
)
from ticketing.commands import (
    ClaimNext,
    ClaimTicket,
    ReassignTicket,
    ReleaseTicket,
    SetPriority,
    SetUserActive,
)
from ticketing.errors import (
    AdminOnly,
    NotTicketHolder,
    QueueEmpty,
    StaffOnly,
    TicketAlreadyClaimed,
    UserInactive,
)
from ticketing.models import Priority, TicketStatus


async def test_t2_the_queue_orders_by_priority_then_due_time(
    tx: Transactor, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    admin = await make_admin(tx)
    early = await open_question(tx, customer)
    clock.advance(minutes=30)
    late = await open_question(tx, customer)
    clock.advance(minutes=30)
    urgent = await open_question(tx, customer)
    await tx.run(ticketing.set_priority, SetPriority(urgent.id, Priority.URGENT, admin))

    page = await tx.read(ticketing.queue_page, admin)

    assert [i.id for i in page.items] == [urgent.id, early.id, late.id]


async def test_t2_the_queue_pages_by_keyset_without_gaps_or_repeats(
    tx: Transactor, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    opened = []
    for _ in range(7):
        opened.append((await open_question(tx, customer)).id)
        clock.advance(minutes=1)

    seen: list[int] = []
    page = await tx.read(ticketing.queue_page, agent, limit=3)
    seen += [i.id for i in page.items]
    while page.next_after is not None:
        page = await tx.read(ticketing.queue_page, agent, after=page.next_after, limit=3)
        seen += [i.id for i in page.items]

    assert seen == opened


async def test_t2_overdue_tickets_are_flagged(tx: Transactor, clock: FrozenClock) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    ticket = await open_question(tx, customer)

    clock.advance(hours=8)
    on_time = await tx.read(ticketing.queue_page, agent)
    clock.advance(minutes=1)
    late = await tx.read(ticketing.queue_page, agent)

    assert [i.overdue for i in on_time.items] == [False]
    assert [(i.id, i.overdue) for i in late.items] == [(ticket.id, True)]


async def test_t3_an_agent_claims_the_next_ticket_and_the_customer_hears_of_it(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    ticket = await open_question(tx, customer)

    got = await tx.run(ticketing.claim_next, ClaimNext(agent))

    assert (got.id, got.status, str(got.assignee_id)) == (ticket.id, "in_progress", agent.id)
    assert ("ticket_status_changed", {"ticket_id": ticket.id, "status": "in_progress"}) in (
        await outbox(tx, customer.id)
    )
    assert await audit_actions(tx, ticket.id) == ["ticket.opened", "ticket.claimed"]
    with pytest.raises(QueueEmpty):
        await tx.run(ticketing.claim_next, ClaimNext(agent))


async def test_t3_a_claimed_ticket_cannot_be_claimed_by_another_agent(tx: Transactor) -> None:
    customer = await make_customer(tx)
    first, second = await make_agent(tx), await make_agent(tx)
    ticket = await claimed(tx, first, await open_question(tx, customer))

    with pytest.raises(TicketAlreadyClaimed):
        await tx.run(ticketing.claim_ticket, ClaimTicket(ticket.id, second))


async def test_t3_many_agents_claiming_one_ticket_at_once_yield_one_holder(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    agents = [await make_agent(tx) for _ in range(6)]
    ticket = await open_question(tx, customer)

    results = await asyncio.gather(
        *(tx.run(ticketing.claim_ticket, ClaimTicket(ticket.id, a)) for a in agents),
        return_exceptions=True,
    )

    won = [r for r in results if not isinstance(r, BaseException)]
    assert len(won) == 1
    assert all(isinstance(r, TicketAlreadyClaimed) for r in results if r not in won)


async def test_t3_customers_and_deactivated_agents_cannot_claim(tx: Transactor) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    await open_question(tx, customer)
    await tx.run(ticketing.set_user_active, SetUserActive(int(agent.id), False, SYSTEM))

    with pytest.raises(StaffOnly):
        await tx.run(ticketing.claim_next, ClaimNext(Actor.customer(customer.id)))
    with pytest.raises(UserInactive):
        await tx.run(ticketing.claim_next, ClaimNext(agent))


async def test_t3_the_holder_releases_a_ticket_back_to_the_queue(tx: Transactor) -> None:
    customer = await make_customer(tx)
    agent, other = await make_agent(tx), await make_agent(tx)
    ticket = await claimed(tx, agent, await open_question(tx, customer))

    with pytest.raises(NotTicketHolder):
        await tx.run(ticketing.release_ticket, ReleaseTicket(ticket.id, other))
    released = await tx.run(ticketing.release_ticket, ReleaseTicket(ticket.id, agent))

    assert (released.status, released.assignee_id) == (TicketStatus.OPEN, None)
    assert (await tx.run(ticketing.claim_next, ClaimNext(other))).id == ticket.id


async def test_t3_only_an_admin_reassigns_a_ticket(tx: Transactor) -> None:
    customer = await make_customer(tx)
    agent, other, admin = await make_agent(tx), await make_agent(tx), await make_admin(tx)
    ticket = await claimed(tx, agent, await open_question(tx, customer))

    with pytest.raises(AdminOnly):
        await tx.run(ticketing.reassign_ticket, ReassignTicket(ticket.id, int(other.id), agent))
    moved = await tx.run(
        ticketing.reassign_ticket, ReassignTicket(ticket.id, int(other.id), admin)
    )

    assert str(moved.assignee_id) == other.id
    assert (await audit_actions(tx, ticket.id))[-1] == "ticket.reassigned"


async def test_t3_an_admin_assigns_an_open_ticket_directly(tx: Transactor) -> None:
    customer = await make_customer(tx)
    agent, admin = await make_agent(tx), await make_admin(tx)
    ticket = await open_question(tx, customer)

    moved = await tx.run(
        ticketing.reassign_ticket, ReassignTicket(ticket.id, int(agent.id), admin)
    )

    assert (moved.status, str(moved.assignee_id)) == (TicketStatus.IN_PROGRESS, agent.id)


async def test_t2_the_queue_is_for_staff_only(tx: Transactor) -> None:
    customer = await make_customer(tx)

    with pytest.raises(StaffOnly):
        await tx.read(ticketing.queue_page, Actor.customer(customer.id))
