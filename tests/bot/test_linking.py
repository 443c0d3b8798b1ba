"""Customer linking over real HTTP (docs/rules.md, linking): `/start <token>` and a shared own
contact link a chat; a bad, used or expired token, a foreign contact or an unknown phone is
refused politely and changes nothing; moving to another customer takes a new token."""

from __future__ import annotations

import pytest
from aiogram import Bot

import billing
from billing.commands import DeliverInvoice, IssueLinkToken
from billing.read_models import CustomerView
from bot.chats import ChatLink, link_of_user
from bot.emulator import BotApiEmulator, EmulatedUser
from support_desk.core.clock import FrozenClock
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from tests import backends
from tests.bot.customer_bot import CustomerBot, customer_bot, shown
from tests.factories import STAFF, make_customer, make_invoice


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return backends.prepare_postgres()


async def token_for(tx: Transactor, customer: CustomerView) -> str:
    issued = await tx.run(billing.issue_link_token, IssueLinkToken(customer.id, actor=STAFF))
    return issued.token


async def link_of(tx: Transactor, user: EmulatedUser) -> ChatLink | None:
    return await tx.read(link_of_user, user.id)


async def send(stack: CustomerBot, user: EmulatedUser, text: str) -> str:
    await stack.settle(user.send(text))
    return user.texts()[-1]


async def test_start_with_a_token_links_the_chat_and_invoices_arrive_there(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx, name="Ann Example")
    ann = emulator.user(5001, "Ann")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        reply = await send(stack, ann, f"/start {await token_for(tx, customer)}")
        invoice = await make_invoice(tx, customer)
        await tx.run(billing.deliver_invoice, DeliverInvoice(invoice.id, actor=STAFF))
        await stack.delivery.drain()

    assert reply.startswith("Connected to Ann Example.")  # the welcome summary (bot.summary)
    assert await link_of(tx, ann) == ChatLink(customer.id, ann.id, "en")
    assert invoice.number is not None and invoice.number in ann.texts()[-1]


async def test_a_bad_used_or_expired_token_is_refused_and_links_nothing(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    ann, bob, eve = (
        emulator.user(5011, "Ann"),
        emulator.user(5012, "Bob"),
        emulator.user(5013, "Eve"),
    )
    token, stale = await token_for(tx, customer), await token_for(tx, customer)
    refusal = shown(texts, "bot/refusals/link_token_invalid.html")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        assert await send(stack, eve, "/start not-a-token") == refusal
        await send(stack, ann, f"/start {token}")
        assert await send(stack, bob, f"/start {token}") == refusal  # spent
        clock.advance(days=8)
        assert await send(stack, eve, f"/start {stale}") == refusal  # expired

    assert await link_of(tx, ann) == ChatLink(customer.id, ann.id, "en")
    assert await link_of(tx, bob) is None and await link_of(tx, eve) is None


async def test_relinking_to_another_customer_takes_a_new_token(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    first = await make_customer(tx, phone="+1 555 0101")
    second = await make_customer(tx, phone="+1 555 0102")
    ann = emulator.user(5021, "Ann", language_code="ru")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await send(stack, ann, f"/start {await token_for(tx, first)}")
        await stack.settle(ann.send_contact("+15550102"))
        refused = ann.texts()[-1]
        await send(stack, ann, f"/start {await token_for(tx, second)}")

    assert refused == shown(texts, "bot/refusals/linked_elsewhere.html", "ru")
    assert await link_of(tx, ann) == ChatLink(second.id, ann.id, "ru")


async def test_the_users_own_contact_links_by_phone(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx, phone="+44 20 7946 0001")
    ann = emulator.user(5031, "Ann")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        greeting = await send(stack, ann, "/start")
        await stack.settle(ann.send_contact("442079460001", own=True))

    assert shown(texts, "bot/flows/how_to_link.html") in greeting
    assert ann.texts()[-1].startswith(f"Connected to {customer.name}.")
    assert await link_of(tx, ann) == ChatLink(customer.id, ann.id, "en")


async def test_a_foreign_contact_or_an_unknown_phone_is_refused(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    await make_customer(tx, phone="+44 20 7946 0002")
    await make_customer(tx, phone="+49 30 1234 5678")
    await make_customer(tx, phone="+49-30-1234-5678")  # two customers share it: no match
    eve = emulator.user(5041, "Eve")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await stack.settle(eve.send_contact("+44 20 7946 0002", own=False))
        foreign = eve.texts()[-1]
        await stack.settle(eve.send_contact("+1 000 000 0000"))
        unknown = eve.texts()[-1]
        await stack.settle(eve.send_contact("+49 30 1234 5678"))
        ambiguous = eve.texts()[-1]

    assert foreign == shown(texts, "bot/refusals/contact_not_own.html")
    assert unknown == ambiguous == shown(texts, "bot/refusals/no_customer_for_phone.html")
    assert await link_of(tx, eve) is None


async def test_a_contact_never_takes_an_account_over_from_another_telegram_user(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx, phone="+1 555 0199")
    ann, mallory = emulator.user(5051, "Ann"), emulator.user(5052, "Mallory")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await send(stack, ann, f"/start {await token_for(tx, customer)}")
        await stack.settle(mallory.send_contact("+15550199", own=True))  # a recycled number

    assert mallory.texts()[-1] == shown(texts, "bot/refusals/customer_linked_elsewhere.html")
    assert await link_of(tx, ann) == ChatLink(customer.id, ann.id, "en")
    assert await link_of(tx, mallory) is None
