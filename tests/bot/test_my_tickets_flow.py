"""T1, T4, T7, TG5, TG7 end to end through the Bot API emulator, both backends: free text with
no live ticket becomes a question in the customer's words when they say so; an agent's reply
arrives with a Reply button and the reply joins the thread; My tickets shows the status and
the thread; forged buttons naming another customer's invoice, service or ticket are refused,
audited and change nothing; old menus and double taps send nothing twice."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from hypothesis import strategies as st

import billing
import ticketing
from bot.callbacks_requests import (
    AskAct,
    AskCD,
    RefundAct,
    RefundCD,
    ServiceAct,
    ServiceCD,
    SplitAct,
    SplitCD,
    TicketAct,
    TicketCD,
)
from bot.emulator import BotApiEmulator, ChatMessage, EmulatedUser
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from tests.bot.conftest import linked_user
from tests.bot.customer_bot import count, customer_bot, refusals_audited, shown
from tests.bot.requests_helpers import (
    delivered,
    forge,
    labels,
    last,
    press,
    send,
    taken,
    tickets_of,
)
from tests.bot.test_invoice_flow import inbox_rows, sample
from tests.factories import line, make_customer, make_invoice, pay
from tests.services.ticketing.builders import make_service, open_question
from ticketing.commands import ReplyToTicket, ResolveQuestion
from ticketing.models import Ticket


async def test_t1_t4_a_question_its_reply_and_my_tickets(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await send(stack, ann, "Is my VPS up?")
        offer = last(ann)
        offered = labels(offer)
        taps = [ann.press("Send as a new question", offer) for _ in range(2)]
        await stack.settle(*taps)  # a double tap: one ticket
        (ticket,) = await tickets_of(tx, customer)
        agent, ticket = await taken(tx, ticket)
        answer = ReplyToTicket(ticket.id, "Which one?", agent, wait_for_customer=True)
        await tx.run(ticketing.reply_to_ticket, answer)
        await stack.delivery.drain()
        reply = next(m for m in ann.received() if "Which one?" in (m.text or ""))
        reply_buttons = labels(reply)
        waiting = shown(
            texts,
            "bot/ticket_status_changed.html",
            ticket_id=ticket.id,
            status="waiting_on_customer",
        )
        waiting_buttons = [labels(m) for m in ann.received() if m.text == waiting]
        await press(stack, ann, "Reply")
        prompt = last(ann).text
        await send(stack, ann, "The one in Frankfurt")
        await send(stack, ann, "/tickets")
        listing = last(ann)
        listed = labels(listing)
        await press(stack, ann, listed[0])
        page = listing.text or ""
        page_buttons = labels(listing)
        resolve = ResolveQuestion(ticket.id, "It is up again.", agent)
        await tx.run(ticketing.resolve_question, resolve)
        await stack.delivery.drain()
        await stack.settle(ann.press("Reply", reply))  # Reply on a closed ticket

    assert offered == ["Send as a new question", "Don't send"]
    assert offer.text == shown(texts, "bot/requests/sent.html", ticket=ticket)
    assert (ticket.kind, ticket.invoice_id, ticket.reason) == ("question", None, "Is my VPS up?")
    assert reply_buttons == ["Reply", "Open ticket"]
    assert waiting_buttons == [["Reply"]]
    assert prompt == shown(texts, "bot/requests/reply_prompt.html", ticket=ticket)
    thread = (await tickets_of(tx, customer))[0].messages
    assert [m.text for m in thread] == [
        "Is my VPS up?",
        "Which one?",
        "The one in Frankfurt",
        "It is up again.",
    ]
    assert listed == [f"#{ticket.id} Question · In progress", "Menu"]
    assert "Is my VPS up?" in page and "Which one?" in page and "Frankfurt" in page
    assert page_buttons == ["Reply", "‹ Back"]
    texts_now = ann.texts()
    assert (
        shown(texts, "bot/ticket_status_changed.html", ticket_id=ticket.id, status="in_progress")
        in texts_now
    )
    assert texts_now[-1] == shown(texts, "bot/requests/ticket_closed.html", ticket=ticket)
    assert await count(tx, Ticket) == 1


async def test_t1_a_question_not_sent_and_my_tickets_in_russian(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ivan = await linked_user(tx, emulator, customer.id, language="ru")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await send(stack, ivan, "/tickets")
        empty = last(ivan).text
        await send(stack, ivan, "Привет")
        offer = last(ivan)
        await press(stack, ivan, texts.gettext("Don't send", "ru"))
        dropped = offer.text
        ticket = await open_question(tx, customer, "Где мой счёт?")
        await stack.delivery.drain()
        await send(stack, ivan, "/tickets")
        listed = labels(last(ivan))

    assert empty == shown(texts, "bot/requests/tickets.html", "ru", tickets=[], first=True)
    assert dropped == shown(texts, "bot/requests/question_dropped.html", "ru")
    assert listed == [f"#{ticket.id} Вопрос · Ждёт нас", "Меню"]
    assert await count(tx, Ticket) == 1


async def test_tg5_forged_request_and_ticket_buttons_are_refused_audited_and_change_nothing(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    mallory, victim = await make_customer(tx), await make_customer(tx)
    eve = await linked_user(tx, emulator, mallory.id)
    vps = await make_service(tx, victim, "VPS")
    invoice = await pay(tx, await make_invoice(tx, victim, line(1000, service=vps)), 1200)
    ticket = await open_question(tx, victim, "Mine")
    forged = [
        AskCD(act=AskAct.REFUND, invoice_id=invoice.id),
        RefundCD(act=RefundAct.SEND, invoice_id=invoice.id),
        SplitCD(act=SplitAct.ON, invoice_id=invoice.id, line_id=invoice.lines[0].id),
        ServiceCD(act=ServiceAct.PICK, service_id=vps.id),
        ServiceCD(act=ServiceAct.SEND, service_id=vps.id, value="now"),
        TicketCD(act=TicketAct.SHOW, ticket_id=ticket.id),
        TicketCD(act=TicketAct.REPLY, ticket_id=ticket.id),
        TicketCD(act=TicketAct.SHOW, ticket_id=2**31 - 1),  # no such ticket
    ]
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await send(stack, eve, "/tickets")
        presses = [forge(eve, data.pack()) for data in forged]
        await stack.settle(*presses)
        await send(stack, eve, "I am not Ann")  # a reply state was never entered

    refused = [
        *[shown(texts, "bot/refusals/not_your_invoice.html")] * 3,
        *[shown(texts, "bot/refusals/not_your_service.html")] * 2,
        *[shown(texts, "bot/refusals/not_your_ticket.html")] * 3,
    ]
    assert [stack.answer_to(p) for p in presses] == refused
    audited = await refusals_audited(tx)
    assert [(a.actor_kind, a.actor_id) for a in audited] == [("customer", str(mallory.id))] * 8
    assert await count(tx, Ticket) == 1
    (kept,) = await tickets_of(tx, victim)
    assert [m.text for m in kept.messages] == ["Mine"]
    assert (await tx.read(billing.queries.service_view, vps.id)).status == "active"
    assert labels(last(eve)) == ["Send as a new question", "Don't send"]


async def test_tg7_an_old_menu_and_a_double_send_change_nothing_twice(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(tx, stack, await pay(tx, await make_invoice(tx, customer), 1200))
        await press(stack, ann, "Request a refund")
        old = last(ann)
        await stack.settle(ann.press("Request a refund"))  # from the invoice again
        await stack.settle(ann.press("I was charged twice", old))
        await press(stack, ann, "I was charged twice")
        await press(stack, ann, "Skip")
        await press(stack, ann, "Keep as account credit")
        flow = last(ann)
        taps = [ann.press("Send request", flow) for _ in range(2)]
        await stack.settle(*taps)
        await send(stack, ann, "/tickets")
        await press(stack, ann, labels(last(ann))[0])
        page = labels(last(ann))
        await press(stack, ann, "Open invoice")
        reopened = last(ann).text or ""

    assert old.text == shown(texts, "bot/requests/stale.html") and old.buttons() == []
    (ticket,) = await tickets_of(tx, customer)
    assert [m.text for m in ticket.messages] == ["I was charged twice"]
    opened = shown(texts, "bot/ticket_opened.html", ticket_id=ticket.id)
    assert ann.texts().count(opened) == 1
    assert flow.buttons() == [] and f"#{ticket.id}" in (flow.text or "")
    assert (ticket.invoice_id, ticket.amount_minor) == (invoice.id, 1200)
    assert page == ["Reply", "Open invoice", "‹ Back"]
    assert invoice.number is not None and invoice.number in reopened


REQUEST_DATA = st.one_of(
    st.builds(
        "{}:{}:{}:{}".format,
        st.sampled_from(["rq", "rf", "sp", "sv", "tk", "tl", "qa", "fl"]),
        st.sampled_from(["r", "p", "v", "w", "k", "t", "s", "b", "on", "off", "o", "d", "x", ""]),
        st.integers(min_value=-5, max_value=2**40),
        st.text(max_size=20),
    ),
    st.builds("{}:{}".format, st.sampled_from(["rf:w", "sv:p", "tk:s", "tl", "qa"]), st.text()),
    st.just("sp:on:1:0"),
    st.just("rf:w:1:" + "x" * 60),
)


async def test_tg6_random_request_data_never_fails_and_changes_nothing(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    victim, mallory = await make_customer(tx), await make_customer(tx)
    vps = await make_service(tx, victim, "VPS")
    await pay(tx, await make_invoice(tx, victim, line(1000, service=vps)), 1200)
    await open_question(tx, victim, "Mine")
    eve = await linked_user(tx, emulator, mallory.id)
    strings = sample(REQUEST_DATA, 150)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await send(stack, eve, "/tickets")
        presses = [forge(eve, data) for data in strings]
        await stack.settle(*presses)

    for pressed in presses:
        stack.answer_to(pressed)  # every press answered (a refusal, or a stale menu's edit)
    inbox = await tx.read(inbox_rows)
    assert {(row.status, row.error) for row in inbox} == {("done", None)}
    assert await count(tx, Ticket) == 1
    assert (await tx.read(billing.queries.service_view, vps.id)).status == "active"


def swipe_reply(user: EmulatedUser, to: ChatMessage, text: str) -> dict[str, Any]:
    """A reply to one of the bot's messages (a swipe in the client)."""
    message = user.world.add_message(user.id, from_bot=False, text=text)
    body = user.world.message_object(message)
    body["reply_to_message"] = user.world.message_object(to)
    return user.world.emit(message=body)


