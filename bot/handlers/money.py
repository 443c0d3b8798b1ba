"""Where the money is, in the chat: the invoice list (open and settled, paged), an invoice's
page with its dated history, and a credit note's PDF on request.

`/invoices` sends a new message; paging and opening an invoice edit it ("‹ Back" returns to
the same page); a PDF is a new message. Every press was re-authorised by `CallbackGuard`
against the chat link (bot.money_access) before it gets here.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.chat_action import ChatActionSender

from billing.document_files import credit_note_pdf_once
from billing.history import invoice_list
from billing.read_models import CreditNoteView, InvoiceView
from bot import money_keyboards as kb
from bot.access import require_link
from bot.callbacks import InvoiceAct, InvoiceCD
from bot.chats import ChatLink
from bot.handlers.middlewares import CallbackGuard
from bot.handlers.replies import Speech, edit
from bot.money_access import check
from bot.money_callbacks import DocumentCD, ListCD, OpenCD
from bot.summary import invoice_page
from support_desk.core.tx import Transactor

PER_PAGE = 5
PAGE_CAPS = {"lines": 20, "steps": 12}  # an invoice page's lines and latest history steps


async def render_list(
    customer: ChatLink | None, tx: Transactor, speech: Speech, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    link = require_link(customer)
    listing = await tx.read(invoice_list, link.customer_id, page, PER_PAGE)
    text = speech.render("money/invoice_list.html", page=listing)
    return text, kb.invoice_list(listing, speech.texts, speech.locale)


async def list_invoices(
    message: Message, customer: ChatLink | None, tx: Transactor, speech: Speech
) -> None:
    text, keyboard = await render_list(customer, tx, speech, 1)
    await message.answer(text, reply_markup=keyboard)


async def turn_page(
    query: CallbackQuery,
    callback_data: ListCD,
    customer: ChatLink | None,
    tx: Transactor,
    speech: Speech,
) -> None:
    text, keyboard = await render_list(customer, tx, speech, callback_data.page)
    await edit(query, text, keyboard)


async def open_invoice(
    query: CallbackQuery,
    invoice: InvoiceView,
    customer: ChatLink,
    tx: Transactor,
    speech: Speech,
    callback_data: OpenCD | InvoiceCD,
) -> None:
    back = callback_data.page if isinstance(callback_data, OpenCD) else 1
    page = await tx.read(invoice_page, customer, invoice.id)
    text = speech.render_within(
        "money/invoice_page.html", PAGE_CAPS, page=page, history=page.history
    )
    await edit(query, text, kb.invoice_page(page, back, speech.texts, speech.locale))


async def send_document(
    query: CallbackQuery, credit_note: CreditNoteView, tx: Transactor, speech: Speech
) -> None:
    """The PDF as a new message (a record to keep): the kept one for the note's status and the
    chat's language, drawn off the event loop (and kept) only the first time it is asked for."""
    if query.bot is None:
        return
    async with ChatActionSender.upload_document(query.from_user.id, query.bot):
        _, pdf = await credit_note_pdf_once(tx, speech.texts, credit_note.id, speech.locale)
    caption = speech.render("money/document_caption.html", note=credit_note)
    name = f"credit-note-{credit_note.number}.pdf"
    await query.bot.send_document(
        query.from_user.id, BufferedInputFile(pdf, name), caption=caption
    )


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.middleware(CallbackGuard(check))
    router.message.register(list_invoices, Command("invoices"))
    on_press = router.callback_query.register
    on_press(turn_page, ListCD.filter())
    on_press(open_invoice, OpenCD.filter())
    on_press(open_invoice, InvoiceCD.filter(F.act == InvoiceAct.SHOW))
    on_press(send_document, DocumentCD.filter())
    return router
