"""Keyboards of the menu, the invoice list and page, and the settings; labels are gettext msgids.

One primary action per full-width row, "‹ Back" or Menu in the last row (BOT_UX §1); a Cancel
button only when billing says the customer may cancel now (`customer_cancel_refusal`).
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder, KeyboardBuilder

from billing.history import InvoiceListPage
from billing.messages import InvoiceDelivered
from billing.read_models import InvoiceView
from bot import keyboards
from bot.callbacks_requests import TicketsCD
from bot.money_callbacks import (
    DocumentCD,
    ListCD,
    MenuCD,
    OpenCD,
    Screen,
    SettingAct,
    SettingsCD,
)
from bot.summary import InvoicePage, Overview
from support_desk.core.texts import Texts, format_day, format_money

STATUS_WORDS = {
    "unpaid": "Unpaid",
    "partially_paid": "Partly paid",
    "paid": "Paid",
    "canceled": "Cancelled",
}
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


def _markup(builder: KeyboardBuilder[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=builder.export())


def _menu_button(texts: Texts, locale: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=texts.gettext("Menu", locale), callback_data=MenuCD(to=Screen.MENU).pack()
    )


def menu_only(texts: Texts, locale: str) -> InlineKeyboardMarkup:
    """The next step under a refusal or a hint: back to the menu."""
    return InlineKeyboardMarkup(inline_keyboard=[[_menu_button(texts, locale)]])


def menu(overview: Overview, texts: Texts, locale: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    label = texts.gettext("Invoices (%(count)s)", locale) % {"count": overview.money.invoices}
    builder.button(text=label, callback_data=ListCD(page=1))
    builder.button(text=texts.gettext("My tickets", locale), callback_data=TicketsCD())
    builder.button(
        text=texts.gettext("Settings", locale), callback_data=MenuCD(to=Screen.SETTINGS)
    )
    builder.button(text=texts.gettext("Help", locale), callback_data=MenuCD(to=Screen.HELP))
    return _markup(builder.adjust(2))


def welcome(overview: Overview, texts: Texts, locale: str) -> InlineKeyboardMarkup:
    """The menu, after a button for each invoice that was waiting for this chat (as it is
    now), so the first minute is one message with everything in reach."""
    builder = InlineKeyboardBuilder()
    for invoice in overview.waiting:
        builder.row(
            InlineKeyboardButton(
                text=invoice_label(invoice, texts, locale),
                callback_data=OpenCD(invoice_id=invoice.id).pack(),
            )
        )
    builder.attach(InlineKeyboardBuilder(markup=menu(overview, texts, locale).inline_keyboard))
    return _markup(builder)


def invoice_label(invoice: InvoiceView, texts: Texts, locale: str) -> str:
    """ "INV-000042 · €120.00 · Unpaid, due Jan 31, 2027": what a list button says."""
    amount = invoice.balance_minor if invoice.balance_minor else invoice.total_minor
    status = texts.gettext(STATUS_WORDS.get(invoice.status, invoice.status), locale)
    label = (
        f"{invoice.number} · {format_money(amount, invoice.currency, locale=locale)} · {status}"
    )
    if invoice.due_date and invoice.balance_minor:
        due = texts.gettext("due %(date)s", locale) % {
            "date": format_day(invoice.due_date, locale=locale)
        }
        label = f"{label}, {due}"
    return label


def invoice_list(page: InvoiceListPage, texts: Texts, locale: str) -> InlineKeyboardMarkup:
    """One button per invoice; a pager of the same shape on every page when there are more."""
    builder = InlineKeyboardBuilder()
    for invoice in page.items:
        builder.row(
            InlineKeyboardButton(
                text=invoice_label(invoice, texts, locale),
                callback_data=OpenCD(invoice_id=invoice.id, page=page.page).pack(),
            )
        )
    if page.pages > 1:
        noop = MenuCD(to=Screen.NOOP).pack()
        before = ListCD(page=page.page - 1).pack() if page.page > 1 else noop
        after = ListCD(page=page.page + 1).pack() if page.page < page.pages else noop
        builder.row(
            InlineKeyboardButton(text="‹", callback_data=before),
            InlineKeyboardButton(text=f"{page.page} / {page.pages}", callback_data=noop),
            InlineKeyboardButton(text="›", callback_data=after),
        )
    builder.row(_menu_button(texts, locale))
    return _markup(builder)


def invoice_page(page: InvoicePage, back: int, texts: Texts, locale: str) -> InlineKeyboardMarkup:
    """The invoice's own actions (`keyboards.invoice_actions`, valid now: Cancel only when
    billing allows it with the services in use known), a PDF button per credit note, "‹ Back"
    to the list page."""
    history, invoice = page.history, page.history.invoice
    shown = InvoiceDelivered.of(invoice)
    can_cancel = history.cancel_refusal is None
    actions = keyboards.invoice_actions(shown, texts, locale, can_cancel=can_cancel)
    builder = InlineKeyboardBuilder(markup=actions.inline_keyboard if actions else [])
    pdf = texts.gettext("%(number)s PDF", locale)
    for document in history.documents[-4:]:
        builder.row(
            InlineKeyboardButton(
                text=pdf % {"number": document.number},
                callback_data=DocumentCD(credit_note_id=document.credit_note_id).pack(),
            )
        )
    builder.row(
        InlineKeyboardButton(
            text=texts.gettext("‹ Back", locale), callback_data=ListCD(page=back).pack()
        )
    )
    return _markup(builder)


def settings(
    language: str, compound_allowed: bool, texts: Texts, locale: str
) -> InlineKeyboardMarkup:
    """State in the text, the action on the button: each button names what it sets."""
    builder = InlineKeyboardBuilder()
    other = "ru" if language == "en" else "en"
    builder.button(
        text=LANGUAGE_NAMES[other],
        callback_data=SettingsCD(act=SettingAct.LANGUAGE, value=other),
    )
    turn = "Turn off compound invoices" if compound_allowed else "Turn on compound invoices"
    builder.button(
        text=texts.gettext(turn, locale),
        callback_data=SettingsCD(act=SettingAct.COMPOUND, value="0" if compound_allowed else "1"),
    )
    builder.button(
        text=texts.gettext("Unlink this chat", locale),
        callback_data=SettingsCD(act=SettingAct.UNLINK),
    )
    builder.adjust(1)
    builder.row(_menu_button(texts, locale))
    return _markup(builder)


def confirm_unlink(texts: Texts, locale: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.gettext("Unlink this chat", locale),
        callback_data=SettingsCD(act=SettingAct.UNLINK_CONFIRMED),
    )
    builder.button(
        text=texts.gettext("Keep linked", locale),
        callback_data=SettingsCD(act=SettingAct.KEEP_LINKED),
    )
    return _markup(builder.adjust(1))


def help_buttons(texts: Texts, locale: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.gettext("Invoices", locale), callback_data=ListCD(page=1))
    builder.row(_menu_button(texts, locale))
    return _markup(builder)
