"""A customer's side of their tickets in the chat: what they write joins the thread (T4), and
they rate a resolved ticket with the buttons under the rating request (T7).

A text that is not a command goes to the customer's one live ticket; with several, the bot keeps
the text in FSM state and asks which ticket it is for; with none, it offers to send it as a new
question (T1). Every
press is re-authorised against the chat link (`own_ticket`), never trusted from the button.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

import ticketing
from bot import keyboards
from bot.access import record_refusal, require_link
from bot.callbacks import RateCD, ReplyCD
from bot.chats import ChatLink
from bot.handlers import my_tickets
from bot.handlers.filters import plain_text
from bot.handlers.middlewares import CallbackGuard
from bot.handlers.replies import Speech, button_key, drop_buttons, edit, say
from support_desk.core.errors import NotFound, PermissionDenied
from support_desk.core.tx import Transactor, UnitOfWork
from ticketing.commands import AddCustomerMessage, RateTicket
from ticketing.errors import NotYourTicket
from ticketing.read_models import TicketView

TEXT_LIMIT = 4000  # longer texts are refused whole, never cut: the customer resends in parts


def message_key(message: Message) -> str:
    """The idempotency key of a message: a redelivered update adds it once."""
    return f"tg:{message.chat.id}:{message.message_id}"


async def live_tickets(uow: UnitOfWork, link: ChatLink) -> list[int]:
    """The ids of the customer's tickets still open to their messages, newest first (the
    domain says which those are)."""
    live = await ticketing.live_tickets_of_customer(uow, link.customer_id, link.actor)
    return [t.id for t in live]


async def own_ticket(
    tx: Transactor, link: ChatLink | None, data: ReplyCD | RateCD
) -> dict[str, TicketView]:
    """The ticket a button names, if it is the linked customer's; one audited refusal for
    another customer's ticket and for one that does not exist."""
    link = require_link(link)
    try:
        return {"ticket": await tx.read(ticket_of, link, data.ticket_id)}
    except PermissionDenied as refusal:
        await tx.run(record_refusal, link.actor, data.pack(), refusal)
        raise


async def ticket_of(uow: UnitOfWork, link: ChatLink, ticket_id: int) -> TicketView:
    try:
        return await ticketing.ticket_view(uow, ticket_id, link.actor)
    except (NotFound, PermissionDenied):
        raise NotYourTicket() from None


async def add_to_ticket(
    tx: Transactor, link: ChatLink, ticket_id: int, text: str, key: str
) -> TicketView:
    command = AddCustomerMessage(ticket_id, text, link.actor, idempotency_key=key)
    return await tx.run(ticketing.add_customer_message, command)


async def customer_wrote(
    message: Message, customer: ChatLink | None, tx: Transactor, speech: Speech, state: FSMContext
) -> None:
    text, key = (message.text or "").strip(), message_key(message)
    if not text:
        return
    link = require_link(customer)
    if len(text) > TEXT_LIMIT:
        await message.answer(speech.render("flows/reply_too_long.html", limit=TEXT_LIMIT))
    elif len(live := await tx.read(live_tickets, link)) == 1:
        ticket = await add_to_ticket(tx, link, live[0], text, key)
        await message.answer(speech.render("flows/reply_sent.html", ticket=ticket))
    elif live:
        await state.set_data({"text": text, "key": key})
        keyboard = keyboards.reply_choice(live, speech.texts, speech.locale)
        await message.answer(speech.render("flows/choose_ticket.html"), reply_markup=keyboard)
    else:
        await my_tickets.offer_question(message, state, speech, text, key)


async def reply_chosen(
    query: CallbackQuery,
    ticket: TicketView,
    customer: ChatLink,
    tx: Transactor,
    speech: Speech,
    state: FSMContext,
) -> None:
    pending = await state.get_data()
    if not isinstance(text := pending.get("text"), str):
        await drop_buttons(query)
        await say(query, speech.render("flows/reply_expired.html"))
        return
    added = await add_to_ticket(tx, customer, ticket.id, text, str(pending.get("key")))
    await state.set_data({})
    await edit(query, speech.render("flows/reply_sent.html", ticket=added))


async def rate_pressed(
    query: CallbackQuery,
    callback_data: RateCD,
    ticket: TicketView,
    customer: ChatLink,
    tx: Transactor,
    speech: Speech,
) -> None:
    stars, key = callback_data.rating, button_key(query)
    await tx.run(ticketing.rate_ticket, RateTicket(ticket.id, stars, customer.actor, key))
    await edit(query, speech.render("flows/rated.html", ticket=ticket, rating=stars))


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.middleware(CallbackGuard(own_ticket))
    router.message.register(customer_wrote, plain_text)
    router.callback_query.register(reply_chosen, ReplyCD.filter())
    router.callback_query.register(rate_pressed, RateCD.filter())
    return router
