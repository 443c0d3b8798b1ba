"""Last: a press no handler understood (an old, malformed or forged button) gets a harmless
answer, so the client stops waiting and nothing else happens (TG6)."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer

from bot.handlers.replies import plain
from support_desk.core.texts import Texts


async def unknown_button(
    query: CallbackQuery, callback_answer: CallbackAnswer, texts: Texts, locale: str
) -> None:
    callback_answer.text = plain(texts.render("bot/flows/unknown_button.html", locale))


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(unknown_button)
    return router
