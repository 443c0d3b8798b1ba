"""Keep aiogram's parsed-response models alive for the methods the bot calls.

aiogram parses every Bot API answer as `Response[method.__returning__]`, a pydantic generic
model built on first use. pydantic keeps those models in a `WeakValueDictionary`: once a garbage
collection finds the model unreferenced (it is, between calls), the next answer builds it again,
schema and validator included, about 5 ms of CPU. Profiles of the customer's taps showed that
rebuild in most taps, more than every handler's own work (docs/performance.md). Holding one
strong reference per returned type makes each a dictionary lookup for the life of the process.
"""

from __future__ import annotations

from typing import Any

from aiogram import methods
from aiogram.methods.base import Response, TelegramMethod

# What the product calls: handlers, the delivery worker, the poller and start-up.
USED: tuple[type[TelegramMethod[Any]], ...] = (
    methods.SendMessage,
    methods.EditMessageText,
    methods.EditMessageCaption,
    methods.EditMessageReplyMarkup,
    methods.AnswerCallbackQuery,
    methods.SendDocument,
    methods.SendChatAction,
    methods.GetUpdates,
    methods.GetMe,
    methods.SetWebhook,
    methods.DeleteWebhook,
    methods.SetMyCommands,
    methods.GetMyCommands,
)

_KEPT: dict[Any, type[Any]] = {}


def keep_response_models(used: tuple[type[TelegramMethod[Any]], ...] = USED) -> None:
    """Build (once per process) and keep the response model of each method in `used`."""
    for method in used:
        returning = method.__returning__
        if returning not in _KEPT:
            _KEPT[returning] = Response[returning]  # type: ignore[valid-type]
