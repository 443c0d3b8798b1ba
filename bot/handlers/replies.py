"""How handlers speak: refusals by their code, edits of the pressed message, new messages.

Texts come from templates (`bot/refusals/<code>.html`, `bot/flows/*.html`) under gettext.
"""

from __future__ import annotations

import html
import re
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from jinja2 import TemplateError

from bot.linking import TelegramUser
from bot.transport.render import message_text
from bot.transport.splitter import MESSAGE_LIMIT, visible_length
from support_desk.core.errors import DomainError
from support_desk.core.messages import CustomerMessage
from support_desk.core.texts import LOCALES, Texts

GENERIC_REFUSAL = "bot/refusals/generic.html"
ANSWER_LIMIT = 200  # answerCallbackQuery text, in characters
# The customer's own words, in their language, on the credit note and in the ticket thread.
CANCEL_REASON = "Cancelled at the customer's request"


@dataclass(frozen=True, slots=True)
class Speech:
    """Texts in the locale of the person being answered (set by CustomerMiddleware)."""

    texts: Texts
    locale: str

    def render(self, template: str, **context: Any) -> str:
        return self.texts.render(f"bot/{template}", self.locale, **context)

    def render_within(self, template: str, caps: dict[str, int], **context: Any) -> str:
        """`template` as one message: the `caps` (how many lines, steps… it shows) halve until
        the text fits, so a long history never makes Telegram refuse the edit outright."""
        while True:
            text = self.render(template, **caps, **context)
            if visible_length(text) <= MESSAGE_LIMIT or not any(caps.values()):
                return text
            caps = {name: cap // 2 for name, cap in caps.items()}

    def message(self, message: CustomerMessage) -> str:
        """A customer message shown in the chat as the outbox would send it (same template)."""
        return message_text(self.texts, message, self.locale)

    def gettext(self, message: str) -> str:
        return self.texts.gettext(message, self.locale)

    def refusal(self, refusal: DomainError) -> str:
        return refusal_text(self.texts, refusal, self.locale)


def refusal_text(texts: Texts, refusal: DomainError, locale: str) -> str:
    """`bot/refusals/<code>.html` with the refusal's details, or the generic refusal."""
    environment = texts.environment(locale)
    details = {k: v for k, v in refusal.details.items() if k.isidentifier()}
    try:
        names = [f"bot/refusals/{refusal.code}.html", GENERIC_REFUSAL]
        return environment.select_template(names).render(**details).strip()
    except TemplateError:
        return texts.render(GENERIC_REFUSAL, locale)


def plain(text: str) -> str:
    """Telegram HTML as the plain text a callback answer shows."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))[:ANSWER_LIMIT]


def button_key(query: CallbackQuery) -> str | None:
    """The idempotency key of a press: what was pressed, so a double tap is one request."""
    if query.message is None:
        return None
    return f"tg:{query.message.chat.id}:{query.message.message_id}:{query.data}"


def telegram_user(message: Message) -> TelegramUser:
    user = message.from_user
    language = user.language_code if user else None
    return TelegramUser(
        user_id=user.id if user else message.chat.id,
        chat_id=message.chat.id,
        language=language if language in LOCALES else None,
    )


async def say(
    query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """A new message in the chat where the button was pressed (private: the user's id)."""
    if query.bot is not None:
        await query.bot.send_message(query.from_user.id, text, reply_markup=keyboard)


async def edit(
    query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the pressed message (a second identical edit is not an error)."""
    if not isinstance(query.message, Message):
        await say(query, text, keyboard)
        return
    with suppress(TelegramBadRequest):  # "message is not modified" after a double tap
        await query.message.edit_text(text, reply_markup=keyboard)


async def drop_buttons(query: CallbackQuery) -> None:
    if isinstance(query.message, Message):
        with suppress(TelegramBadRequest):
            await query.message.edit_reply_markup(reply_markup=None)


async def mark_void(query: CallbackQuery, note: str) -> None:
    """The pressed credit-note message, kept as a record: its text or its document's caption
    gains `note` (VOID) and it loses its buttons. Without the message (too old) only the
    buttons go."""
    message = query.message
    shown = message.text or message.caption if isinstance(message, Message) else None
    if not isinstance(message, Message) or not shown or plain(note) in shown:
        await drop_buttons(query)
        return
    marked = f"{message.html_text}\n\n{note}"
    with suppress(TelegramBadRequest):  # a second undo finds it marked already
        if message.document is not None:
            await message.edit_caption(caption=marked, reply_markup=None)
        else:
            await message.edit_text(marked, reply_markup=None)
