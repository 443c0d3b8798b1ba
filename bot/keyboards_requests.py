"""Inline keyboards of the requests (B5-B7, T1) and of My tickets (T4); labels are gettext
msgids, one primary action per row, Stop or Back last (BOT_UX §1)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_date

from billing.messages import InvoiceDelivered
from billing.read_models import InvoiceLineView, InvoiceView, ServiceView
from bot.callbacks import InvoiceAct, InvoiceCD
from bot.callbacks_requests import (
    AskAct,
    AskCD,
    FlowAct,
    FlowCD,
    QuestionAct,
    QuestionCD,
    RefundAct,
    RefundCD,
    RefundReason,
    RefundTo,
    ServiceAct,
    ServiceCD,
    SplitAct,
    SplitCD,
    TicketAct,
    TicketCD,
    TicketsCD,
    When,
)
from bot.money_callbacks import MenuCD, Screen
from support_desk.core.texts import Texts, format_money
from ticketing.messages import TicketOpened, TicketReply, TicketStatusChanged
from ticketing.read_models import TicketView

MAX_ID = 2**31 - 1
PAID = ("paid", "partially_paid")
REASONS: dict[RefundReason, str] = {
    RefundReason.DUPLICATE: "I was charged twice",
    RefundReason.NOT_USED: "I did not use the service",
    RefundReason.NOT_WORKING: "The service did not work",
    RefundReason.WRONG_AMOUNT: "The amount is wrong",
    RefundReason.OTHER: "Another reason",
}
REFUND_TO: dict[RefundTo, str] = {
    RefundTo.MONEY_BACK: "Back to my payment method",
    RefundTo.ACCOUNT_CREDIT: "Keep as account credit",
}
KINDS = {
    "refund": "Refund",
    "compound_split": "Invoice change",
    "service_cancellation": "Service cancellation",
    "question": "Question",
}
STATUSES = {
    "open": "Waiting for us",
    "in_progress": "In progress",
    "waiting_on_customer": "Waiting for you",
    "resolved": "Resolved",
    "rejected": "Closed",
}


class Labels:
    """Buttons in one locale: `label(msgid, data)` makes a full-width row."""

    def __init__(self, texts: Texts, locale: str) -> None:
        self.texts, self.locale = texts, locale
        self.rows: list[list[InlineKeyboardButton]] = []

    def add(self, msgid: str, data: CallbackData, **args: object) -> Labels:
        text = self.texts.gettext(msgid, self.locale)
        text = text % args if args else text
        self.rows.append([InlineKeyboardButton(text=text, callback_data=data.pack())])
        return self

    def stop(self) -> Labels:
        return self.add("Stop", FlowCD(act=FlowAct.STOP))

    def markup(self) -> InlineKeyboardMarkup | None:
        return InlineKeyboardMarkup(inline_keyboard=self.rows) if self.rows else None


ASK_LABELS = {
    AskAct.REFUND: "Request a refund",
    AskAct.SPLIT: "Change services on this invoice",
    AskAct.SERVICES: "Cancel a service",
}


def ask_buttons(
    invoice: InvoiceDelivered, texts: Texts, locale: str
) -> list[InlineKeyboardButton]:
    """The requests valid for an invoice now (under `invoice_actions`): a refund of what was
    paid (B6), a change of a compound invoice (B7), a service it bills (B5)."""
    invoice_id, status = invoice.invoice_id, invoice.status
    acts: list[AskAct] = []
    if status in PAID:
        acts.append(AskAct.REFUND)
    if invoice.is_compound and status != "canceled":
        acts.append(AskAct.SPLIT)
    if invoice.service_ids and status != "canceled":
        acts.append(AskAct.SERVICES)
    return [
        InlineKeyboardButton(
            text=texts.gettext(ASK_LABELS[act], locale),
            callback_data=AskCD(act=act, invoice_id=invoice_id).pack(),
        )
        for act in acts
    ]


def refund_reasons(invoice_id: int, texts: Texts, locale: str) -> InlineKeyboardMarkup | None:
    labels = Labels(texts, locale)
    for reason, msgid in REASONS.items():
        labels.add(msgid, RefundCD(act=RefundAct.WHY, invoice_id=invoice_id, value=reason))
    return labels.stop().markup()


def refund_words(invoice_id: int, texts: Texts, locale: str) -> InlineKeyboardMarkup | None:
    labels = Labels(texts, locale).add("Skip", RefundCD(act=RefundAct.SKIP, invoice_id=invoice_id))
    labels.add("‹ Back", RefundCD(act=RefundAct.BACK, invoice_id=invoice_id))
    return labels.stop().markup()


def refund_to(invoice_id: int, texts: Texts, locale: str) -> InlineKeyboardMarkup | None:
    labels = Labels(texts, locale)
    for to, msgid in REFUND_TO.items():
        labels.add(msgid, RefundCD(act=RefundAct.TO, invoice_id=invoice_id, value=to))
    labels.add("‹ Back", RefundCD(act=RefundAct.BACK, invoice_id=invoice_id))
    return labels.stop().markup()


def refund_summary(invoice_id: int, texts: Texts, locale: str) -> InlineKeyboardMarkup | None:
    labels = Labels(texts, locale).add(
        "Send request", RefundCD(act=RefundAct.SEND, invoice_id=invoice_id)
    )
    labels.add("Change", RefundCD(act=RefundAct.BACK, invoice_id=invoice_id))
    return labels.stop().markup()


def split_services(
    invoice_id: int, services: Iterable[ServiceView], texts: Texts, locale: str
) -> InlineKeyboardMarkup | None:
    """B7 step 1: the cheaper route first, cancelling a service no longer needed."""
    labels = _cancel_buttons(Labels(texts, locale), invoice_id, services)
    labels.add("No, change only this invoice", SplitCD(act=SplitAct.ONLY, invoice_id=invoice_id))
    return labels.stop().markup()


def _cancel_buttons(labels: Labels, invoice_id: int, services: Iterable[ServiceView]) -> Labels:
    """B5: "Cancel <service>" for each service, from the invoice the request started on."""
    for service in services:
        data = ServiceCD(act=ServiceAct.PICK, service_id=service.id, invoice_id=invoice_id)
        labels.add("Cancel %(service)s", data, service=service.name[:40])
    return labels


LINES_PER_PAGE = 20  # a keyboard holds at most 100 buttons; a compound invoice up to 200 lines


def line_pages(invoice: InvoiceView) -> int:
    return max(1, -(-len(invoice.lines) // LINES_PER_PAGE))


def split_lines(
    invoice: InvoiceView, ticked: Sequence[int], texts: Texts, locale: str, page: int = 0
) -> InlineKeyboardMarkup | None:
    """B7 step 2: a button per line of one page of lines; it says "set on" or "set off", never
    "toggle"; a pager when the invoice has more lines than a page."""
    labels = Labels(texts, locale)
    page = min(max(page, 0), line_pages(invoice) - 1)
    for line in invoice.lines[page * LINES_PER_PAGE : (page + 1) * LINES_PER_PAGE]:
        on = line.id in ticked
        act = SplitAct.OFF if on else SplitAct.ON
        data = SplitCD(act=act, invoice_id=invoice.id, line_id=line.id, page=page)
        msgid = "✓ %(line)s · %(amount)s" if on else "%(line)s · %(amount)s"
        labels.add(msgid, data, line=line.name[:30], amount=_money(line, invoice, locale))
    if line_pages(invoice) > 1:
        labels.rows.append(_line_pager(invoice, page))
    if ticked:
        done = SplitCD(act=SplitAct.DONE, invoice_id=invoice.id)
        labels.add("Done (%(count)s)", done, count=len(ticked))
    return labels.stop().markup()


def _line_pager(invoice: InvoiceView, page: int) -> list[InlineKeyboardButton]:
    """‹ k / n ›, as the invoice list pages: the page number and the ends do nothing."""
    last, noop = line_pages(invoice) - 1, MenuCD(to=Screen.NOOP).pack()

    def to(target: int) -> str:
        if target == page or not 0 <= target <= last:
            return noop
        return SplitCD(act=SplitAct.PAGE, invoice_id=invoice.id, page=target).pack()

    return [
        InlineKeyboardButton(text="‹", callback_data=to(page - 1)),
        InlineKeyboardButton(text=f"{page + 1} / {last + 1}", callback_data=noop),
        InlineKeyboardButton(text="›", callback_data=to(page + 1)),
    ]


def _money(line: InvoiceLineView, invoice: InvoiceView, locale: str) -> str:
    return format_money(line.total_minor, invoice.currency, locale=locale)


def split_confirm(invoice_id: int, texts: Texts, locale: str) -> InlineKeyboardMarkup | None:
    labels = Labels(texts, locale).add(
        "Send request", SplitCD(act=SplitAct.SEND, invoice_id=invoice_id)
    )
    labels.add("‹ Back", SplitCD(act=SplitAct.BACK, invoice_id=invoice_id))
    return labels.stop().markup()


def service_choice(
    invoice_id: int, services: Iterable[ServiceView], texts: Texts, locale: str
) -> InlineKeyboardMarkup | None:
    return _cancel_buttons(Labels(texts, locale), invoice_id, services).stop().markup()


def service_when(
    service_id: int, invoice_id: int, texts: Texts, locale: str, period_end: date | None = None
) -> InlineKeyboardMarkup | None:
    """BOT_UX: "At period end (31 Jan) — kept until then" when billing knows the day."""
    labels = Labels(texts, locale)
    for when, msgid in ((When.PERIOD_END, "At period end"), (When.NOW, "Now")):
        data = ServiceCD(
            act=ServiceAct.WHEN, service_id=service_id, invoice_id=invoice_id, value=when
        )
        if when is When.PERIOD_END and period_end is not None:
            day = format_date(period_end, "d MMM", locale=locale)
            labels.add("At period end (%(day)s) — kept until then", data, day=day)
        else:
            labels.add(msgid, data)
    return labels.stop().markup()


def service_confirm(
    service_id: int, invoice_id: int, texts: Texts, locale: str
) -> InlineKeyboardMarkup | None:
    data = ServiceCD(act=ServiceAct.SEND, service_id=service_id, invoice_id=invoice_id)
    return Labels(texts, locale).add("Send request", data).stop().markup()


def question_offer(texts: Texts, locale: str) -> InlineKeyboardMarkup | None:
    labels = Labels(texts, locale).add("Send as a new question", QuestionCD(act=QuestionAct.SEND))
    return labels.add("Don't send", QuestionCD(act=QuestionAct.DROP)).markup()


def ticket_label(ticket: TicketView, texts: Texts, locale: str) -> str:
    kind = texts.gettext(KINDS.get(ticket.kind, "Question"), locale)
    status = texts.gettext(STATUSES.get(ticket.status, "Open"), locale)
    return f"#{ticket.id} {kind} · {status}"


def tickets_list(
    tickets: Iterable[TicketView], next_after: int | None, texts: Texts, locale: str
) -> InlineKeyboardMarkup | None:
    """My tickets: one button per ticket, newest first; "More" pages on (edits in place)."""
    rows = [
        [
            InlineKeyboardButton(
                text=ticket_label(t, texts, locale),
                callback_data=TicketCD(act=TicketAct.SHOW, ticket_id=t.id).pack(),
            )
        ]
        for t in tickets
    ]
    labels = Labels(texts, locale)
    labels.rows = rows
    if next_after:
        labels.add("More ›", TicketsCD(after=next_after))
    labels.add("Menu", MenuCD(to=Screen.MENU))  # the list opens from the menu: a way back
    return labels.markup()


def ticket_page(ticket: TicketView, live: bool, texts: Texts, locale: str) -> InlineKeyboardMarkup:
    labels = Labels(texts, locale)
    if live:
        labels.add("Reply", TicketCD(act=TicketAct.REPLY, ticket_id=ticket.id))
    if ticket.invoice_id is not None:
        labels.add("Open invoice", InvoiceCD(act=InvoiceAct.SHOW, invoice_id=ticket.invoice_id))
    labels.add("‹ Back", TicketsCD(after=0))
    markup = labels.markup()
    assert markup is not None
    return markup


def for_message(
    message: TicketReply | TicketOpened | TicketStatusChanged, texts: Texts, locale: str
) -> InlineKeyboardMarkup | None:
    """T4, T7: Reply under an agent's reply and under "waiting for your answer"; Open ticket
    under a receipt."""
    ticket_id = message.ticket_id
    if not 1 <= ticket_id <= MAX_ID:
        return None
    labels = Labels(texts, locale)
    waiting = isinstance(message, TicketStatusChanged) and message.status == "waiting_on_customer"
    if isinstance(message, TicketReply) or waiting:
        labels.add("Reply", TicketCD(act=TicketAct.REPLY, ticket_id=ticket_id))
    if isinstance(message, TicketReply | TicketOpened):
        labels.add("Open ticket", TicketCD(act=TicketAct.SHOW, ticket_id=ticket_id))
    return labels.markup()
