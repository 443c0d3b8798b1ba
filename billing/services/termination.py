"""B5: a terminated service's unpaid invoices are cancelled with it."""

from __future__ import annotations

from dataclasses import dataclass

from billing import errors, repo, rules
from billing.commands import TerminateService
from billing.models import CreditNoteStatus
from billing.read_models import Termination
from billing.services.cancellation import cancel
from support_desk.core.actors import Actor
from support_desk.core.idempotency import idempotent
from support_desk.core.messages import CustomerMessage
from support_desk.core.tx import UnitOfWork

SERVICE_TERMINATED = "service terminated"


@dataclass(frozen=True, kw_only=True)
class ServiceTerminated(CustomerMessage, kind="service_terminated"):
    """B5: a service ended, with the invoices that were cancelled with it (their credit notes
    follow as messages of their own)."""

    service_id: int
    service_name: str
    cancelled_invoice_ids: tuple[int, ...]
    cancelled_invoice_numbers: tuple[str | None, ...]


@idempotent
async def terminate_service(uow: UnitOfWork, cmd: TerminateService) -> Termination:
    """B5: a terminated service's unpaid non-compound invoices are cancelled automatically;
    its lines on compound invoices, and invoices with a credit note awaiting approval, are left
    for a ticket. B11: a staff member's termination leaves the large ones awaiting approval."""
    service = await repo.get_service(uow.session, cmd.service_id)
    if cmd.actor.customer_id not in (None, service.customer_id):
        raise errors.NotYourService()
    rules.ensure_terminable(service.status)
    before = service.status
    if not await repo.terminate(uow.session, service.id, uow.now):
        raise errors.ServiceAlreadyTerminated()
    service = await repo.get_service(uow.session, service.id)
    ids = await repo.cancellable_for_service(uow.session, service.id)
    system = Actor.system("service-termination")
    cancellations = [
        await cancel(uow, i, SERVICE_TERMINATED, system, requested_by=cmd.actor) for i in ids
    ]
    done = [
        c
        for c in cancellations
        if c.credit_note is not None and c.credit_note.status == CreditNoteStatus.ISSUED
    ]
    uow.audit(
        cmd.actor,
        "service.terminated",
        subject=("service", service.id),
        before={"status": before},
        after={"status": "terminated", "reason": cmd.reason, "cancelled_invoices": list(ids)},
    )
    uow.notify(
        service.customer_id,
        ServiceTerminated(
            service_id=service.id,
            service_name=service.name,
            cancelled_invoice_ids=tuple(c.invoice.id for c in done),
            cancelled_invoice_numbers=tuple(c.invoice.number for c in done),
        ),
    )
    return Termination(repo.service_view(service), tuple(cancellations))
