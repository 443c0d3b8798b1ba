"""/start and linking: a greeting, or the menu when linked; `/start <token>` and a shared own
contact link the chat to a customer (bot.linking) and answer with one welcome summary
(bot.summary). A user who writes /start again has unblocked the bot."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message, ReplyKeyboardRemove

from bot import keyboards, money_keyboards
from bot.chats import ChatLink, chat_active
from bot.handlers.menu import show_menu
from bot.handlers.replies import Speech, telegram_user
from bot.linking import SharedContact
from bot.summary import Overview, welcome_by_contact, welcome_by_token
from support_desk.core.tx import Transactor


async def has_contact(message: Message) -> bool:
    return message.contact is not None


async def cmd_start(
    message: Message, customer: ChatLink | None, tx: Transactor, speech: Speech
) -> None:
    await tx.run(chat_active, message.chat.id)
    if customer is not None:  # linked already: the menu
        await show_menu(message, customer, tx, speech)
        return
    text = speech.render(
        "start.html", name=message.from_user.first_name if message.from_user else ""
    )
    text += "\n" + speech.render("flows/how_to_link.html")  # or the deep link we sent
    await message.answer(text, reply_markup=keyboards.share_contact(speech.texts, speech.locale))


async def start_with_token(
    message: Message, command: CommandObject, tx: Transactor, speech: Speech
) -> None:
    welcome = await tx.run(welcome_by_token, command.args or "", telegram_user(message))
    await send_welcome(message, welcome, speech)


async def contact_shared(message: Message, tx: Transactor, speech: Speech) -> None:
    assert message.contact is not None  # has_contact
    shared = SharedContact(message.contact.phone_number, message.contact.user_id)
    welcome = await tx.run(welcome_by_contact, shared, telegram_user(message))
    await send_welcome(message, welcome, speech)


async def send_welcome(message: Message, welcome: Overview, speech: Speech) -> None:
    """One message for the first minute (BOT_UX §6): the account as it is now, with what was
    waiting folded in. The reply keyboard goes with it; the inline menu is then added by an
    edit (one markup per message)."""
    speech = Speech(speech.texts, welcome.language or speech.locale)
    text = speech.render("money/welcome.html", overview=welcome)
    sent = await message.answer(text, reply_markup=ReplyKeyboardRemove())
    keyboard = money_keyboards.welcome(welcome, speech.texts, speech.locale)
    with suppress(TelegramBadRequest):
        await sent.edit_reply_markup(reply_markup=keyboard)


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start_with_token, CommandStart(deep_link=True))
    router.message.register(cmd_start, CommandStart())
    router.message.register(contact_shared, has_contact)
    return router
