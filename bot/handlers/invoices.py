"""A customer's invoices in the chat: list and show them, cancel one after a confirmation
(B1-B3), undo that within the window (B4), and ask for a person (T1).

`CallbackGuard` has already checked every press against the chat link, injected the invoice or
credit note the button names, and answered the query; handlers parse, call one use case, and
render. Messages caused by a change (the credit note, the ticket) come through the outbox.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

import billing
from billing.commands import CancelInvoice, UndoCancellation
from billing.models import InvoiceStatus
from billing.read_models import InvoiceView
from bot import keyboards
from bot.access import require_link
from bot.callbacks import InvoiceAct, InvoiceCD, UndoCD
from bot.chats import ChatLink
from bot.handlers import my_tickets
from bot.handlers.middlewares import CallbackGuard
from bot.handlers.replies import (
    CANCEL_REASON,
    Speech,
    button_key,
    drop_buttons,
    edit,
    invoice_payload,
    say,
)
from support_desk.core.tx import Transactor

OPEN = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID)
LIST_LIMIT = 20


async def list_invoices(
    message: Message, customer: ChatLink | None, tx: Transactor, speech: Speech
) -> None:
    query = billing.queries.invoices_page
    link = require_link(customer)
    page = await tx.read(query, customer_id=link.customer_id, statuses=OPEN, limit=LIST_LIMIT)
    text = speech.render("flows/invoices.html", invoices=page.items, more=page.next_after)
    keyboard = keyboards.invoice_list(page.items, speech.texts, speech.locale)
    await message.answer(text, reply_markup=keyboard)


async def show_invoice(query: CallbackQuery, invoice: InvoiceView, speech: Speech) -> None:
    payload = invoice_payload(invoice)
    keyboard = keyboards.invoice_actions(payload, speech.texts, speech.locale)
    await say(query, speech.render("invoice_delivered.html", **payload), keyboard)


async def cancel_pressed(query: CallbackQuery, invoice: InvoiceView, speech: Speech) -> None:
    """Never cancel on the first tap: a new message asks (a new message, so a later cancel,
    after an undo, is a new press with a new idempotency key)."""
    keyboard = keyboards.confirm_cancel(invoice, speech.texts, speech.locale)
    await say(query, speech.render("flows/confirm_cancel.html", invoice=invoice), keyboard)


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
    await drop_buttons(query)
    if result.already_undone:  # a fresh undo is announced by its cancellation_undone message
        await say(query, speech.render("flows/already_undone.html", result=result))


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.middleware(CallbackGuard())
    router.message.register(list_invoices, Command("invoices"))
    on_press = router.callback_query.register
    on_press(show_invoice, InvoiceCD.filter(F.act == InvoiceAct.SHOW))
    on_press(cancel_pressed, InvoiceCD.filter(F.act == InvoiceAct.CANCEL))
    on_press(cancel_confirmed, InvoiceCD.filter(F.act == InvoiceAct.CONFIRM))
    on_press(cancel_kept, InvoiceCD.filter(F.act == InvoiceAct.KEEP))
    on_press(my_tickets.talk_pressed, InvoiceCD.filter(F.act == InvoiceAct.TALK))  # T1
    on_press(undo_pressed, UndoCD.filter())
    return router
