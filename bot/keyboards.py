"""Inline keyboards, built from what a message shows; labels are gettext msgids.

`for_message` gives the buttons of a customer message by its type, so the delivery worker and a
handler showing the same invoice attach the same keyboard.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder, KeyboardBuilder

from billing.messages import CreditNoteIssued, InvoiceDelivered
from billing.read_models import InvoiceView
from billing.rules import customer_cancel_refusal
from bot import keyboards_requests
from bot.callbacks import InvoiceAct, InvoiceCD, RateCD, ReplyCD, UndoCD
from support_desk.core.messages import CustomerMessage
from support_desk.core.texts import Texts
from ticketing.messages import RatingRequest, TicketOpened, TicketReply, TicketStatusChanged

_MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class _Shown:
    """An invoice as a message shows it, enough for billing's cancel rule."""

    customer_id: int
    status: str
    paid_minor: int
    is_compound: bool

    @classmethod
    def of(cls, invoice: InvoiceDelivered) -> _Shown:
        paid = max(invoice.total_minor - invoice.balance_minor, 0)
        return cls(0, invoice.status, paid, invoice.is_compound)


def cancellable(invoice: InvoiceView | InvoiceDelivered) -> bool:
    """Whether to offer Cancel: billing's rule for a customer's own cancel (B1, B5, B7), asked,
    not copied; billing still decides when the button is pressed."""
    if isinstance(invoice, InvoiceView):
        return customer_cancel_refusal(invoice) is None
    return customer_cancel_refusal(_Shown.of(invoice)) is None


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
    invoice: InvoiceDelivered, texts: Texts, locale: str, *, can_cancel: bool | None = None
) -> InlineKeyboardMarkup | None:
    """Cancel (B1, not B7's compound invoices), the requests valid now (B5-B7) and, for an
    unpaid invoice, talk to a person, under an invoice."""
    invoice_id = invoice.invoice_id
    if not 1 <= invoice_id <= _MAX_ID:
        return None
    builder = InlineKeyboardBuilder()
    if cancellable(invoice) if can_cancel is None else can_cancel:
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
    """Yes / No under the confirmation; none when the invoice can no longer be cancelled."""
    if not cancellable(invoice):
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
