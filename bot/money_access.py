"""Who may press the money screens' buttons: the chat link decides, never the button.

An invoice or credit note the data names must be the linked customer's own; anyone else's, or
one that does not exist, is the same refusal, audited with a hash of the data (TG5). Buttons
naming no object (a list page, the menu, a setting) need a linked chat only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

import billing
from billing.errors import NotYourInvoice
from billing.read_models import CreditNoteView, InvoiceView
from bot.access import authorise, record_refusal, require_link
from bot.callbacks import InvoiceCD, UndoCD
from bot.chats import ChatLink
from bot.money_callbacks import DocumentCD, OpenCD
from support_desk.core.errors import NotFound, PermissionDenied
from support_desk.core.tx import Transactor


async def check(
    tx: Transactor, link: ChatLink | None, data: Any
) -> dict[str, InvoiceView | CreditNoteView]:
    """What `data` names, as `{"invoice": …}` or `{"credit_note": …}`, if it is the linked
    customer's; PermissionDenied (audited) otherwise, NotLinked for a stranger."""
    if isinstance(data, InvoiceCD | UndoCD):
        return await authorise(tx, link, data)
    link = require_link(link)
    try:
        if isinstance(data, OpenCD):
            own_issued = billing.queries.own_invoice_at_once  # history.own, in one statement
            invoice = await tx.read_statement(
                own_issued, data.invoice_id, link.customer_id, drafts=False
            )
            return {"invoice": invoice}
        if isinstance(data, DocumentCD):
            note_id = data.credit_note_id
            return {"credit_note": await tx.read_statement(own_note, link.customer_id, note_id)}
    except PermissionDenied as refusal:
        await tx.run(record_refusal, link.actor, data.pack(), refusal)
        raise
    return {}


async def own_note(conn: AsyncConnection, customer_id: int, credit_note_id: int) -> CreditNoteView:
    """An issued or void credit note of the customer's (a pending one has no document yet), in
    one statement (`tx.read_statement`)."""
    try:
        note = await billing.queries.credit_note_at_once(conn, credit_note_id)
    except NotFound:
        raise NotYourInvoice() from None
    if note.customer_id != customer_id or note.number is None:
        raise NotYourInvoice()
    return note
