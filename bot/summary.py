"""The customer's overview, as the menu and the welcome after linking show it, and the
invoice page with its tickets.

`welcome_by_token` / `welcome_by_contact` link the chat and, in the same unit of work, fold the
messages that were waiting for a chat (invoices delivered, payments, status changes) into the
one welcome: those invoices are shown as they are now, not as they were when queued. Messages
that carry a document or a person's words (credit notes, agent replies) still arrive on their
own: nothing the customer must keep is folded away.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, update

import billing
import ticketing
from billing.history import InvoiceHistory, MoneySummary, invoice_history, money_summary
from billing.messages import CancellationUndone, InvoiceDelivered, PaymentReceived
from billing.read_models import CustomerView, InvoiceView
from bot.chats import ChatLink, link_of_user
from bot.linking import SharedContact, TelegramUser, link_by_contact, link_by_token
from support_desk.core.errors import DomainError
from support_desk.core.messages import MessageUnreadable, read_message
from support_desk.core.outbox import OutboxRow, OutboxStatus
from support_desk.core.tx import UnitOfWork
from ticketing.messages import TicketStatusChanged
from ticketing.read_models import TicketView

# what the welcome tells better as the state of things now than as a queued message
ABOUT_AN_INVOICE = (InvoiceDelivered, PaymentReceived, CancellationUndone)
FOLDED_KINDS = tuple(m.kind for m in (*ABOUT_AN_INVOICE, TicketStatusChanged))


@dataclass(frozen=True, slots=True)
class Overview:
    customer: CustomerView
    money: MoneySummary
    live_tickets: tuple[TicketView, ...]
    waiting: tuple[InvoiceView, ...] = ()  # invoices whose queued messages were folded in
    language: str = ""  # the chat's language, when just linked


TICKETS_SHOWN = 10  # an invoice page names its newest tickets; /tickets lists them all


@dataclass(frozen=True, slots=True)
class InvoicePage:
    history: InvoiceHistory
    tickets: tuple[TicketView, ...]  # the newest TICKETS_SHOWN about the invoice
    more_tickets: bool = False  # and there are older ones


async def overview(uow: UnitOfWork, link: ChatLink) -> Overview:
    """The menu: who, what is owed and by when, account credit, live tickets."""
    customer = await billing.queries.customer_view(uow, link.customer_id)
    money = await money_summary(uow, link.customer_id)
    return Overview(customer, money, await _live_tickets(uow, link))


async def invoice_page(uow: UnitOfWork, link: ChatLink, invoice_id: int) -> InvoicePage:
    """One invoice with its history and the customer's tickets about it."""
    history = await invoice_history(uow, invoice_id, link.customer_id)
    page = await ticketing.tickets_of_customer(
        uow, link.customer_id, link.actor, limit=TICKETS_SHOWN + 1, invoice_id=invoice_id
    )
    return InvoicePage(history, page.items[:TICKETS_SHOWN], len(page.items) > TICKETS_SHOWN)


async def welcome_by_token(uow: UnitOfWork, token: str, who: TelegramUser) -> Overview:
    customer = await link_by_token(uow, token, who)
    return await _welcome(uow, customer.id, who)


async def welcome_by_contact(
    uow: UnitOfWork, contact: SharedContact, who: TelegramUser
) -> Overview:
    customer = await link_by_contact(uow, contact, who)
    return await _welcome(uow, customer.id, who)


async def _welcome(uow: UnitOfWork, customer_id: int, who: TelegramUser) -> Overview:
    link = await link_of_user(uow, who.user_id)
    assert link is not None and link.customer_id == customer_id  # linked just now
    invoice_ids = await fold_waiting(uow, customer_id)
    waiting = tuple([v for i in invoice_ids if (v := await _own_invoice(uow, customer_id, i))])
    summary = await overview(uow, link)
    return Overview(summary.customer, summary.money, summary.live_tickets, waiting, link.language)


async def fold_waiting(uow: UnitOfWork, customer_id: int) -> list[int]:
    """Close the customer's waiting messages of FOLDED_KINDS as folded (kept, never sent) and
    answer the invoices they were about. A row a delivery worker holds is left to it."""
    waiting = and_(
        OutboxRow.customer_id == customer_id,
        OutboxRow.kind.in_(FOLDED_KINDS),
        OutboxRow.status.in_((OutboxStatus.PENDING, OutboxStatus.UNDELIVERABLE)),
        or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < uow.now),
    )
    rows = await uow.session.execute(
        update(OutboxRow)
        .where(waiting)
        .values(status=OutboxStatus.FOLDED, last_error="folded into the welcome summary")
        .returning(OutboxRow.kind, OutboxRow.payload)
        .execution_options(synchronize_session=False)
    )
    ids: list[int] = []
    for kind, payload in rows.all():
        try:
            message = read_message(kind, payload)
        except MessageUnreadable:  # folded all the same; there is no invoice to show for it
            continue
        if isinstance(message, ABOUT_AN_INVOICE) and message.invoice_id not in ids:
            ids.append(message.invoice_id)
    return sorted(ids, reverse=True)[:5]


async def _own_invoice(uow: UnitOfWork, customer_id: int, invoice_id: int) -> InvoiceView | None:
    try:
        return await billing.queries.customer_invoice(uow, invoice_id, customer_id)
    except DomainError:  # a payload naming no invoice of theirs: nothing to show
        return None


async def _live_tickets(uow: UnitOfWork, link: ChatLink) -> tuple[TicketView, ...]:
    """Ticketing says which tickets are live; the newest 200 filtered here missed older ones."""
    return await ticketing.live_tickets_of_customer(uow, link.customer_id, link.actor)
