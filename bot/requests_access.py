"""Who may press a request or my-tickets button: the invoice, service or ticket it names is
read as the linked customer's own on every press, never trusted from the button (TG5).

Another customer's object and one that does not exist are the same refusal, kept in the audit
log with a hash of the data that was sent (as `bot.access.authorise` does for invoices).
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

import billing
import ticketing
from billing.errors import NotYourService
from bot.access import record_refusal, require_link
from bot.chats import ChatLink
from support_desk.core.errors import NotFound, PermissionDenied
from support_desk.core.tx import Transactor, UnitOfWork
from ticketing.errors import NotYourTicket


async def authorise_request(
    tx: Transactor, link: ChatLink | None, data: CallbackData
) -> dict[str, object]:
    """`{"invoice": …, "service": …, "ticket": …}` for the ids `data` names (0 names none);
    PermissionDenied (audited) for anything not the customer's, NotLinked for a stranger."""
    link = require_link(link)
    try:
        return await tx.read(owned, link, data)
    except PermissionDenied as refusal:
        await tx.run(record_refusal, link.actor, data.pack(), refusal)
        raise


async def owned(uow: UnitOfWork, link: ChatLink, data: CallbackData) -> dict[str, object]:
    found: dict[str, object] = {}
    if invoice_id := int(getattr(data, "invoice_id", 0)):
        found["invoice"] = await billing.queries.customer_invoice(
            uow, invoice_id, link.customer_id
        )
    if service_id := int(getattr(data, "service_id", 0)):
        try:
            service = await billing.queries.service_view(uow, service_id)
        except NotFound:
            raise NotYourService() from None
        if service.customer_id != link.customer_id:
            raise NotYourService()
        found["service"] = service
    if ticket_id := int(getattr(data, "ticket_id", 0)):
        try:
            found["ticket"] = await ticketing.ticket_view(uow, ticket_id, link.actor)
        except (NotFound, PermissionDenied):
            raise NotYourTicket() from None
    return found
