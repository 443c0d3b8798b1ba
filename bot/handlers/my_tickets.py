"""My tickets (T4, T7): `/tickets` lists open and past tickets with their status, a ticket's
page shows its thread; Reply (on the page, under an agent's reply) takes the next text into
that ticket, and so does a swipe-reply to the agent's message. A question (T1): free text
with no live ticket is offered as a new `question` ticket in the customer's own words, kept
in FSM state until they say send or not.
"""

from __future__ import annotations

from contextlib import suppress

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

import billing
import ticketing
from billing.read_models import InvoiceView
from bot import keyboards_requests as kb
from bot.access import require_link
from bot.callbacks_requests import QuestionAct, QuestionCD, TicketAct, TicketCD, TicketsCD
from bot.chats import ChatLink
from bot.handlers.filters import plain_text
from bot.handlers.flow import Waiting, begin, leave
from bot.handlers.middlewares import CallbackGuard
from bot.handlers.replies import Speech, edit, say
from bot.requests_access import authorise_request
from support_desk.core.tx import Transactor, UnitOfWork
from ticketing.commands import AddCustomerMessage, OpenTicket
from ticketing.read_models import TicketView
from ticketing.rules import is_live

PAGE = 6
THREAD_SHOWN = 5


async def tickets_page(
    tx: Transactor, link: ChatLink, after: int | None, speech: Speech
) -> tuple[str, InlineKeyboardMarkup | None]:
    page = await tx.read(
        ticketing.tickets_of_customer, link.customer_id, link.actor, after=after, limit=PAGE
    )
    text = speech.render("requests/tickets.html", tickets=page.items, first=after is None)
    return text, kb.tickets_list(page.items, page.next_after, speech.texts, speech.locale)


async def list_tickets(
    message: Message, customer: ChatLink | None, tx: Transactor, speech: Speech
) -> None:
    text, keyboard = await tickets_page(tx, require_link(customer), None, speech)
    await message.answer(text, reply_markup=keyboard)


async def page_pressed(
    query: CallbackQuery,
    callback_data: TicketsCD,
    customer: ChatLink,
    tx: Transactor,
    speech: Speech,
) -> None:
    text, keyboard = await tickets_page(tx, customer, callback_data.after or None, speech)
    await edit(query, text, keyboard)


async def invoice_number(uow: UnitOfWork, ticket: TicketView) -> str | None:
    if ticket.invoice_id is None:
        return None
    return (await billing.queries.invoice_view(uow, ticket.invoice_id)).number


async def ticket_pressed(
    query: CallbackQuery, ticket: TicketView, tx: Transactor, speech: Speech
) -> None:
    """The ticket's page: status, invoice, amount and the last entries of its thread."""
    shown = [m for m in ticket.messages if m.kind in ("customer", "reply")]
    text = speech.render(
        "requests/ticket_page.html",
        ticket=ticket,
        label=kb.ticket_label(ticket, speech.texts, speech.locale),
        number=await tx.read(invoice_number, ticket),
        entries=shown[-THREAD_SHOWN:],
        earlier=max(0, len(shown) - THREAD_SHOWN),
    )
    live = is_live(ticket.status)
    await edit(query, text, kb.ticket_page(ticket, live, speech.texts, speech.locale))


async def reply_pressed(
    query: CallbackQuery, ticket: TicketView, state: FSMContext, speech: Speech
) -> None:
    """The next text goes to this ticket; a closed one offers a new question instead."""
    if not is_live(ticket.status):
        await say(query, speech.render("requests/ticket_closed.html", ticket=ticket))
        return
    await state.set_state(Waiting.reply)
    await state.set_data({"reply": ticket.id})
    await say(query, speech.render("requests/reply_prompt.html", ticket=ticket))


async def reply_typed(
    message: Message, customer: ChatLink | None, tx: Transactor, state: FSMContext, speech: Speech
) -> None:
    link = require_link(customer)
    ticket_id = (await state.get_data()).get("reply")
    text = (message.text or "").strip()
    if not isinstance(ticket_id, int) or not text:
        await state.clear()
        return
    await state.clear()  # a refusal (a ticket closed meanwhile) must not keep the state
    key = f"tg:{message.chat.id}:{message.message_id}"
    command = AddCustomerMessage(ticket_id, text, link.actor, idempotency_key=key)
    ticket = await tx.run(ticketing.add_customer_message, command)
    await message.answer(speech.render("flows/reply_sent.html", ticket=ticket))


