"""B11: what the approvals page reads: pending credit notes longest waiting first, with ticket,
agent, customer, what approval would do, and whose own request it is; then the decisions."""

from __future__ import annotations

import pytest

import ticketing
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import make_admin, make_agent
from tests.services.ticketing.test_resolution import parked
from ticketing.approvals import pending_approvals, pending_count, recent_decisions
from ticketing.commands import ApproveResolution, RejectResolution
from ticketing.errors import AdminOnly


async def test_b11_pending_notes_come_longest_waiting_first_with_what_approval_would_do(
    tx: Transactor, clock: FrozenClock
) -> None:
    agent, admin = await make_agent(tx), await make_admin(tx)
    first, _ = await parked(tx, agent)
    clock.advance(minutes=30)
    mine, _ = await parked(tx, admin)
    clock.advance(minutes=15)

    pending = await tx.read(pending_approvals, admin)

    assert [p.ticket_id for p in pending] == [first, mine]
    head = pending[0]
    assert (head.agent_name, head.own, head.waiting_minutes) == (agent.name, False, 45)
    assert pending[1].own and pending[1].agent_name == admin.name
    assert head.credit_note.status == "pending_approval" and head.credit_note.lines
    p = head.preview
    assert (p.total_minor, p.settled_minor, p.refund_minor, p.problem) == (60_000, 0, 60_000, None)
    assert (p.balance_before_minor, p.balance_after_minor) == (0, 0)
    assert head.last_messages == (("customer", "Please help"),)
    assert head.customer_name.startswith("Customer ")
    assert await tx.read(pending_count, admin) == 2
    with pytest.raises(AdminOnly):
        await tx.read(pending_approvals, agent)


async def test_b11_decisions_list_who_decided_and_why(tx: Transactor, clock: FrozenClock) -> None:
    agent, admin = await make_agent(tx), await make_admin(tx)
    approved, _ = await parked(tx, agent)
    rejected, _ = await parked(tx, agent)
    await tx.run(ticketing.approve_resolution, ApproveResolution(approved, admin))
    await tx.run(ticketing.reject_resolution, RejectResolution(rejected, "Too much", admin))

    decided = await tx.read(recent_decisions, admin)

    assert [(d.ticket_id, d.status) for d in decided] == [
        (rejected, "rejected"),
        (approved, "issued"),
    ]
    assert decided[0].decision_note == "Too much" and decided[0].decided_by_name == admin.name
    assert decided[1].number is not None and decided[0].agent_name == agent.name
    assert await tx.read(pending_approvals, admin) == ()
