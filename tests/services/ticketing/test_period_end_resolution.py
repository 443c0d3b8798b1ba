"""T5, B5: an agent resolves a service cancellation "at period end": the ticket is resolved
now, billing keeps the service until its period's last day and tells the customer that day."""

from __future__ import annotations

from datetime import date

import pytest

import billing
import ticketing
from billing import errors
from billing.commands import ScheduleTermination
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import (
    claimed,
    line,
    make_agent,
    make_customer,
    make_invoice,
    make_service,
    open_about,
    outbox,
)
from ticketing.commands import ResolveServiceCancellation
from ticketing.models import TicketKind


async def test_t5_b5_resolving_at_period_end_schedules_and_resolves(tx: Transactor) -> None:
    agent = await make_agent(tx)
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, "Hosting S")
    invoice = await make_invoice(tx, customer, line(1000, service=vps))
    ticket = await open_about(tx, invoice, TicketKind.SERVICE_CANCELLATION, service_ids=(vps.id,))
    await claimed(tx, agent, ticket)
    cmd = ResolveServiceCancellation(ticket.id, agent, "k", at_period_end=True)

    done = await tx.run(ticketing.resolve_service_cancellation, cmd)

    assert done.ticket.status == "resolved" and done.terminations == ()
    assert [s.terminates_on for s in done.scheduled] == [date(2026, 2, 4)]
    assert done.ticket.resolution == {
        "action": "terminate_at_period_end",
        "service_ids": [vps.id],
        "terminates_on": {str(vps.id): "2026-02-04"},
    }
    assert (await tx.read(billing.queries.invoice_view, invoice.id)).status == "unpaid"
    kinds = [k for k, _ in await outbox(tx, customer.id)]
    assert "service_termination_scheduled" in kinds and "ticket_resolved" in kinds
    assert await tx.run(ticketing.resolve_service_cancellation, cmd) == done  # replayed


async def test_t5_b5_a_service_already_set_to_stop_is_refused_and_the_ticket_stays(
    tx: Transactor,
) -> None:
    agent = await make_agent(tx)
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, "Hosting S")
    invoice = await make_invoice(tx, customer, line(1000, service=vps))
    ticket = await open_about(tx, invoice, TicketKind.SERVICE_CANCELLATION, service_ids=(vps.id,))
    await claimed(tx, agent, ticket)
    await tx.run(billing.schedule_termination, ScheduleTermination(vps.id, "by phone", agent))

    with pytest.raises(errors.TerminationAlreadyScheduled):
        await tx.run(
            ticketing.resolve_service_cancellation,
            ResolveServiceCancellation(ticket.id, agent, at_period_end=True),
        )
    assert (await tx.read(ticketing.ticket_view, ticket.id, agent)).status == "in_progress"
