"""Tickets in the chat over real HTTP, both backends: what a customer writes joins their ticket's
thread once, even when the update comes again (T4); with several tickets they choose, with none
they are offered a new question (T1); a rating request carries 1-5 buttons, a ticket is rated once
and a forged press changes nothing (T7, TG5); a retried `/start <token>` still answers linked."""

from __future__ import annotations

from typing import Any

from aiogram import Bot

import billing
import ticketing
from billing.commands import IssueLinkToken
from bot.callbacks import RateCD, ReplyCD
from bot.chats import ChatLink, link_of_user
from bot.emulator import BotApiEmulator, EmulatedUser
from bot.handlers.tickets import TEXT_LIMIT
from support_desk.core.actors import Actor
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from tests.bot.conftest import linked_user
from tests.bot.customer_bot import CustomerBot, customer_bot, refusals_audited, shown
from tests.factories import STAFF, make_customer
from tests.services.ticketing.builders import claimed, make_agent, open_question
from ticketing.commands import ReplyToTicket, ResolveQuestion
from ticketing.read_models import TicketView


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


async def send(stack: CustomerBot, user: EmulatedUser, text: str) -> dict[str, Any]:
    update = user.send(text)
    await stack.settle(update)
    return update


async def again(stack: CustomerBot, update: dict[str, Any]) -> None:
    """The same message in a new update, as when an update is handled a second time."""
    await stack.settle(stack.emulator.world.emit(message=update["message"]))


async def thread(tx: Transactor, ticket: TicketView) -> list[str]:
    """What the customer wrote on the ticket, oldest first."""
    view = await tx.read(ticketing.ticket_view, ticket.id, Actor.customer(ticket.customer_id))
    return [m.text for m in view.messages if m.kind == "customer"]


