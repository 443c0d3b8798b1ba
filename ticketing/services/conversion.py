"""A question that turns out to be a request (T1, T5): its holder converts it into a refund,
a split or a service cancellation, keeping the ticket, its thread and the customer's words."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from support_desk.core.tx import UnitOfWork
from ticketing import rules
from ticketing.commands import ConvertQuestion, OpenTicket
from ticketing.errors import InvalidTicketRequest, WrongResolution
from ticketing.models import TicketKind
from ticketing.read_models import TicketView
from ticketing.services._common import finish, snapshot, view_of
from ticketing.services.opening import check_services, invoice_of
from ticketing.services.resolution import workable


async def convert_question(uow: UnitOfWork, cmd: ConvertQuestion) -> TicketView:
    """T1: the holder turns a question into another kind, about one of the customer's
    invoices (and services); the amount at stake is read off billing's figures as when a
    ticket opens. Refusals: NotTicketHolder, WrongResolution, NotYourInvoice,
    InvalidTicketRequest (also when a live ticket of that kind about that invoice exists)."""
    if (earlier := await uow.idempotency.replay(cmd, TicketView)) is not None:
        return earlier
    if cmd.kind is TicketKind.QUESTION:
        raise WrongResolution(kind=TicketKind.QUESTION.value)
    t = await workable(uow, cmd.ticket_id, cmd.actor, cmd.expected_version, TicketKind.QUESTION)
    opening = OpenTicket(
        t.customer_id, cmd.kind, t.reason, cmd.actor, None, cmd.invoice_id, cmd.line_ids,
        cmd.service_ids,
    )  # fmt: skip
    invoice = await invoice_of(uow, opening)
    await check_services(uow, opening)
    before = snapshot(t)
    t.kind, t.invoice_id = cmd.kind, cmd.invoice_id
    t.line_ids, t.service_ids = sorted(set(cmd.line_ids)), sorted(set(cmd.service_ids))
    t.currency = None if invoice is None else invoice.currency
    t.amount_minor = (
        None if invoice is None else rules.amount_at_stake(cmd.kind, invoice, cmd.line_ids)
    )
    try:
        async with uow.session.begin_nested():
            await finish(uow, cmd.actor, t, "ticket.converted", before)
    except IntegrityError as exc:
        raise InvalidTicketRequest(problem="a live ticket of that kind exists") from exc
    return await uow.idempotency.remember(cmd, await view_of(uow, t))
