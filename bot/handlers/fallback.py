"""Last: a press no handler understood (an old, malformed or forged button) gets a harmless
answer, so the client stops waiting and nothing else happens (TG6)."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer

from bot.handlers.replies import Speech, plain


async def unknown_button(
    query: CallbackQuery, callback_answer: CallbackAnswer, speech: Speech
) -> None:
    callback_answer.text = plain(speech.render("flows/unknown_button.html"))


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(unknown_button)
    return router
