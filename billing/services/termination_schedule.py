"""B5: terminating a service at the end of its billing period. Scheduling records the day now
(one schedule per service, never on a terminated one: a conditional UPDATE, backed by CHECKs);
once the day is over the housekeeping loop carries it out through `terminate_service`, which
cancels the invoices still unpaid then. Carrying out claims the schedule by a conditional
UPDATE first, so two processes finding the same due schedule terminate the service once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select, update

from billing import errors, periods, repo, rules
from billing.commands import KeepService, ScheduleTermination, TerminateService
from billing.models import Service, ServiceStatus
from billing.read_models import ServiceView, Termination
from billing.services.termination import terminate_service
from support_desk.core.actors import Actor
from support_desk.core.idempotency import idempotent
from support_desk.core.messages import CustomerMessage
from support_desk.core.tx import Transactor, UnitOfWork

log = logging.getLogger(__name__)

SCHEDULER = Actor.system("termination-schedule")  # who carries a due schedule out
DUE_BATCH = 100  # schedules carried out per housekeeping round, each in its own transaction


@dataclass(frozen=True, kw_only=True)
class ServiceTerminationScheduled(CustomerMessage, kind="service_termination_scheduled"):
    """B5: the service is kept until the end of its period, then stops ("Hosting S will stop on
    31 Jan"); the invoices still unpaid then are cancelled with it."""

    service_id: int
    service_name: str
    terminates_on: date


def period_end_offered(service: ServiceView, today: date) -> date | None:
    """The day a termination at period end would keep the service until; None when no period
    is running (never invoiced, or its period is over), or it is terminated or scheduled."""
    if service.status == ServiceStatus.TERMINATED or service.terminates_on is not None:
        return None
    if service.period_end is None or service.period_end < today:
        return None
    return service.period_end


async def _live_service(uow: UnitOfWork, service_id: int, actor: Actor) -> Service:
    """The service whose schedule `actor` may set or withdraw: their own (or any, for staff),
    not terminated."""
    service = await repo.get_service(uow.session, service_id)
    if actor.customer_id not in (None, service.customer_id):
        raise errors.NotYourService()
    rules.ensure_terminable(service.status)
    return service


async def _change_schedule(
    uow: UnitOfWork, service_id: int, values: Mapping[str, Any], *still: ColumnElement[bool]
) -> bool:
    """Set or clear a live service's schedule by a conditional UPDATE: False when the row is no
    longer as `still` says (a twin request, the scheduler or a withdrawal got there first)."""
    changed = await uow.session.execute(
        update(Service)
        .where(Service.id == service_id, Service.status != ServiceStatus.TERMINATED, *still)
        .values(**values)
        .returning(Service.id)
    )
    return changed.scalar_one_or_none() is not None


@idempotent
async def schedule_termination(uow: UnitOfWork, cmd: ScheduleTermination) -> ServiceView:
    """B5: keep the service until its period ends, then terminate it. Refusals: NotYourService,
    ServiceAlreadyTerminated, TerminationAlreadyScheduled, NoBillingPeriod."""
    service = await _live_service(uow, cmd.service_id, cmd.actor)
    if service.terminates_on is not None:
        raise errors.TerminationAlreadyScheduled(day=service.terminates_on.isoformat())
    day = period_end_offered(repo.service_view(service), uow.now.date())
    if day is None:
        raise errors.NoBillingPeriod()
    schedule = {
        "terminates_on": day,
        "termination_reason": cmd.reason,
        "termination_requested_by": cmd.actor.label,
        "termination_scheduled_at": uow.now,
    }
    unset = (Service.terminates_on.is_(None), Service.period_end == day)
    if not await _change_schedule(uow, service.id, schedule, *unset):  # a twin got there first
        raise errors.TerminationAlreadyScheduled(day=day.isoformat())
    uow.audit(
        cmd.actor,
        "service.termination_scheduled",
        subject=("service", service.id),
        before={"status": service.status},
        after={"terminates_on": day.isoformat(), "reason": cmd.reason},
    )
    uow.notify(
        service.customer_id,
        ServiceTerminationScheduled(
            service_id=service.id, service_name=service.name, terminates_on=day
        ),
    )
    return repo.service_view(await repo.get_service(uow.session, service.id))


@dataclass(frozen=True, kw_only=True)
class ServiceKept(CustomerMessage, kind="service_kept"):
    """B5: a termination scheduled for the period's end was withdrawn; the service goes on."""

    service_id: int
    service_name: str
    was_to_stop_on: date


@idempotent
async def keep_service(uow: UnitOfWork, cmd: KeepService) -> ServiceView:
    """B5: withdraw a scheduled termination while its day is not over; the scheduler's claim
    and this are conditional UPDATEs of one row, so exactly one of them wins. Refusals:
    NotYourService, ServiceAlreadyTerminated, NoTerminationScheduled."""
    service = await _live_service(uow, cmd.service_id, cmd.actor)
    day = service.terminates_on
    not_over = (Service.terminates_on.is_not(None), Service.terminates_on >= uow.now.date())
    if day is None or not await _change_schedule(uow, service.id, repo.NO_SCHEDULE, *not_over):
        raise errors.NoTerminationScheduled()
    uow.audit(
        cmd.actor,
        "service.termination_withdrawn",
        subject=("service", service.id),
        before={"terminates_on": day.isoformat(), "reason": service.termination_reason},
    )
    kept = ServiceKept(service_id=service.id, service_name=service.name, was_to_stop_on=day)
    uow.notify(service.customer_id, kept)
    return repo.service_view(await repo.get_service(uow.session, service.id))


async def due_terminations(uow: UnitOfWork, limit: int = DUE_BATCH) -> list[int]:
    """The services whose scheduled day is over (read-only; each is claimed when carried out)."""
    stmt = (
        select(Service.id)
        .where(Service.terminates_on.is_not(None), Service.terminates_on < uow.now.date())
        .order_by(Service.terminates_on, Service.id)
        .limit(limit)
    )
    return list((await uow.session.scalars(stmt)).all())


async def carry_out_termination(uow: UnitOfWork, service_id: int) -> Termination | None:
    """Terminate a service whose scheduled day is over, through `terminate_service` (B5: its
    unpaid non-compound invoices are cancelled). None when there is nothing to do: not due, or
    another process claimed it first (the conditional UPDATE below is the claim)."""
    service = await repo.get_service(uow.session, service_id)
    if service.terminates_on is None or not periods.is_due(service.terminates_on, uow.now):
        return None
    day, reason = service.terminates_on, service.termination_reason or ""
    requested_by = service.termination_requested_by
    if not await _change_schedule(uow, service_id, repo.NO_SCHEDULE, Service.terminates_on == day):
        return None
    uow.audit(
        SCHEDULER,
        "service.termination_due",
        subject=("service", service_id),
        after={"terminates_on": day.isoformat(), "requested_by": requested_by},
    )
    # B11: carried out as its author's decision, so a staff member's large cancellations wait
    # for an admin's approval at the period's end, as they would have now
    author = Actor.from_label(requested_by) if requested_by else SCHEDULER
    return await terminate_service(uow, TerminateService(service_id, reason, author))


async def carry_out_due_terminations(tx: Transactor) -> int:
    """One housekeeping round: each due schedule carried out in its own transaction (one user
    action, one transaction); a failure is logged and left for the next round. The count of
    services this process terminated."""
    done = 0
    for service_id in await tx.read(due_terminations):
        try:
            done += await tx.run(carry_out_termination, service_id) is not None
        except Exception:
            log.exception("scheduled termination of service %s failed", service_id)
    return done
