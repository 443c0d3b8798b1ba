"""The offline demo: with no bot token, the bot talks to our emulator on loopback, where a person
chats with it in a browser as a customer (bot.emulator.webchat). Given the database, the chat is
kept there (bot.demo_chat), so a restarted demo continues the conversation.

`add_demo_customer` gives that customer something to try, made only through billing's use cases: an
unpaid invoice they may cancel themselves (B1-B3), a compound one (B7: the bot offers a person),
a paid one and a partly paid one (a refund goes through a ticket, B6). The demo Telegram user has
the customer's phone, so "Share my phone number" links the chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from pydantic import SecretStr

import billing
from billing.commands import (
    CreateCustomer,
    CreateService,
    DeliverInvoice,
    IssueInvoice,
    NewLine,
    RecordPayment,
)
from billing.errors import CustomerNotFound
from billing.read_models import InvoiceView
from bot.emulator import BotApiEmulator, EmulatedUser
from support_desk.core.actors import Actor
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor, UnitOfWork

DEMO_TOKEN = "100000001:offline-demo-token"
DEMO_CUSTOMER = "demo-customer-1"  # the external id that makes seeding happen once
DEMO_PHONE = "+44 20 7946 0321"
DEMO_USER_ID = 700_000_001
DEMO_CURRENCY = "EUR"
VAT_BP = 2000
SEEDER = Actor.system("demo-seed")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Telegram:
    """The settings the bot runs with, and the demo's web chat when Telegram is the emulator."""

    settings: Settings
    chat_url: str | None = None


@asynccontextmanager
async def offline_telegram(
    settings: Settings, tx: Transactor | None = None
) -> AsyncIterator[Telegram]:
    """Settings pointing at an emulator (with the demo user) when no token is configured, else
    the settings as given; with `tx`, the emulator's chats live on in that database."""
    if settings.bot_token is not None:
        yield Telegram(settings)
        return
    async with _emulator(settings.demo_chat_port) as emulator, _kept(emulator, tx):
        demo_user(emulator)
        update = {
            "bot_token": SecretStr(DEMO_TOKEN),
            "telegram_api_url": emulator.url,
            "webhook_url": None,
        }
        yield Telegram(settings.model_copy(update=update), f"{emulator.url}/")


@asynccontextmanager
async def _emulator(port: int) -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(DEMO_TOKEN, host="127.0.0.1", port=port)
    try:
        await emulator.start()
    except OSError as exc:  # the port is taken: a free one is better than no demo
        log.warning("demo chat port %s unavailable (%s); using a free one", port, exc)
        await emulator.stop()
        emulator = BotApiEmulator(DEMO_TOKEN, host="127.0.0.1")
        await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@asynccontextmanager
async def _kept(emulator: BotApiEmulator, tx: Transactor | None) -> AsyncIterator[None]:
    """The chats restored from the database before the bot starts, saved until the end."""
    if tx is None:
        yield
        return
    from bot.demo_chat import ChatKeeper

    keeper, stop = ChatKeeper(tx, emulator), asyncio.Event()
    await keeper.restore()
    task = asyncio.create_task(keeper.run(stop))
    try:
        yield
    finally:
        stop.set()
        emulator.world.changed()
        await task


def demo_user(emulator: BotApiEmulator) -> EmulatedUser:
    """The person at the web chat: a Telegram user with the demo customer's phone."""
    return emulator.user(DEMO_USER_ID, "Alex", language_code="en", phone=DEMO_PHONE)


async def seed_demo(tx: Transactor) -> bool:
    """The demo customer and their invoices, in one transaction; False (nothing added) when the
    customer is already there."""
    return await tx.run(add_demo_customer)


async def add_demo_customer(uow: UnitOfWork) -> bool:
    """The chat's customer (see the module's docstring); False when already there."""
    try:
        await billing.queries.customer_by_external_id(uow, DEMO_CUSTOMER)
    except CustomerNotFound:
        pass
    else:
        return False
    customer = await billing.create_customer(
        uow,
        CreateCustomer(
            external_id=DEMO_CUSTOMER,
            name="Alex Morgan",
            actor=SEEDER,
            email="alex.morgan@example.com",
            phone=DEMO_PHONE,
            language="en",
            compound_invoices_allowed=True,
        ),
    )
    unpaid = await demo_invoice(
        uow, customer.id, "Backup storage, July", ("Backup storage 100 GB", 1200)
    )
    compound = await demo_invoice(
        uow, customer.id, "Online shop, July", ("Managed database", 2500), ("Domain name", 1500)
    )
    paid = await demo_invoice(uow, customer.id, "Coworking, July", ("Coworking desk", 9900))
    partly = await demo_invoice(uow, customer.id, "Cloud server, Q3", ("Cloud VPS M", 6000))
    await billing.record_payment(uow, RecordPayment(paid.id, paid.total_minor, SEEDER))
    await billing.record_payment(uow, RecordPayment(partly.id, partly.total_minor // 3, SEEDER))
    for invoice in (unpaid, compound, paid, partly):  # reach the chat once it is linked
        await billing.deliver_invoice(uow, DeliverInvoice(invoice.id, SEEDER))
    return True


async def demo_invoice(
    uow: UnitOfWork, customer_id: int, description: str, *services: tuple[str, int]
) -> InvoiceView:
    """An invoice with one line per new (pending) service, at `(name, monthly price)`, with
    VAT, due in 14 days (the demo company's invoices are made the same way)."""
    lines = []
    for name, price in services:
        service = await billing.create_service(uow, CreateService(customer_id, name, SEEDER))
        lines.append(NewLine(name, 1, price, tax_rate_bp=VAT_BP, service_id=service.id))
    command = IssueInvoice(
        customer_id=customer_id,
        currency=DEMO_CURRENCY,
        lines=tuple(lines),
        actor=SEEDER,
        description=description,
        due_date=uow.now.date() + timedelta(days=14),
    )
    return await billing.issue_invoice(uow, command)
