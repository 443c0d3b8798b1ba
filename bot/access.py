"""Who may press what: every callback is checked against the chat link, never the button.

`authorise` reads the object a button names as the linked customer's own; anything else (another
customer's id, an id that does not exist) is the same refusal, and it is kept in the audit log
with a hash of the data that was sent (TG5).
"""

from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncConnection

import billing
from billing.read_models import CreditNoteView, InvoiceView
from bot.callbacks import InvoiceCD, UndoCD
from bot.chats import ChatLink
from support_desk.core.actors import Actor
from support_desk.core.errors import DomainError, NotFound, PermissionDenied
from support_desk.core.tx import Transactor, UnitOfWork


class NotLinked(DomainError, code="not_linked"):
    message = "This Telegram account is not linked to a customer yet."


def require_link(link: ChatLink | None) -> ChatLink:
    if link is None:
        raise NotLinked()
    return link


async def authorise(
    tx: Transactor, link: ChatLink | None, data: InvoiceCD | UndoCD
) -> dict[str, InvoiceView | CreditNoteView]:
    """The object `data` names, as `{"invoice": …}` or `{"credit_note": …}`, if it is the linked
    customer's; PermissionDenied (audited) otherwise, NotLinked for a stranger."""
    link = require_link(link)
    try:
        if isinstance(data, InvoiceCD):
            invoice = await tx.read_statement(
                billing.queries.own_invoice_at_once, data.invoice_id, link.customer_id
            )
            return {"invoice": invoice}
        return {"credit_note": await tx.read_statement(own_credit_note, link.customer_id, data)}
    except PermissionDenied as refusal:
        await tx.run(record_refusal, link.actor, data.pack(), refusal)
        raise


async def own_credit_note(conn: AsyncConnection, customer_id: int, data: UndoCD) -> CreditNoteView:
    """The credit note an Undo names, in one statement (`tx.read_statement`)."""
    try:
        note = await billing.queries.credit_note_at_once(conn, data.credit_note_id)
    except NotFound:
        raise PermissionDenied() from None
    if note.customer_id != customer_id:
        raise PermissionDenied()
    return note


async def record_refusal(uow: UnitOfWork, actor: Actor, data: str, refusal: DomainError) -> None:
    """A security audit row for a refused button (the read that refused cannot write it)."""
    digest = hashlib.sha256(data.encode()).hexdigest()
    uow.audit(
        actor,
        "refused",
        subject=("callback", data.split(":", 1)[0]),
        after={"code": refusal.code, "data_sha256": digest},
    )
