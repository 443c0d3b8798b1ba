"""B5: a service's billing period, and its termination at the end of that period: scheduled
once (never twice, never on a terminated service, also in the database), told to the customer,
then carried out by housekeeping through `terminate_service` once the day is over, exactly
once however many processes find it due."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

import billing
from billing import errors
from billing.commands import KeepService, ScheduleTermination, TerminateService
from billing.models import CreditNote, Service, ServiceStatus
from billing.read_models import Termination
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.clock import FrozenClock
from support_desk.core.housekeeping import run_housekeeping
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import AGENT, STAFF, line, make_customer, make_invoice, make_service
from tests.model_billing import audit, concurrent_tx, start_clean
from tests.services.ticketing.builders import outbox


def schedule(service_id: int, key: str | None = None) -> ScheduleTermination:
    return ScheduleTermination(service_id, "moving to another provider", AGENT, key)


async def _service(tx: Transactor, service_id: int) -> Service:
    async def q(uow: UnitOfWork) -> Service:
        found = await uow.session.get(Service, service_id)
        assert found is not None
        return found

    return await tx.read(q)


async def _count(tx: Transactor, model: type, *where: object) -> int:
    async def q(uow: UnitOfWork) -> int:
        stmt = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return int(await uow.session.scalar(stmt) or 0)

    return await tx.read(q)


async def test_b5_a_services_period_ends_with_the_month_it_was_last_invoiced_in(
    tx: Transactor, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE)
    assert vps.period_end == date(2026, 2, 4)  # the clock starts on 5 Jan 2026

    clock.advance(days=31)  # 5 Feb: the next month is invoiced
    await make_invoice(tx, customer, line(1000, service=vps))
    assert (await _service(tx, vps.id)).period_end == date(2026, 3, 4)
    await make_invoice(tx, customer, line(1000, service=vps))  # a replacement, the same day
    assert (await _service(tx, vps.id)).period_end == date(2026, 3, 4)

    clock.advance(days=-20)  # an invoice issued "earlier" never moves the period back
    await make_invoice(tx, customer, line(1000, service=vps))
    assert (await _service(tx, vps.id)).period_end == date(2026, 3, 4)


async def test_b5_scheduling_records_the_day_audits_and_tells_the_customer(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE, name="Hosting S")

    shown = await tx.run(billing.schedule_termination, schedule(vps.id, "k1"))
    again = await tx.run(billing.schedule_termination, schedule(vps.id, "k1"))  # a double click

    assert shown == again and shown.terminates_on == date(2026, 2, 4)
    assert shown.status == ServiceStatus.ACTIVE  # kept until then
    kinds = [(k, p) for k, p in await outbox(tx, customer.id)]
    assert kinds == [
        (
            "service_termination_scheduled",
            {"service_id": vps.id, "service_name": "Hosting S", "terminates_on": "2026-02-04"},
        )
    ]
    scheduled = AuditRow.action == "service.termination_scheduled"
    assert await _count(tx, AuditRow, scheduled) == 1


async def test_b5_a_service_is_scheduled_once_and_never_once_terminated(tx: Transactor) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE)
    gone = await make_service(tx, customer, ServiceStatus.ACTIVE, name="Old")
    await tx.run(billing.terminate_service, TerminateService(gone.id, "done", STAFF))
    await tx.run(billing.schedule_termination, schedule(vps.id))

    with pytest.raises(errors.TerminationAlreadyScheduled):
        await tx.run(billing.schedule_termination, schedule(vps.id))
    with pytest.raises(errors.ServiceAlreadyTerminated):
        await tx.run(billing.schedule_termination, schedule(gone.id))


async def test_b5_the_database_refuses_a_schedule_on_a_terminated_service(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE)
    await tx.run(billing.schedule_termination, schedule(vps.id))

    async def terminate_keeping_the_schedule(uow: UnitOfWork) -> None:
        await uow.session.execute(
            update(Service).where(Service.id == vps.id).values(status="terminated")
        )

    async def half_a_schedule(uow: UnitOfWork) -> None:
        await uow.session.execute(
            update(Service).where(Service.id == vps.id).values(termination_requested_by=None)
        )

    with pytest.raises(IntegrityError):
        await tx.run(terminate_keeping_the_schedule)
    with pytest.raises(IntegrityError):
        await tx.run(half_a_schedule)


async def test_b5_terminating_now_a_scheduled_service_drops_its_schedule(tx: Transactor) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE)
    await tx.run(billing.schedule_termination, schedule(vps.id))

    done = await tx.run(billing.terminate_service, TerminateService(vps.id, "now", STAFF))

    assert done.service.status == "terminated" and done.service.terminates_on is None


async def test_b5_no_period_running_means_no_termination_at_period_end(
    tx: Transactor, clock: FrozenClock
) -> None:
    vps = await make_service(tx, await make_customer(tx), ServiceStatus.ACTIVE)
    clock.advance(days=40)  # its first month is over, and the next was never invoiced

    with pytest.raises(errors.NoBillingPeriod):
        await tx.run(billing.schedule_termination, schedule(vps.id))


async def test_b5_a_due_schedule_is_carried_out_by_housekeeping_cancelling_what_is_unpaid(
    tx: Transactor, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE, name="Hosting S")
    unpaid = await make_invoice(tx, customer, line(1000, service=vps))
    await tx.run(billing.schedule_termination, schedule(vps.id))

    clock.advance(days=30)  # 4 Feb: still the service's last day
    assert await tx.run(billing.carry_out_termination, vps.id) is None
    assert await billing.carry_out_due_terminations(tx) == 0
    clock.advance(days=1)  # 5 Feb
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_housekeeping(tx, stop, every=3600, jobs=(billing.carry_out_due_terminations,))
    )
    for _ in range(200):  # the first round runs at once
        if (await _service(tx, vps.id)).status == "terminated":
            break
        await asyncio.sleep(0.02)
    stop.set()
    await task

    ended = await _service(tx, vps.id)
    assert ended.status == "terminated" and ended.terminates_on is None
    invoice = await tx.read(billing.queries.invoice_view, unpaid.id)
    assert invoice.status == "canceled"
    kinds = [k for k, _ in await outbox(tx, customer.id)]
    assert kinds.count("service_terminated") == 1 and kinds.count("credit_note_issued") == 1
    assert await billing.carry_out_due_terminations(tx) == 0  # nothing left to do
    await audit(tx)


@pytest.mark.parametrize("processes", [2, 6])
async def test_b5_a_due_schedule_found_by_several_processes_is_carried_out_once(
    tx: Transactor, engine: AsyncEngine, clock: FrozenClock, processes: int
) -> None:
    await start_clean(engine)
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE)
    await make_invoice(tx, customer, line(1000, service=vps))
    await make_invoice(tx, customer, line(2000, service=vps))
    await tx.run(billing.schedule_termination, schedule(vps.id))
    clock.advance(days=31)

    async with concurrent_tx(tx) as burst:
        results = await asyncio.gather(
            *(burst.run(billing.carry_out_termination, vps.id) for _ in range(processes)),
            return_exceptions=True,
        )

    assert [r for r in results if isinstance(r, BaseException)] == []
    done = [r for r in results if isinstance(r, Termination)]
    assert len(done) == 1 and len(done[0].cancellations) == 2
    terminated = AuditRow.action == "service.terminated"
    assert await _count(tx, AuditRow, terminated) == 1
    assert await _count(tx, CreditNote) == 2
    kinds = [k for k, _ in await outbox(tx, customer.id)]
    assert kinds.count("service_terminated") == 1
    await audit(tx)


async def test_b11_an_agents_termination_at_period_end_waits_for_approval_above_the_threshold(
    tx: Transactor, clock: FrozenClock
) -> None:
    """Before, the schedule was carried out as the system, so a large cancellation an agent
    decided on was issued at the period's end with no admin ever seeing it."""
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE, name="Dedicated L")
    large = await make_invoice(tx, customer, line(25_000, service=vps))  # above 100.00
    await tx.run(billing.schedule_termination, schedule(vps.id))

    clock.advance(days=31)
    done = await tx.run(billing.carry_out_termination, vps.id)

    assert done is not None and (await _service(tx, vps.id)).status == "terminated"
    invoice = await tx.read(billing.queries.invoice_view, large.id)
    assert invoice.status == "unpaid"  # nothing is taken off until an admin approves
    assert [c.credit_note.status for c in done.cancellations if c.credit_note] == [
        "pending_approval"
    ]
    terminated = await _count(
        tx, AuditRow, AuditRow.action == "service.terminated", AuditRow.actor_id == AGENT.id
    )
    assert terminated == 1  # the agent's decision, carried out at the period's end


