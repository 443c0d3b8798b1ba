"""B6, T1 end to end through the Bot API emulator, both backends: a customer asks for a refund
of a paid invoice in the chat (reason, words, money back or account credit), one `refund`
ticket carries it all with the amount at stake, an agent resolves it through ticketing, and
the chat shows the outcome; a second request joins the open ticket and says so (T1)."""

from __future__ import annotations

from aiogram import Bot

import billing
import ticketing
from billing.commands import Remainder
from bot.emulator import BotApiEmulator
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from tests.bot.conftest import linked_user
from tests.bot.customer_bot import customer_bot, shown
from tests.bot.requests_helpers import delivered, labels, last, press, send, taken, tickets_of
from tests.factories import line, make_customer, make_invoice, pay
from ticketing.commands import ResolveRefund

REFUND = "Request a refund"


async def test_b6_a_refund_asked_in_the_chat_is_resolved_as_money_back(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await pay(tx, await make_invoice(tx, customer, line(5000)), 6000)
        invoice = await delivered(tx, stack, invoice)
        buttons = labels(last(ann))
        await press(stack, ann, REFUND)
        reasons = labels(last(ann))
        await press(stack, ann, "I was charged twice")
        await send(stack, ann, "  Paid by card and by bank transfer.  ")
        choice = last(ann).text or ""
        await press(stack, ann, "Back to my payment method")
        flow = last(ann)
        summary = flow.text or ""
        await press(stack, ann, "Send request")
        sent = flow.text or ""
        (ticket,) = await tickets_of(tx, customer)
        agent, ticket = await taken(tx, ticket)
        resolve = ResolveRefund(ticket.id, Remainder(ticket.details["to"]), agent)
        await tx.run(ticketing.resolve_refund, resolve)
        await stack.delivery.drain()

    assert buttons == [REFUND]  # a paid invoice: no cancel, no question with nothing at stake
    assert reasons[:2] == ["I was charged twice", "I did not use the service"]
    assert reasons[-1] == "Stop"
    assert "up to €60.00" in choice and "Paid by card" in choice
    assert "back to your payment method" in summary
    assert (ticket.kind, ticket.invoice_id, ticket.customer_id) == (
        "refund",
        invoice.id,
        customer.id,
    )
    assert (ticket.amount_minor, ticket.currency) == (6000, "EUR")
    assert ticket.details == {"reason": "dup", "to": "refund"}
    assert ticket.messages[0].text == "I was charged twice\nPaid by card and by bank transfer."
    opened = shown(texts, "bot/ticket_opened.html", ticket_id=ticket.id)
    receipt = next(m for m in ann.received() if m.text == opened)
    assert labels(receipt) == ["Open ticket"]
    assert f"#{ticket.id}" in sent and "up to €60.00" in sent
    after = await tx.read(billing.queries.invoice_view, invoice.id)
    assert after.refunded_minor == 6000
    texts_now = ann.texts()
    assert any("Refunded to your payment method: €60.00" in t for t in texts_now)
    assert shown(texts, "bot/ticket_resolved.html", ticket_id=ticket.id) in texts_now
    assert labels(last(ann)) == ["1", "2", "3", "4", "5"]


async def test_b6_in_russian_as_account_credit_and_a_second_request_joins_the_first(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ivan = await linked_user(tx, emulator, customer.id, language="ru")
    ru = lambda msgid: texts.gettext(msgid, "ru")  # noqa: E731
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await make_invoice(tx, customer, line(5000))
        invoice = await delivered(tx, stack, await pay(tx, invoice, 2500))  # partly paid
        await press(stack, ivan, ru(REFUND))
        await press(stack, ivan, ru("The amount is wrong"))
        await press(stack, ivan, ru("Skip"))
        await press(stack, ivan, ru("Keep as account credit"))
        flow = last(ivan)
        await press(stack, ivan, ru("Send request"))
        first_end = flow.text or ""
        await press(stack, ivan, ru(REFUND))
        await press(stack, ivan, ru("Another reason"))
        await send(stack, ivan, "Я передумал")
        await press(stack, ivan, ru("Keep as account credit"))
        flow = last(ivan)
        await press(stack, ivan, ru("Send request"))
        joined = flow.text or ""
        (ticket,) = await tickets_of(tx, customer)
        agent, ticket = await taken(tx, ticket)
        await tx.run(
            ticketing.resolve_refund, ResolveRefund(ticket.id, Remainder.ACCOUNT_CREDIT, agent)
        )
        await stack.delivery.drain()

    assert "до 25,00\xa0€" in first_end
    assert f"№{ticket.id}" in joined and "добавили" in joined
    assert ticket.amount_minor == 2500 and ticket.details == {
        "reason": "other",
        "to": "account_credit",
    }
    assert [m.text for m in ticket.messages if m.kind == "customer"] == [
        ru("The amount is wrong"),
        ru("Another reason") + "\nЯ передумал",
    ]
    credit = await tx.read(billing.queries.account_credit_of, customer.id)
    assert credit == {"EUR": 2500}
    granted = ru("Added to your account credit: %(amount)s") % {"amount": "25,00\xa0€"}
    assert any(granted in t for t in ivan.texts())
    assert shown(texts, "bot/ticket_resolved.html", "ru", ticket_id=ticket.id) in ivan.texts()


async def test_b6_nothing_left_to_refund_and_the_flow_ends_with_cancel(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(tx, stack, await pay(tx, await make_invoice(tx, customer), 1200))
        await press(stack, ann, REFUND)
        await press(stack, ann, "I did not use the service")
        await send(stack, ann, "/cancel")
        stopped = last(ann).text
        await send(stack, ann, "Hello?")  # no longer the refund's words: a question offer
        offer = last(ann)
        await send(stack, ann, "/cancel")
        await send(stack, ann, "/cancel")
        nothing = last(ann).text
        await press(stack, ann, REFUND)
        await press(stack, ann, "Stop")
        stop_button = last(ann)

    assert stopped == shown(texts, "bot/requests/stopped.html")
    assert labels(offer) == ["Send as a new question", "Don't send"]
    assert nothing == shown(texts, "bot/requests/nothing_to_cancel.html")
    assert stop_button.text == shown(texts, "bot/requests/stopped.html")
    assert stop_button.buttons() == []
    assert await tickets_of(tx, customer) == []
    assert (await tx.read(billing.queries.invoice_view, invoice.id)).refunded_minor == 0
