"""Inline keyboards, built from what a message shows; labels are gettext msgids.

`for_outbox` gives the buttons of an outbox message by its kind, so the delivery worker and a
handler showing the same invoice attach the same keyboard.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder, KeyboardBuilder

from billing.read_models import InvoiceView
from billing.rules import customer_cancel_refusal
from bot.callbacks import InvoiceAct, InvoiceCD, RateCD, ReplyCD, UndoCD
from support_desk.core.texts import Texts


@dataclass(frozen=True, slots=True)
class _Shown:
    """An invoice as a message's payload shows it, enough for billing's cancel rule."""

    customer_id: int
    status: str
    paid_minor: int
    is_compound: bool

    @classmethod
    def of(cls, payload: Mapping[str, Any]) -> _Shown:
        total, balance = int(payload.get("total_minor") or 0), payload.get("balance_minor")
        paid = total - int(balance) if isinstance(balance, int) else 0
        return cls(0, str(payload.get("status")), max(paid, 0), bool(payload.get("is_compound")))


def cancellable(invoice: InvoiceView | Mapping[str, Any]) -> bool:
    """Whether to offer Cancel: billing's rule for a customer's own cancel (B1, B5, B7), asked,
    not copied; billing still decides when the button is pressed."""
    if isinstance(invoice, InvoiceView):
        return customer_cancel_refusal(invoice) is None
    if "cancel_refusal" in invoice:  # decided already, with the services in use known
        return invoice["cancel_refusal"] is None
    return customer_cancel_refusal(_Shown.of(invoice)) is None


def for_outbox(
    kind: str, payload: Mapping[str, Any], texts: Texts, locale: str
) -> InlineKeyboardMarkup | None:
    if kind == "invoice_delivered" and isinstance(payload.get("invoice_id"), int):
        return invoice_actions(payload, texts, locale)
    if kind == "credit_note_issued" and payload.get("undo_until"):
        return undo(payload, texts, locale)
    if kind == "rating_request":
        return rating(payload)
    return None


def invoice_actions(
    invoice: Mapping[str, Any], texts: Texts, locale: str
) -> InlineKeyboardMarkup | None:
    """Cancel (B1, not B7's compound invoices) and talk to a person, under an invoice."""
    if not 1 <= int(invoice["invoice_id"]) <= 2**31 - 1:
        return None
    builder = InlineKeyboardBuilder()
    invoice_id = int(invoice["invoice_id"])
    if cancellable(invoice):
        label = texts.gettext("Cancel invoice", locale)
        builder.button(
            text=label, callback_data=InvoiceCD(act=InvoiceAct.CANCEL, invoice_id=invoice_id)
        )
    label = texts.gettext("Talk to a person", locale)
    builder.button(text=label, callback_data=InvoiceCD(act=InvoiceAct.TALK, invoice_id=invoice_id))
    return _markup(builder.adjust(1))


def undo(payload: Mapping[str, Any], texts: Texts, locale: str) -> InlineKeyboardMarkup | None:
    """B4: undo a self-service cancellation (billing checks the window when it is pressed)."""
    note_id = payload.get("credit_note_id")
    if not isinstance(note_id, int) or not 1 <= note_id <= 2**31 - 1:
        return None
    builder = InlineKeyboardBuilder()
    label = texts.gettext("Undo cancellation", locale)
    builder.button(text=label, callback_data=UndoCD(credit_note_id=note_id))
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


def rating(payload: Mapping[str, Any]) -> InlineKeyboardMarkup | None:
    """T7: 1 to 5 under a rating request, in one row (ticketing checks the press)."""
    ticket_id = payload.get("ticket_id")
    if not isinstance(ticket_id, int) or not 1 <= ticket_id <= 2**31 - 1:
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
