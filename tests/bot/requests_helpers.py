"""What the request flow tests share: a customer with a linked chat, pressing and typing as
they would, and an agent resolving what they asked through ticketing's own use cases."""

from __future__ import annotations

from typing import Any

import billing
import ticketing
from billing.commands import DeliverInvoice
from billing.read_models import CustomerView, InvoiceView
from bot.emulator import ChatMessage, EmulatedUser
from support_desk.core.actors import Actor
from support_desk.core.tx import Transactor
from tests.bot.customer_bot import CustomerBot
from tests.factories import STAFF
from tests.services.ticketing.builders import claimed, make_agent
from ticketing.read_models import TicketView


async def press(stack: CustomerBot, user: EmulatedUser, label: str) -> dict[str, Any]:
    update = user.press(label)
    await stack.settle(update)
    return update


async def send(stack: CustomerBot, user: EmulatedUser, text: str) -> dict[str, Any]:
    update = user.send(text)
    await stack.settle(update)
    return update


def labels(message: ChatMessage) -> list[str]:
    return [b["text"] for b in message.buttons()]


def last(user: EmulatedUser) -> ChatMessage:
    return user.received()[-1]


def forge(user: EmulatedUser, data: str) -> dict[str, Any]:
    """A press with data the client chose (MTProto lets it send any bytes)."""
    message = user.received()[-1]
    query = {
        "id": user.world.new_callback_id(),
        "from": user.user,
        "message": user.world.message_object(message),
        "chat_instance": str(user.id * 7919),
        "data": data,
    }
    return user.world.emit(callback_query=query)


async def delivered(tx: Transactor, stack: CustomerBot, invoice: InvoiceView) -> InvoiceView:
    """The invoice as it reaches the chat (its message and buttons), read again."""
    await tx.run(billing.deliver_invoice, DeliverInvoice(invoice.id, actor=STAFF))
    await stack.delivery.drain()
    return await tx.read(billing.queries.invoice_view, invoice.id)


async def tickets_of(tx: Transactor, customer: CustomerView) -> list[TicketView]:
    """The customer's tickets with their threads, oldest first."""
    page = await tx.read(ticketing.tickets_of_customer, customer.id, STAFF)
    return [await tx.read(ticketing.ticket_view, t.id, STAFF) for t in reversed(page.items)]


async def taken(tx: Transactor, ticket: TicketView) -> tuple[Actor, TicketView]:
    """An agent claims the ticket (the customer hears of it, T7)."""
    agent = await make_agent(tx)
    return agent, await claimed(tx, agent, ticket)
