"""Cross-cutting steps of the customer routers: who is writing, and refusals into words.

- `CustomerMiddleware` reads the chat link of `event_from_user` on every update (never trusting
  a button) and sets `customer` (a ChatLink or None), `locale` and `speech`.
- `MessageRefusals` answers a refused message with `bot/refusals/<code>.html`.
- `CallbackGuard` re-authorises a press against the link, then answers the query before the
  work starts (TG5, TG13): a refusal found before the answer travels in the answer, one the
  work finds (a stale button) arrives as a message.

Both put refusals into words through `bot.handlers.refusals.refuse`, the one place that does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, TelegramObject, User

from bot.access import authorise
from bot.chats import ChatLink, read_link
from bot.handlers.refusals import refuse
from bot.handlers.replies import Speech
from support_desk.core.errors import DomainError
from support_desk.core.texts import LOCALES, Texts
from support_desk.core.tx import Transactor

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
# (tx, link, callback_data) -> what the button names, as the linked customer's own
Check = Callable[[Transactor, ChatLink | None, Any], Awaitable[Mapping[str, object]]]


def locale_for(link: ChatLink | None, user: User | None, texts: Texts) -> str:
    if link is not None and link.language in LOCALES:
        return link.language
    code = (user.language_code if user else None) or ""
    return code if code in LOCALES else texts.default_locale


class CustomerMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        link = await data["tx"].read_statement(read_link, user.id) if user is not None else None
        data["customer"] = link
        data["locale"] = locale = locale_for(link, user, data["texts"])
        data["speech"] = Speech(data["texts"], locale)
        return await handler(event, data)


class MessageRefusals(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except DomainError as refusal:
            await refuse(event, data["speech"], refusal)
            return None


class CallbackGuard(BaseMiddleware):
    def __init__(self, check: Check = authorise) -> None:
        self.check = check

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        speech, answer = data["speech"], data["callback_answer"]
        try:
            data.update(await self.check(data["tx"], data["customer"], data["callback_data"]))
        except DomainError as refusal:
            await refuse(event, speech, refusal, answer)
            return None
        with suppress(TelegramBadRequest):  # a retried update finds the query answered
            await event.answer()
        answer.disabled = True
        try:
            return await handler(event, data)
        except DomainError as refusal:
            await refuse(event, speech, refusal, answer)
            return None
