"""The one place a refusal becomes words, shared by the message handlers and the callback
guard: the reason from `bot/refusals/<code>.html`, and a next step.

- a press not yet answered: the reason in an alert (it must be read), nothing else changes;
- a press already answered, or a typed message: a new message with the reason and a Menu
  button, so no refusal is a dead end.
"""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer

from bot import money_keyboards
from bot.handlers.replies import Speech, plain, say
from support_desk.core.errors import DomainError


async def refuse(
    event: TelegramObject,
    speech: Speech,
    refusal: DomainError,
    callback_answer: CallbackAnswer | None = None,
) -> None:
    """Tell the customer why not, where they are: in the press's alert or in a message."""
    text = speech.refusal(refusal)
    if isinstance(event, CallbackQuery):
        if callback_answer is not None and not callback_answer.disabled:
            callback_answer.text, callback_answer.show_alert = plain(text), True
            return
        await say(event, text, money_keyboards.menu_only(speech.texts, speech.locale))
    elif isinstance(event, Message):
        await event.answer(
            text, reply_markup=money_keyboards.menu_only(speech.texts, speech.locale)
        )