async def test_t4_a_message_joins_the_one_live_ticket_once_and_restarts_its_clock(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    agent = await make_agent(tx)
    ticket = await claimed(tx, agent, await open_question(tx, customer, "Is my VPS up?"))
    ask = ReplyToTicket(ticket.id, "Which VPS?", agent, wait_for_customer=True)
    waiting = await tx.run(ticketing.reply_to_ticket, ask)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await stack.delivery.drain()
        answer = await send(stack, ann, "  The one in Frankfurt.  ")
        await again(stack, answer)

    assert waiting.status == "waiting_on_customer" and waiting.paused
    assert await thread(tx, ticket) == ["Is my VPS up?", "The one in Frankfurt."]
    after = await tx.read(ticketing.ticket_view, ticket.id, agent)
    assert after.status == "in_progress" and not after.paused
    sent = shown(texts, "bot/flows/reply_sent.html", ticket=ticket)
    assert ann.texts().count(sent) == 2  # the status change (T7) arrives in between


async def test_t4_with_several_tickets_the_customer_chooses_where_the_text_goes(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    first = await open_question(tx, customer, "First")
    second = await open_question(tx, customer, "Second")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await stack.delivery.drain()
        await send(stack, ann, "About the first one")
        choice = ann.received()[-1]
        asked, labels = choice.text, [b["text"] for b in choice.buttons()]
        await stack.settle(ann.press(f"Reply to ticket #{first.id}", choice))
        stale = forge(ann, ReplyCD(ticket_id=second.id).pack())  # the text went to the first
        await stack.settle(stale)

    assert asked == shown(texts, "bot/flows/choose_ticket.html")
    assert labels == [f"Reply to ticket #{second.id}", f"Reply to ticket #{first.id}"]
    assert await thread(tx, first) == ["First", "About the first one"]
    assert await thread(tx, second) == ["Second"]
    assert choice.text == shown(texts, "bot/flows/reply_sent.html", ticket=first)
    assert ann.texts()[-1] == shown(texts, "bot/flows/reply_expired.html")


async def test_t4_no_ticket_unlinked_long_and_empty_texts(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    stranger = emulator.user(7001, "Stranger")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await send(stack, ann, "Hello?")
        no_ticket = ann.texts()[-1]
        await send(stack, stranger, "Hello?")
        ticket = await open_question(tx, customer, "Help")
        await stack.delivery.drain()
        before = len(ann.received())
        await send(stack, ann, "   \n\u200b ")
        blank = len(ann.received()) - before
        blank_answer = ann.texts()[-1]
        await send(stack, ann, "x" * (TEXT_LIMIT + 1))

    assert no_ticket == shown(texts, "bot/requests/question_offer.html", text="Hello?")
    assert stranger.texts()[-1] == shown(texts, "bot/refusals/not_linked.html")
    assert blank == 1 and blank_answer == shown(texts, "bot/money/blank.html")
    assert ann.texts()[-1] == shown(texts, "bot/flows/reply_too_long.html", limit=TEXT_LIMIT)
    assert await thread(tx, ticket) == ["Help"]


async def resolved(tx: Transactor, ticket: TicketView) -> None:
    agent = await make_agent(tx)
    await claimed(tx, agent, ticket)
    await tx.run(ticketing.resolve_question, ResolveQuestion(ticket.id, "Done.", agent))


async def test_t7_rating_buttons_rate_once_and_a_second_rating_is_refused(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    ticket = await open_question(tx, customer, "Help")
    await resolved(tx, ticket)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await stack.delivery.drain()
        request = ann.received()[-1]
        buttons = request.buttons()
        tap = ann.press("4", request)
        await stack.settle(tap, ann.press("4", request))  # a double tap
        second = forge(ann, RateCD(ticket_id=ticket.id, rating=1).pack())
        await stack.settle(second)

    assert [b["text"] for b in buttons] == ["1", "2", "3", "4", "5"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    assert stack.answer_to(tap) is None and stack.answer_to(second) is None  # answered first
    rated = await tx.read(ticketing.ticket_view, ticket.id, STAFF)
    assert rated.rating == 4
    edited = next(m for m in ann.received() if m.message_id == request.message_id)
    assert edited.text == shown(texts, "bot/flows/rated.html", ticket=ticket, rating=4)
    assert edited.buttons() == []
    assert ann.texts()[-1] == shown(texts, "bot/refusals/already_rated.html")


async def test_t7_a_forged_rating_of_another_customers_ticket_changes_nothing(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    mallory, victim = await make_customer(tx), await make_customer(tx)
    eve = await linked_user(tx, emulator, mallory.id)
    target = await open_question(tx, victim, "Help")
    await resolved(tx, target)
    async with customer_bot(tx, emulator, bot, texts) as stack:
        await stack.settle(eve.send("/start"))
        presses = [
            forge(eve, RateCD(ticket_id=target.id, rating=1).pack()),
            forge(eve, RateCD(ticket_id=2**31 - 1, rating=1).pack()),  # no such ticket
        ]
        await stack.settle(*presses)

    refusal = shown(texts, "bot/refusals/not_your_ticket.html")
    assert [stack.answer_to(p) for p in presses] == [refusal, refusal]
    assert (await tx.read(ticketing.ticket_view, target.id, STAFF)).rating is None
    audited = await refusals_audited(tx)
    assert [(a.actor_kind, a.actor_id) for a in audited] == [("customer", str(mallory.id))] * 2


async def test_a_retried_start_with_a_spent_token_answers_linked(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx, name="Ann Example")
    issued = await tx.run(billing.issue_link_token, IssueLinkToken(customer.id, actor=STAFF))
    ann, bob = emulator.user(7101, "Ann"), emulator.user(7102, "Bob")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        started = await send(stack, ann, f"/start {issued.token}")
        await again(stack, started)
        await send(stack, bob, f"/start {issued.token}")

    linked = ann.texts()[0]
    assert linked.startswith("Connected to Ann Example.") and ann.texts() == [linked, linked]
    assert bob.texts() == [shown(texts, "bot/refusals/link_token_invalid.html")]
    assert await tx.read(link_of_user, ann.id) == ChatLink(customer.id, ann.id, "en")
    assert await tx.read(link_of_user, bob.id) is None
