"""D5: optimistic locking on tickets. Two edits made from the same version: one wins, the other
is refused as TicketChangedMeanwhile, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import ticketing
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import claimed, make_admin, make_agent, make_customer
from tests.services.ticketing.builders import open_question as open_q
from ticketing import repo
from ticketing.commands import ReplyToTicket, SetPriority
from ticketing.errors import TicketChangedMeanwhile
from ticketing.models import Priority


async def test_d5_two_edits_from_the_same_version_one_wins_the_other_is_refused(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    agent, admin = await make_agent(tx), await make_admin(tx)
    seen = await claimed(tx, agent, await open_q(tx, customer))

    high = SetPriority(seen.id, Priority.HIGH, agent, expected_version=seen.version)
    low = SetPriority(seen.id, Priority.LOW, admin, expected_version=seen.version)

    results = await asyncio.gather(
        tx.run(ticketing.set_priority, high),
        tx.run(ticketing.set_priority, low),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, TicketChangedMeanwhile)]
    won = [r for r in results if not isinstance(r, BaseException)]
    assert (len(won), len(refused)) == (1, 1)
    final = await tx.read(ticketing.ticket_view, seen.id, admin)
    assert (final.priority, final.version) == (won[0].priority, seen.version + 1)


async def test_d5_an_edit_from_a_stale_page_is_refused_and_changes_nothing(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    seen = await claimed(tx, agent, await open_q(tx, customer))
    await tx.run(ticketing.reply_to_ticket, ReplyToTicket(seen.id, "first", agent))

    with pytest.raises(TicketChangedMeanwhile):
        await tx.run(
            ticketing.reply_to_ticket,
            ReplyToTicket(seen.id, "stale", agent, expected_version=seen.version),
        )
    final = await tx.read(ticketing.ticket_view, seen.id, agent)
    assert [m.text for m in final.messages][-1] == "first"


async def test_d5_two_open_sessions_writing_the_same_row_lose_with_a_typed_refusal(
    tx: Transactor, engine: AsyncEngine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's BEGIN IMMEDIATE never lets two writers hold a ticket at once")
    customer = await make_customer(tx)
    ticket = await open_q(tx, customer)

    async with AsyncSession(engine) as first, AsyncSession(engine) as second:
        a = await repo.ticket(first, ticket.id)
        b = await repo.ticket(second, ticket.id)
        a.priority = int(Priority.HIGH)
        await repo.flush(first, ticket.id)
        await first.commit()
        b.priority = int(Priority.LOW)
        with pytest.raises(TicketChangedMeanwhile):
            await repo.flush(second, ticket.id)

    final = await tx.read(ticketing.ticket_view, ticket.id, await make_agent(tx))
    assert (final.priority, final.version) == (Priority.HIGH, ticket.version + 1)


def test_d5_every_bulk_update_of_tickets_carries_a_version_predicate() -> None:
    source = "\n".join(p.read_text() for p in Path("ticketing").rglob("*.py"))

    updates = re.findall(r"update\(Ticket\)(.*?)\.values\(", source, flags=re.S)

    assert updates, "the claim is a conditional UPDATE"
    assert all("Ticket.version ==" in u for u in updates)
