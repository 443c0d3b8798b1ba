"""The bot's routers, in the order they are tried, built afresh for each Dispatcher (a Router
joins one parent only, and tests build a Dispatcher per test).

One customer router, for private chats, carries the middlewares that read the chat link, answer
floods, blank and over-long texts (guards), and turn refusals into words; the tickets router
takes any other text (T4); the fallback for unknown buttons, then the short help for unknown
commands and stickers, come last.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.types import Message

from bot.handlers import (
    fallback,
    flow,
    invoices,
    menu,
    money,
    my_tickets,
    refund,
    services,
    settings,
    split,
    start,
    tickets,
)
from bot.handlers.guards import InputGuard
from bot.handlers.middlewares import CustomerMiddleware, MessageRefusals


async def private_chat(message: Message) -> bool:
    return message.chat.type == ChatType.PRIVATE


def request_routers() -> list[Router]:
    """/cancel first (it wins in every flow), then the requests and My tickets, whose text
    handlers take a text only in their own waiting state (before the tickets router)."""
    return [
        flow.make_router(),
        refund.make_router(),
        split.make_router(),
        services.make_router(),
        my_tickets.make_router(),
    ]


def get_routers() -> list[Router]:
    customer = Router(name="customer")
    customer.message.filter(private_chat)
    customer.message.middleware(CustomerMiddleware())
    customer.message.middleware(InputGuard())
    customer.message.middleware(MessageRefusals())
    customer.callback_query.middleware(CustomerMiddleware())
    customer.include_routers(
        start.make_router(),
        money.make_router(),
        menu.make_router(),
        settings.make_router(),
        invoices.make_router(),
        *request_routers(),
        tickets.make_router(),
        fallback.make_router(),
        menu.make_catchall_router(),
    )
    return [customer]
