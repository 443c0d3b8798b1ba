"""/start and linking: a greeting; `/start <token>` and a shared own contact link the chat to a
customer (bot.linking). A user who writes /start again has unblocked the bot."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message, ReplyKeyboardRemove

from bot import keyboards
from bot.chats import ChatLink, chat_active
from bot.handlers.replies import Speech, telegram_user
from bot.linking import SharedContact, link_by_contact, link_by_token
from support_desk.core.tx import Transactor


async def has_contact(message: Message) -> bool:
    return message.contact is not None


async def cmd_start(
    message: Message, customer: ChatLink | None, tx: Transactor, speech: Speech
) -> None:
    await tx.run(chat_active, message.chat.id)
    text = speech.render(
        "start.html", name=message.from_user.first_name if message.from_user else ""
    )
    if customer is not None:
        await message.answer(text)
        return
    text += "\n" + speech.render("flows/how_to_link.html")  # or the deep link we sent
    await message.answer(text, reply_markup=keyboards.share_contact(speech.texts, speech.locale))


async def start_with_token(
    message: Message, command: CommandObject, tx: Transactor, speech: Speech
) -> None:
    customer = await tx.run(link_by_token, command.args or "", telegram_user(message))
    text = speech.render("flows/linked.html", customer=customer)
    await message.answer(text, reply_markup=ReplyKeyboardRemove())


async def contact_shared(message: Message, tx: Transactor, speech: Speech) -> None:
    assert message.contact is not None  # has_contact
    shared = SharedContact(message.contact.phone_number, message.contact.user_id)
    customer = await tx.run(link_by_contact, shared, telegram_user(message))
    text = speech.render("flows/linked.html", customer=customer)
    await message.answer(text, reply_markup=ReplyKeyboardRemove())


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start_with_token, CommandStart(deep_link=True))
    router.message.register(cmd_start, CommandStart())
    router.message.register(contact_shared, has_contact)
    return router
