"""/start: a greeting from a template; a user who writes again has unblocked the bot."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.types import Message

from bot.chats import chat_active
from support_desk.core.texts import LOCALES, Texts
from support_desk.core.tx import Transactor

router = Router(name=__name__)


def locale_of(message: Message, texts: Texts) -> str:
    code = (message.from_user.language_code if message.from_user else None) or ""
    return code if code in LOCALES else texts.default_locale


@router.message(CommandStart())
async def cmd_start(message: Message, tx: Transactor, texts: Texts) -> None:
    await tx.run(chat_active, message.chat.id)
    name = message.from_user.first_name if message.from_user else ""
    await message.answer(texts.render("bot/start.html", locale_of(message, texts), name=name))