def keep(service_id: int, key: str | None = None) -> KeepService:
    return KeepService(service_id, AGENT, key)


async def test_b5_keeping_a_service_withdraws_its_schedule_audits_and_tells_the_customer(
    tx: Transactor, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE, name="Hosting S")
    await tx.run(billing.schedule_termination, schedule(vps.id))

    kept = await tx.run(billing.keep_service, keep(vps.id, "k1"))
    again = await tx.run(billing.keep_service, keep(vps.id, "k1"))  # a double click
    with pytest.raises(errors.NoTerminationScheduled):
        await tx.run(billing.keep_service, keep(vps.id))  # withdrawn already

    assert kept == again and kept.terminates_on is None and kept.status == ServiceStatus.ACTIVE
    row = await _service(tx, vps.id)
    assert (row.termination_reason, row.termination_requested_by) == (None, None)
    assert (await outbox(tx, customer.id))[-1] == (
        "service_kept",
        {"service_id": vps.id, "service_name": "Hosting S", "was_to_stop_on": "2026-02-04"},
    )
    assert await _count(tx, AuditRow, AuditRow.action == "service.termination_withdrawn") == 1
    await tx.run(billing.schedule_termination, schedule(vps.id))  # it can be set again,
    await tx.run(billing.keep_service, keep(vps.id))  # and withdrawn again
    clock.advance(days=40)  # the day passes: nothing is carried out
    assert await billing.carry_out_due_terminations(tx) == 0
    assert (await _service(tx, vps.id)).status == ServiceStatus.ACTIVE


