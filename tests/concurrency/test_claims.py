"""D4, T3: ten agents claiming from a thousand open tickets take every ticket exactly once, on
SQLite (BEGIN IMMEDIATE + conditional UPDATE) and PostgreSQL (SKIP LOCKED + conditional UPDATE)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select

import ticketing
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.services.ticketing.builders import make_agent, make_customer
from ticketing.commands import ClaimNext, OpenTicket
from ticketing.errors import QueueEmpty
from ticketing.models import Ticket, TicketKind, TicketStatus

TICKETS = 1_000
WORKERS = 10


async def _open_many(uow: UnitOfWork, customer_id: int, count: int) -> None:
    actor = Actor.customer(customer_id)
    for i in range(count):
        cmd = OpenTicket(customer_id, TicketKind.QUESTION, f"question {i}", actor)
        await ticketing.open_ticket(uow, cmd)


async def _worker(tx: Transactor, agent: Actor) -> list[int]:
    taken: list[int] = []
    while True:
        try:
            taken.append((await tx.run(ticketing.claim_next, ClaimNext(agent))).id)
        except QueueEmpty:
            return taken


async def _state(uow: UnitOfWork) -> tuple[int, int, int]:
    s = uow.session
    still_open = await s.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.status == TicketStatus.OPEN)
    )
    unassigned = await s.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.assignee_id.is_(None))
    )
    audited = await s.scalar(
        select(func.count()).select_from(AuditRow).where(AuditRow.action == "ticket.claimed")
    )
    return int(still_open or 0), int(unassigned or 0), int(audited or 0)


@pytest.mark.slow
async def test_d4_t3_ten_agents_claim_a_thousand_tickets_each_exactly_once(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    agents = [await make_agent(tx) for _ in range(WORKERS)]
    for _ in range(TICKETS // 250):
        await tx.run(_open_many, customer.id, 250)

    results = await asyncio.gather(*(_worker(tx, a) for a in agents))

    claims = Counter(tid for taken in results for tid in taken)
    assert len(claims) == TICKETS and set(claims.values()) == {1}
    assert await tx.read(_state) == (0, 0, TICKETS)
    assert sum(1 for taken in results if taken) > 1  # the work really was shared
