"""Inline keyboards, built from what a message shows; labels are gettext msgids.

`for_message` gives the buttons of a customer message by its type, so the delivery worker and a
handler showing the same invoice attach the same keyboard.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder, KeyboardBuilder

from billing.messages import CreditNoteIssued, InvoiceDelivered
from billing.read_models import InvoiceView
from bot import keyboards_requests
from bot.callbacks import InvoiceAct, InvoiceCD, RateCD, ReplyCD, UndoCD
from support_desk.core.messages import CustomerMessage
from support_desk.core.texts import Texts, format_money
from ticketing.messages import RatingRequest, TicketOpened, TicketReply, TicketStatusChanged

CANCELLABLE = "unpaid"
_MAX_ID = 2**31 - 1


def for_message(
    message: CustomerMessage, texts: Texts, locale: str
) -> InlineKeyboardMarkup | None:
    """The buttons a message's type calls for; most messages have none."""
    match message:
        case InvoiceDelivered():
            return invoice_actions(message, texts, locale)
        case CreditNoteIssued(undo_until=until) if until is not None:
            return undo(message.credit_note_id, texts, locale)
        case RatingRequest():
            return rating(message.ticket_id)
        case TicketReply() | TicketOpened() | TicketStatusChanged():
            return keyboards_requests.for_message(message, texts, locale)
    return None


def invoice_actions(
    invoice: InvoiceDelivered, texts: Texts, locale: str
) -> InlineKeyboardMarkup | None:
    """Cancel (B1, not B7's compound invoices), the requests valid now (B5-B7) and, for an
    unpaid invoice, talk to a person, under an invoice."""
    invoice_id = invoice.invoice_id
    if not 1 <= invoice_id <= _MAX_ID:
        return None
    builder = InlineKeyboardBuilder()
    if invoice.status == CANCELLABLE and not invoice.is_compound:
        label = texts.gettext("Cancel invoice", locale)
        builder.button(
            text=label, callback_data=InvoiceCD(act=InvoiceAct.CANCEL, invoice_id=invoice_id)
        )
    requests = keyboards_requests.ask_buttons(invoice, texts, locale)
    builder.add(*requests)
    if invoice.status not in keyboards_requests.PAID and not invoice.is_compound:
        label = texts.gettext("Talk to a person", locale)  # a paid or compound one: a request
        talk = InvoiceCD(act=InvoiceAct.TALK, invoice_id=invoice_id)
        builder.button(text=label, callback_data=talk)
    return _markup(builder.adjust(1))


def undo(credit_note_id: int, texts: Texts, locale: str) -> InlineKeyboardMarkup | None:
    """B4: undo a self-service cancellation (billing checks the window when it is pressed)."""
    if not 1 <= credit_note_id <= _MAX_ID:
        return None
    builder = InlineKeyboardBuilder()
    label = texts.gettext("Undo cancellation", locale)
    builder.button(text=label, callback_data=UndoCD(credit_note_id=credit_note_id))
    return _markup(builder)


def confirm_cancel(invoice: InvoiceView, texts: Texts, locale: str) -> InlineKeyboardMarkup | None:
    """Yes / No under the confirmation; none when the invoice is no longer unpaid."""
    if invoice.status != CANCELLABLE:
        return None
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.gettext("Yes, cancel it", locale),
        callback_data=InvoiceCD(act=InvoiceAct.CONFIRM, invoice_id=invoice.id),
    )
    builder.button(
        text=texts.gettext("No, keep it", locale),
        callback_data=InvoiceCD(act=InvoiceAct.KEEP, invoice_id=invoice.id),
    )
    return _markup(builder)


def invoice_list(
    invoices: Iterable[InvoiceView], texts: Texts, locale: str
) -> InlineKeyboardMarkup | None:
    """One button per invoice; pressing it shows the invoice with its own buttons."""
    items = list(invoices)
    if not items:
        return None
    builder = InlineKeyboardBuilder()
    label = texts.gettext("Invoice %(number)s: %(amount)s", locale)
    for invoice in items:
        amount = format_money(invoice.balance_minor, invoice.currency, locale=locale)
        text = label % {"number": invoice.number or invoice.id, "amount": amount}
        builder.button(
            text=text, callback_data=InvoiceCD(act=InvoiceAct.SHOW, invoice_id=invoice.id)
        )
    return _markup(builder.adjust(1))


def rating(ticket_id: int) -> InlineKeyboardMarkup | None:
    """T7: 1 to 5 under a rating request, in one row (ticketing checks the press)."""
    if not 1 <= ticket_id <= _MAX_ID:
        return None
    builder = InlineKeyboardBuilder()
    for stars in range(1, 6):
        builder.button(text=str(stars), callback_data=RateCD(ticket_id=ticket_id, rating=stars))
    return _markup(builder.adjust(5))


def reply_choice(ticket_ids: Iterable[int], texts: Texts, locale: str) -> InlineKeyboardMarkup:
    """T4: one "Reply to ticket #N" per live ticket, when the customer has several."""
    builder = InlineKeyboardBuilder()
    label = texts.gettext("Reply to ticket #%(ticket)s", locale)
    for ticket_id in ticket_ids:
        builder.button(
            text=label % {"ticket": ticket_id}, callback_data=ReplyCD(ticket_id=ticket_id)
        )
    return _markup(builder.adjust(1))


def share_contact(texts: Texts, locale: str) -> ReplyKeyboardMarkup:
    """The "share my phone number" keyboard: Telegram fills in the user's own contact."""
    button = KeyboardButton(
        text=texts.gettext("Share my phone number", locale), request_contact=True
    )
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


def _markup(builder: KeyboardBuilder[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=builder.export())