async def test_b5_a_schedule_whose_day_is_over_is_carried_out_not_withdrawn(
    tx: Transactor, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE)
    gone = await make_service(tx, customer, ServiceStatus.ACTIVE, name="Old")
    await tx.run(billing.terminate_service, TerminateService(gone.id, "done", STAFF))
    stranger = await make_customer(tx, external_id="someone-else")
    await tx.run(billing.schedule_termination, schedule(vps.id))

    with pytest.raises(errors.NotYourService):
        await tx.run(billing.keep_service, KeepService(vps.id, Actor.customer(stranger.id)))
    with pytest.raises(errors.ServiceAlreadyTerminated):
        await tx.run(billing.keep_service, keep(gone.id))
    clock.advance(days=30)  # 4 Feb, its last day: still in time
    clock.advance(days=1)  # 5 Feb: the day is over
    with pytest.raises(errors.NoTerminationScheduled):
        await tx.run(billing.keep_service, keep(vps.id))
    assert await billing.carry_out_due_terminations(tx) == 1


@pytest.mark.parametrize("clicks", [2, 6])
async def test_b5_keeps_sent_together_withdraw_once(
    tx: Transactor, engine: AsyncEngine, clicks: int
) -> None:
    await start_clean(engine)
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE)
    await tx.run(billing.schedule_termination, schedule(vps.id))

    async with concurrent_tx(tx) as burst:
        results = await asyncio.gather(
            *(burst.run(billing.keep_service, keep(vps.id)) for _ in range(clicks)),
            return_exceptions=True,
        )

    refused = [r for r in results if isinstance(r, errors.NoTerminationScheduled)]
    assert len(refused) == clicks - 1 and len(results) - len(refused) == 1
    assert await _count(tx, AuditRow, AuditRow.action == "service.termination_withdrawn") == 1
    kinds = [k for k, _ in await outbox(tx, customer.id)]
    assert kinds.count("service_kept") == 1
    await audit(tx)
