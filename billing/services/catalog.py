"""Services the customer ordered (a VPS, a desk, a subscription)."""

from __future__ import annotations

from billing import periods, repo, rules
from billing.commands import CreateService
from billing.models import Service
from billing.read_models import ServiceView
from support_desk.core.idempotency import idempotent
from support_desk.core.tx import UnitOfWork


@idempotent
async def create_service(uow: UnitOfWork, cmd: CreateService) -> ServiceView:
    """A service for a customer, pending until its first invoice is paid."""
    rules.ensure_not_customer(cmd.actor)
    await repo.get_customer(uow.session, cmd.customer_id)
    service = Service(
        customer_id=cmd.customer_id,
        name=cmd.name,
        sku=cmd.sku,
        status=cmd.status,
        created_at=uow.now,
        period_end=periods.period_end_from(uow.now),  # B5: its first month
    )
    uow.session.add(service)
    await uow.session.flush()
    uow.audit(
        cmd.actor,
        "service.created",
        subject=("service", service.id),
        after={"status": service.status},
    )
    return repo.service_view(service)
