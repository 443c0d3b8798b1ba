"""The menu, settings, help, commands and awkward input, end to end through the Bot API emulator
on both databases: /menu and /start when linked, language / compound invoices / unlink, the
command lists in both languages, unknown commands and stickers, blank, long and flooding
messages, and the one welcome after linking."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from aiogram import Bot
from sqlalchemy import select

import billing
from billing.commands import DeliverInvoice, IssueLinkToken
from bot.chats import ChatLink, link_of_user
from bot.commands import COMMANDS, publish_commands
from bot.emulator import BotApiEmulator, EmulatedUser
from bot.handlers.guards import TEXT_LIMIT
from bot.models import InboxRow
from support_desk.core.audit import AuditRow
from support_desk.core.clock import FrozenClock
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork
from tests.bot.conftest import linked_user
from tests.bot.customer_bot import customer_bot, shown
from tests.bot.test_money_flow import last, press, send
from tests.factories import STAFF, line, make_customer, make_invoice, pay


def sticker(user: EmulatedUser) -> dict[str, Any]:
    message = user.world.add_message(user.id, from_bot=False)
    raw = user.world.message_object(message)
    raw["sticker"] = {
        "file_id": "CAACAgIAAxk",
        "file_unique_id": "AgADsticker",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    return user.world.emit(message=raw)


async def inbox_statuses(tx: Transactor) -> set[str]:
    async def rows(uow: UnitOfWork) -> set[str]:
        return set((await uow.session.scalars(select(InboxRow.status))).all())

    return await tx.read(rows)


async def test_menu_and_start_when_linked_show_what_is_owed_by_when_and_the_credit(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx, name="ACME Ltd")
    ann = await linked_user(tx, emulator, customer.id)
    await make_invoice(tx, customer, line(1000), due_date=date(2027, 1, 31))
    partly = await make_invoice(tx, customer, line(5000), due_date=date(2027, 2, 28))
    await pay(tx, partly, 1000)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        menu = await send(stack, ann, "/menu")
        started = await send(stack, ann, "/start")
        await press(stack, ann, "Settings")
        await press(stack, ann, "Menu")
        back = last(ann)
        await press(stack, ann, "My tickets")
        tickets = last(ann)

    assert menu.text.startswith("ACME Ltd\n2 open invoices, €62.00 due.")
    assert "The next is due on Jan 31, 2027." in menu.text
    assert menu.buttons == ("Invoices (2)", "My tickets", "Settings", "Help")
    assert started.text == menu.text and started.message_id != menu.message_id
    assert back.text == menu.text and back.message_id == started.message_id  # edited in place
    # before, My tickets was reachable only by typing /tickets
    assert tickets.message_id == back.message_id and tickets.text != menu.text
    assert "Menu" in tickets.buttons


async def test_settings_language_compound_invoices_and_unlink(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        opened = await send(stack, ann, "/settings")
        await press(stack, ann, "Русский")
        russian = last(ann)
        await press(stack, ann, texts.gettext("Turn off compound invoices", "ru"))
        compound_off = last(ann)
        await press(stack, ann, texts.gettext("Unlink this chat", "ru"))
        await press(stack, ann, texts.gettext("Keep linked", "ru"))
        kept = last(ann)
        await press(stack, ann, texts.gettext("Unlink this chat", "ru"))
        asked = last(ann)
        await press(stack, ann, texts.gettext("Unlink this chat", "ru"), None)
        unlinked = last(ann)
        after = await send(stack, ann, "/menu")

    assert "Language: English" in opened.text and "on" in opened.text.splitlines()[-1]
    assert russian.message_id == opened.message_id and "Язык: Русский" in russian.text
    chat_scope = json.dumps({"chat_id": ann.id, "type": "chat"}, sort_keys=True)
    commands = emulator.world.commands[(chat_scope, "")]
    assert commands[0]["description"] == texts.gettext(COMMANDS[0][1], "ru")
    assert "выключены" in compound_off.text and "выключены" in kept.text
    view = await tx.read(billing.queries.customer_view, customer.id)
    assert view.compound_invoices_allowed is False
    assert asked.text == shown(texts, "bot/money/unlink_confirm.html", "ru")
    assert unlinked.text == shown(texts, "bot/money/unlinked.html", "ru") and not unlinked.buttons
    assert await tx.read(link_of_user, ann.id) is None
    assert after.text == shown(texts, "bot/refusals/not_linked.html")  # Telegram's language now

    async def actions(uow: UnitOfWork) -> list[str]:
        query = select(AuditRow.action).where(AuditRow.actor_kind == "customer")
        return list((await uow.session.scalars(query.order_by(AuditRow.id))).all())

    assert await tx.read(actions) == [
        "chat.language",
        "customer.compound_invoices",
        "customer.unlinked",
    ]


async def test_a_language_set_here_overrides_telegrams(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ivan = emulator.user(10_000 + customer.id, "Ivan", language_code="en")
    await linked_user(tx, emulator, customer.id, language="ru")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        shown_help = await send(stack, ivan, "/help")
        await press(stack, ivan, texts.gettext("Menu", "ru"))
        await press(stack, ivan, texts.gettext("Settings", "ru"))
        await press(stack, ivan, "English")
        english = last(ivan)

    assert shown_help.text == shown(texts, "bot/money/help.html", "ru")
    assert "Language: English" in english.text
    assert await tx.read(link_of_user, ivan.id) == ChatLink(customer.id, ivan.id, "en")


async def test_help_unknown_commands_and_stickers_get_a_short_help(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    ivan = await linked_user(tx, emulator, (await make_customer(tx)).id, language="ru")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        helped = await send(stack, ann, "/help")
        unknown = await send(stack, ann, "/frobnicate now")
        unknown_ru = await send(stack, ivan, "/foo")
        await stack.settle(sticker(ann))
        stuck = last(ann)

    assert helped.text == shown(texts, "bot/money/help.html")
    assert helped.buttons == ("Invoices", "Menu")
    assert unknown.text == shown(texts, "bot/money/unknown_command.html", command="/frobnicate")
    assert unknown.buttons == ("Menu",)
    assert unknown_ru.text == shown(texts, "bot/money/unknown_command.html", "ru", command="/foo")
    assert stuck.text == shown(texts, "bot/money/not_text.html") and stuck.buttons == ("Menu",)
    assert await inbox_statuses(tx) == {"done"}


async def test_blank_long_and_flooding_messages_get_polite_answers_and_nothing_raises(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts, clock: FrozenClock
) -> None:
    customer = await make_customer(tx)
    ivan = await linked_user(tx, emulator, customer.id, language="ru")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        blank = await send(stack, ivan, "\u200b \u2060")
        long = await send(stack, ivan, "я" * (TEXT_LIMIT + 1))
        clock.advance(seconds=11)
        before = len(ivan.received())
        flood = [ivan.send(f"message {n}") for n in range(8)]
        await stack.settle(*flood)
        answered = [m.text for m in ivan.received()[before:]]
        clock.advance(seconds=11)
        calm = await send(stack, ivan, "/help")

    assert blank.text == shown(texts, "bot/money/blank.html", "ru")
    assert long.text == shown(texts, "bot/flows/reply_too_long.html", "ru", limit=TEXT_LIMIT)
    flooded = shown(texts, "bot/money/flood.html", "ru", seconds=10)
    assert answered.count(flooded) == 1 and len(answered) == 6  # 5 read, told once, then quiet
    assert answered[-1] == flooded
    assert calm.text == shown(texts, "bot/money/help.html", "ru")
    assert await inbox_statuses(tx) == {"done"}


async def test_the_command_lists_are_set_in_both_languages_once(
    emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    await publish_commands(bot, texts)
    await publish_commands(bot, texts)  # a restart: already as wanted, nothing set

    scope = json.dumps({"type": "all_private_chats"}, sort_keys=True)
    english, russian = emulator.world.commands[(scope, "")], emulator.world.commands[(scope, "ru")]
    assert [c["command"] for c in english] == [name for name, _ in COMMANDS]
    assert [c["description"] for c in english] == [about for _, about in COMMANDS]
    assert [c["description"] for c in russian] == [texts.gettext(a, "ru") for _, a in COMMANDS]
    assert len(emulator.calls("setMyCommands", 200)) == 2


async def test_linking_answers_with_one_welcome_showing_waiting_invoices_as_they_are_now(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx, name="ACME Ltd")
    invoices = [await make_invoice(tx, customer, line(1000 * n)) for n in (1, 2, 3)]
    for invoice in invoices:
        await tx.run(billing.deliver_invoice, DeliverInvoice(invoice.id, actor=STAFF))
    ann = emulator.user(6401, "Ann")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await stack.delivery.drain()  # no chat yet: kept as undeliverable
        await pay(tx, invoices[0], invoices[0].total_minor)  # paid while away
        token = await tx.run(billing.issue_link_token, IssueLinkToken(customer.id, actor=STAFF))
        welcome = await send(stack, ann, f"/start {token.token}")
        later = await make_invoice(tx, customer, line(700))
        await tx.run(billing.deliver_invoice, DeliverInvoice(later.id, actor=STAFF))
        await stack.delivery.drain()

    assert len(ann.received()) == 2  # the welcome, then the invoice delivered after linking
    assert welcome.text.startswith("Connected to ACME Ltd.\n2 open invoices, €60.00 due.")
    paid_line = f"• {invoices[0].number} · €12.00 · Paid"
    assert paid_line in welcome.text  # as it is now, not as it was queued
    assert [b.split(" ·")[0] for b in welcome.buttons[:3]] == [
        i.number for i in reversed(invoices)
    ]
    assert welcome.buttons[3:] == ("Invoices (3)", "My tickets", "Settings", "Help")
    assert later.number is not None and later.number in ann.texts()[-1]
