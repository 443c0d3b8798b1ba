"""Settings (`/settings`, the menu's Settings button): the language the bot speaks here,
compound invoices on or off (B8), and unlinking the chat after a confirmation.

The state is in the text, the action on the button; a tap re-renders the screen in place, in
the new language when the language changed, and sets this chat's command list in it.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

import billing
from billing.commands import SetCompoundInvoicesAllowed
from bot import money_keyboards as kb
from bot.access import require_link
from bot.chat_settings import ChatSettings, chat_settings, set_chat_language, unlink_chat
from bot.chats import ChatLink
from bot.commands import set_chat_commands
from bot.handlers.press import Press, guarded_router
from bot.handlers.replies import Speech
from bot.money_access import check
from bot.money_callbacks import MenuCD, Screen, SettingAct, SettingsCD
from support_desk.core.tx import Transactor


def screen(current: ChatSettings, speech: Speech) -> tuple[str, InlineKeyboardMarkup]:
    text = speech.render("money/settings.html", settings=current)
    keyboard = kb.settings(
        current.language, current.compound_invoices_allowed, speech.texts, speech.locale
    )
    return text, keyboard


async def show_settings(
    message: Message, customer: ChatLink | None, tx: Transactor, speech: Speech
) -> None:
    current = await tx.read(chat_settings, require_link(customer))
    text, keyboard = screen(current, speech)
    await message.answer(text, reply_markup=keyboard)


async def settings_pressed(_: CallbackQuery, press: Press) -> None:
    await press.edit(*screen(await press.tx.read(chat_settings, press.customer), press.speech))


async def language_chosen(_: CallbackQuery, press: Press, callback_data: SettingsCD) -> None:
    current = await press.tx.run(set_chat_language, press.customer, callback_data.value)
    await press.edit(*screen(current, Speech(press.speech.texts, current.language)))
    if (bot := press.query.bot) is not None:  # after the transaction: a network call
        await set_chat_commands(bot, press.speech.texts, press.customer.chat_id, current.language)


async def compound_chosen(_: CallbackQuery, press: Press, callback_data: SettingsCD) -> None:
    customer, allowed = press.customer, callback_data.value == "1"
    command = SetCompoundInvoicesAllowed(
        customer.customer_id, allowed, customer.actor, idempotency_key=press.key
    )
    changed = await press.tx.run(billing.set_compound_invoices_allowed, command)
    current = ChatSettings(customer.language, changed.compound_invoices_allowed)
    await press.edit(*screen(current, press.speech))


async def unlink_asked(_: CallbackQuery, press: Press) -> None:
    keyboard = kb.confirm_unlink(*press.labels)
    await press.edit(press.render("money/unlink_confirm.html"), keyboard)


async def unlink_confirmed(_: CallbackQuery, press: Press) -> None:
    await press.tx.run(unlink_chat, press.customer)
    await press.edit(press.render("money/unlinked.html"))


def make_router() -> Router:
    router = guarded_router(__name__, check)
    router.message.register(show_settings, Command("settings"))
    on_press = router.callback_query.register
    on_press(settings_pressed, MenuCD.filter(F.to == Screen.SETTINGS))
    on_press(settings_pressed, SettingsCD.filter(F.act == SettingAct.KEEP_LINKED))
    on_press(language_chosen, SettingsCD.filter(F.act == SettingAct.LANGUAGE))
    on_press(compound_chosen, SettingsCD.filter(F.act == SettingAct.COMPOUND))
    on_press(unlink_asked, SettingsCD.filter(F.act == SettingAct.UNLINK))
    on_press(unlink_confirmed, SettingsCD.filter(F.act == SettingAct.UNLINK_CONFIRMED))
    return router
