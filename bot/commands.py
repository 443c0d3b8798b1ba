"""The bot's command list in Telegram's menu, in both languages (BOT_UX §5).

At start-up the list is compared with `getMyCommands` and set only when it differs: English
as the fallback (no `language_code`) and Russian for `ru` users, for private chats. A language
chosen in Settings sets the list for that one chat, since a chat scope beats language lists.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from support_desk.core.texts import LOCALES, Texts

log = logging.getLogger(__name__)
COMMANDS = (
    ("menu", "Your account at a glance"),
    ("invoices", "Your invoices"),
    ("settings", "Language and preferences"),
    ("help", "What this bot can do"),
)


def commands_in(texts: Texts, locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=texts.gettext(about, locale))
        for name, about in COMMANDS
    ]


def _pairs(commands: Iterable[BotCommand]) -> list[tuple[str, str]]:
    return [(c.command, c.description) for c in commands]


async def publish_commands(bot: Bot, texts: Texts) -> None:
    """Set the private-chat command lists that differ from what Telegram has; a failure is
    logged, never fatal (the bot works without its menu)."""
    scope = BotCommandScopeAllPrivateChats()
    try:
        for locale in LOCALES:
            code = None if locale == LOCALES[0] else locale
            wanted = commands_in(texts, locale)
            current = await bot.get_my_commands(scope=scope, language_code=code)
            if _pairs(current) != _pairs(wanted):
                await bot.set_my_commands(wanted, scope=scope, language_code=code)
    except (TelegramAPIError, TelegramNetworkError, OSError) as exc:
        log.warning("could not set the bot's commands: %s", exc)


async def set_chat_commands(bot: Bot, texts: Texts, chat_id: int, locale: str) -> None:
    """The command list of one chat, in the language chosen there."""
    scope = BotCommandScopeChat(chat_id=chat_id)
    try:
        await bot.set_my_commands(commands_in(texts, locale), scope=scope)
    except (TelegramAPIError, TelegramNetworkError, OSError) as exc:
        log.warning("could not set the commands of chat %s: %s", chat_id, exc)