async def test_t4_a_swipe_reply_to_the_agents_message_joins_that_ticket(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer, other = await make_customer(tx), await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    eve = await linked_user(tx, emulator, other.id)
    first = await open_question(tx, customer, "First")
    second = await open_question(tx, customer, "Second")
    agent, first = await taken(tx, first)
    await tx.run(ticketing.reply_to_ticket, ReplyToTicket(first.id, "Which one?", agent))
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await stack.delivery.drain()
        reply = next(m for m in ann.received() if "Which one?" in (m.text or ""))
        await stack.settle(swipe_reply(ann, reply, "The first, please"))
        answered = last(ann).text
        await stack.settle(eve.send("/tickets"))
        forged = swipe_reply(eve, reply, "Let me in")  # Ann's message, quoted by Eve
        forged["message"]["reply_to_message"]["chat"] = forged["message"]["chat"]
        await stack.settle(forged)

    threads = {t.id: [m.text for m in t.messages] for t in await tickets_of(tx, customer)}
    assert threads == {
        first.id: ["First", "Which one?", "The first, please"],
        second.id: ["Second"],
    }
    assert answered == shown(texts, "bot/flows/reply_sent.html", ticket=first)
    assert last(eve).text == shown(texts, "bot/refusals/not_your_ticket.html")
    audited = await refusals_audited(tx)
    assert [(a.actor_kind, a.actor_id) for a in audited] == [("customer", str(other.id))]
