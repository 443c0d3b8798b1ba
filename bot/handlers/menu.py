"""The menu (`/menu`, `/start` when linked, the Menu button), `/help`, and the short help an
unknown command, a sticker or anything else the bot cannot act on gets (BOT_UX §2, §4).

`make_router` holds the commands and buttons; `make_catchall_router` comes last of all, so it
only sees what no other router took.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot import money_keyboards as kb
from bot.access import require_link
from bot.chats import ChatLink
from bot.handlers.filters import command_text
from bot.handlers.middlewares import CallbackGuard
from bot.handlers.replies import Speech, edit, plain
from bot.money_access import check
from bot.money_callbacks import MenuCD, Screen
from bot.summary import overview
from support_desk.core.tx import Transactor


async def menu_text(
    customer: ChatLink | None, tx: Transactor, speech: Speech
) -> tuple[str, InlineKeyboardMarkup]:
    link = require_link(customer)
    summary = await tx.read(overview, link)
    text = speech.render("money/menu.html", overview=summary)
    return text, kb.menu(summary, speech.texts, speech.locale)


async def show_menu(
    message: Message, customer: ChatLink | None, tx: Transactor, speech: Speech
) -> None:
    text, keyboard = await menu_text(customer, tx, speech)
    await message.answer(text, reply_markup=keyboard)


async def menu_pressed(
    query: CallbackQuery, customer: ChatLink | None, tx: Transactor, speech: Speech
) -> None:
    text, keyboard = await menu_text(customer, tx, speech)
    await edit(query, text, keyboard)


async def show_help(message: Message, speech: Speech) -> None:
    keyboard = kb.help_buttons(speech.texts, speech.locale)
    await message.answer(speech.render("money/help.html"), reply_markup=keyboard)


async def help_pressed(query: CallbackQuery, speech: Speech) -> None:
    await edit(
        query, speech.render("money/help.html"), kb.help_buttons(speech.texts, speech.locale)
    )


async def pager_toast(
    query: CallbackQuery, callback_answer: CallbackAnswer, speech: Speech
) -> None:
    callback_answer.text = plain(speech.render("money/pager_toast.html"))


async def unknown_command(message: Message, speech: Speech) -> None:
    command = (message.text or "").split()[0][:32]
    text = speech.render("money/unknown_command.html", command=command)
    await message.answer(text, reply_markup=kb.menu_only(speech.texts, speech.locale))


async def cannot_read(message: Message, speech: Speech) -> None:
    """Stickers, GIFs, polls, locations, files: one friendly line, never a ticket."""
    text = speech.render("money/not_text.html")
    await message.answer(text, reply_markup=kb.menu_only(speech.texts, speech.locale))


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(pager_toast, MenuCD.filter(F.to == Screen.NOOP))
    guarded = Router(name=f"{__name__}.guarded")
    guarded.callback_query.middleware(CallbackGuard(check))
    guarded.message.register(show_menu, Command("menu"))
    guarded.message.register(show_help, Command("help"))
    guarded.callback_query.register(menu_pressed, MenuCD.filter(F.to == Screen.MENU))
    guarded.callback_query.register(help_pressed, MenuCD.filter(F.to == Screen.HELP))
    router.include_router(guarded)
    return router


def make_catchall_router() -> Router:
    router = Router(name=f"{__name__}.catchall")
    router.message.register(unknown_command, command_text)
    router.message.register(cannot_read)
    return router
