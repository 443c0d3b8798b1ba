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
import ticketing
from billing.commands import CancelInvoice, UndoCancellation
from billing.models import InvoiceStatus
from billing.views import InvoiceView
from bot import keyboards
from bot.access import require_link
from bot.callbacks import InvoiceAct, InvoiceCD, UndoCD
from bot.chats import ChatLink
from bot.handlers.middlewares import CallbackGuard
from bot.handlers.replies import (
    CANCEL_REASON,
    TALK_REASON,
    button_key,
    drop_buttons,
    edit,
    invoice_payload,
    say,
)
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from ticketing.commands import OpenTicket

OPEN = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID)
LIST_LIMIT = 20


async def list_invoices(
    message: Message, customer: ChatLink | None, tx: Transactor, texts: Texts, locale: str
) -> None:
    link = require_link(customer)
    page = await tx.read(
        billing.queries.invoices_page,
        customer_id=link.customer_id,
        statuses=OPEN,
        limit=LIST_LIMIT,
    )
    text = texts.render(
        "bot/flows/invoices.html", locale, invoices=page.items, more=page.next_after
    )
    await message.answer(text, reply_markup=keyboards.invoice_list(page.items, texts, locale))


async def show_invoice(
    query: CallbackQuery, invoice: InvoiceView, texts: Texts, locale: str
) -> None:
    payload = invoice_payload(invoice)
    text = texts.render("bot/invoice_delivered.html", locale, **payload)
    await say(query, text, keyboards.invoice_actions(payload, texts, locale))


async def cancel_pressed(
    query: CallbackQuery, invoice: InvoiceView, texts: Texts, locale: str
) -> None:
    """Never cancel on the first tap: a new message asks (a new message, so a later cancel,
    after an undo, is a new press with a new idempotency key)."""
    text = texts.render("bot/flows/confirm_cancel.html", locale, invoice=invoice)
    await say(query, text, keyboards.confirm_cancel(invoice, texts, locale))


async def cancel_confirmed(
    query: CallbackQuery,
    invoice: InvoiceView,
    customer: ChatLink,
    tx: Transactor,
    texts: Texts,
    locale: str,
) -> None:
    command = CancelInvoice(
        invoice_id=invoice.id,
        reason=texts.gettext(CANCEL_REASON, locale),
        actor=customer.actor,
        idempotency_key=button_key(query),
    )
    result = await tx.run(billing.cancel_invoice, command)
    await edit(query, texts.render("bot/flows/cancelled.html", locale, result=result))


async def cancel_kept(
    query: CallbackQuery, invoice: InvoiceView, texts: Texts, locale: str
) -> None:
    await edit(query, texts.render("bot/flows/kept.html", locale, invoice=invoice))


async def undo_pressed(
    query: CallbackQuery,
    callback_data: UndoCD,
    customer: ChatLink,
    tx: Transactor,
    texts: Texts,
    locale: str,
) -> None:
    command = UndoCancellation(
        credit_note_id=callback_data.credit_note_id,
        actor=customer.actor,
        idempotency_key=button_key(query),
    )
    result = await tx.run(billing.undo_cancellation, command)
    await drop_buttons(query)
    if result.already_undone:
        await say(query, texts.render("bot/flows/already_undone.html", locale, result=result))


async def talk_pressed(
    query: CallbackQuery,
    invoice: InvoiceView,
    customer: ChatLink,
    tx: Transactor,
    texts: Texts,
    locale: str,
) -> None:
    command = OpenTicket(
        customer_id=customer.customer_id,
        kind=ticketing.TicketKind.QUESTION,
        reason=texts.gettext(TALK_REASON, locale),
        actor=customer.actor,
        invoice_id=invoice.id,
        idempotency_key=button_key(query),
    )
    ticket = await tx.run(ticketing.open_ticket, command)
    if ticket.joined:  # a new ticket is announced by its ticket_opened message
        await say(query, texts.render("bot/flows/ticket_joined.html", locale, ticket=ticket))


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.middleware(CallbackGuard())
    router.message.register(list_invoices, Command("invoices"))
    on_press = router.callback_query.register
    on_press(show_invoice, InvoiceCD.filter(F.act == InvoiceAct.SHOW))
    on_press(cancel_pressed, InvoiceCD.filter(F.act == InvoiceAct.CANCEL))
    on_press(cancel_confirmed, InvoiceCD.filter(F.act == InvoiceAct.CONFIRM))
    on_press(cancel_kept, InvoiceCD.filter(F.act == InvoiceAct.KEEP))
    on_press(talk_pressed, InvoiceCD.filter(F.act == InvoiceAct.TALK))
    on_press(undo_pressed, UndoCD.filter())
    return router