async def replied_ticket(message: Message) -> dict[str, int] | bool:
    """A swipe-reply to one of our messages about a ticket (its Reply or Open ticket button
    names it): `{"replied_ticket": id}`; the ticket is re-read as the customer's own."""
    replied = message.reply_to_message
    markup = replied.reply_markup if replied is not None else None
    for row in markup.inline_keyboard if markup is not None else []:
        for button in row:
            with suppress(TypeError, ValueError):
                return {"replied_ticket": TicketCD.unpack(button.callback_data or "").ticket_id}
    return False


async def swipe_replied(
    message: Message,
    replied_ticket: int,
    customer: ChatLink | None,
    tx: Transactor,
    speech: Speech,
) -> None:
    """T4: a reply to the agent's message joins that ticket, as the Reply button does."""
    link, text = require_link(customer), (message.text or "").strip()
    named = TicketCD(act=TicketAct.REPLY, ticket_id=replied_ticket)
    ticket = (await authorise_request(tx, link, named))["ticket"]
    assert isinstance(ticket, TicketView)
    if not is_live(ticket.status):
        await message.answer(speech.render("requests/ticket_closed.html", ticket=ticket))
        return
    key = f"tg:{message.chat.id}:{message.message_id}"
    command = AddCustomerMessage(ticket.id, text, link.actor, idempotency_key=key)
    added = await tx.run(ticketing.add_customer_message, command)
    await message.answer(speech.render("flows/reply_sent.html", ticket=added))


async def talk_pressed(
    query: CallbackQuery, invoice: InvoiceView, state: FSMContext, speech: Speech
) -> None:
    """T1: "Talk to a person" under an invoice asks for the customer's own words."""
    await begin(state, "question", None, invoice_id=invoice.id)
    await state.set_state(Waiting.question)
    await say(query, speech.render("requests/question_prompt.html", invoice=invoice))


async def question_typed(
    message: Message, customer: ChatLink | None, tx: Transactor, state: FSMContext, speech: Speech
) -> None:
    """The words become a question ticket about the invoice (or join the live one, T1)."""
    link, text = require_link(customer), (message.text or "").strip()
    flow = (await state.get_data()).get("flow")
    await state.clear()
    if not isinstance(flow, dict) or not text:
        return
    key = f"tg:{message.chat.id}:{message.message_id}"
    question = {"text": text, "key": key, "invoice_id": flow.get("invoice_id")}
    ticket = await tx.run(ticketing.open_ticket, question_request(question, link))
    await message.answer(speech.render("requests/sent.html", ticket=ticket))


async def offer_question(
    message: Message, state: FSMContext, speech: Speech, text: str, key: str
) -> None:
    """T1: with no live ticket, free text may become a question ticket in these words."""
    offer = await message.answer(
        speech.render("requests/question_offer.html", text=text),
        reply_markup=kb.question_offer(speech.texts, speech.locale),
    )
    question = {"text": text, "key": key, "message_id": offer.message_id}
    await state.set_data({"question": question})


async def question_pressed(
    query: CallbackQuery,
    callback_data: QuestionCD,
    customer: ChatLink,
    tx: Transactor,
    state: FSMContext,
    speech: Speech,
) -> None:
    question = (await state.get_data()).get("question")
    message_id = query.message and query.message.message_id
    if not isinstance(question, dict) or question.get("message_id") != message_id:
        await edit(query, speech.render("requests/stale.html"))
        return
    if callback_data.act == QuestionAct.DROP:
        await leave(state)
        await edit(query, speech.render("requests/question_dropped.html"))
        return
    command = question_request(question, customer)
    ticket = await tx.run(ticketing.open_ticket, command)
    await edit(query, speech.render("requests/sent.html", ticket=ticket))


def question_request(question: dict[str, object], customer: ChatLink) -> OpenTicket:
    """T1: a question in the customer's own words, about an invoice if they asked from one;
    the message's key makes a repeated update one request."""
    invoice_id = question.get("invoice_id")
    return OpenTicket(
        customer_id=customer.customer_id,
        kind=ticketing.TicketKind.QUESTION,
        reason=str(question["text"]),
        actor=customer.actor,
        idempotency_key=str(question["key"]),
        invoice_id=invoice_id if isinstance(invoice_id, int) else None,
    )


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.middleware(CallbackGuard(authorise_request))
    router.message.register(list_tickets, Command("tickets"))
    router.message.register(reply_typed, StateFilter(Waiting.reply), plain_text)
    router.message.register(question_typed, StateFilter(Waiting.question), plain_text)
    router.message.register(swipe_replied, plain_text, replied_ticket)
    on_press = router.callback_query.register
    on_press(page_pressed, TicketsCD.filter())
    on_press(ticket_pressed, TicketCD.filter(F.act == TicketAct.SHOW))
    on_press(reply_pressed, TicketCD.filter(F.act == TicketAct.REPLY))
    on_press(question_pressed, QuestionCD.filter())
    return router
