"""A customer's invoices in the chat: cancel one after a confirmation that shows the credit
note to come (B1-B3), undo that within the window (B4), and ask for a person (T1). The list and
the invoice's page are in bot.handlers.money.

`CallbackGuard` has already checked every press against the chat link, injected the invoice or
credit note the button names, and answered the query; handlers parse, call one use case, and
render. Messages caused by a change (the credit note, the ticket) come through the outbox.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

import billing
from billing.commands import CancelInvoice, UndoCancellation
from billing.history import cancellation_preview
from billing.read_models import InvoiceView
from bot import keyboards
from bot.callbacks import InvoiceAct, InvoiceCD, UndoCD
from bot.chats import ChatLink
from bot.handlers import my_tickets
from bot.handlers.middlewares import CallbackGuard
from bot.handlers.replies import (
    CANCEL_REASON,
    Speech,
    button_key,
    edit,
    mark_void,
    say,
)
from support_desk.core.tx import Transactor


async def cancel_pressed(query: CallbackQuery, invoice: InvoiceView, speech: Speech) -> None:
    """Never cancel on the first tap: a new message asks, showing the credit note it will issue
    (a new message, so a later cancel, after an undo, is a new press with a new idempotency
    key). The preview is computed from the invoice the guard has just read as theirs."""
    preview = cancellation_preview(invoice)
    keyboard = keyboards.confirm_cancel(invoice, speech.texts, speech.locale)
    text = speech.render("flows/confirm_cancel.html", invoice=invoice, preview=preview)
    await say(query, text, keyboard)


async def cancel_confirmed(
    query: CallbackQuery, invoice: InvoiceView, customer: ChatLink, tx: Transactor, speech: Speech
) -> None:
    reason, key = speech.gettext(CANCEL_REASON), button_key(query)
    command = CancelInvoice(invoice.id, reason, customer.actor, idempotency_key=key)
    result = await tx.run(billing.cancel_invoice, command)
    await edit(query, speech.render("flows/cancelled.html", result=result))


async def cancel_kept(query: CallbackQuery, invoice: InvoiceView, speech: Speech) -> None:
    await edit(query, speech.render("flows/kept.html", invoice=invoice))


async def undo_pressed(
    query: CallbackQuery, callback_data: UndoCD, customer: ChatLink, tx: Transactor, speech: Speech
) -> None:
    note_id, key = callback_data.credit_note_id, button_key(query)
    command = UndoCancellation(note_id, customer.actor, idempotency_key=key)
    result = await tx.run(billing.undo_cancellation, command)
    await mark_void(query, speech.render("money/voided.html", note=result.credit_note))
    if result.already_undone:  # a fresh undo is announced by its cancellation_undone message
        await say(query, speech.render("flows/already_undone.html", result=result))


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.middleware(CallbackGuard())
    on_press = router.callback_query.register
    on_press(cancel_pressed, InvoiceCD.filter(F.act == InvoiceAct.CANCEL))
    on_press(cancel_confirmed, InvoiceCD.filter(F.act == InvoiceAct.CONFIRM))
    on_press(cancel_kept, InvoiceCD.filter(F.act == InvoiceAct.KEEP))
    on_press(my_tickets.talk_pressed, InvoiceCD.filter(F.act == InvoiceAct.TALK))  # T1
    on_press(undo_pressed, UndoCD.filter())
    return router
