"""A press on a guarded router, handed to its handler as one `Press`: the query, the chat's FSM
state, the speech, the transactor and the customer's link, and the steps a request flow takes
with them (the flow this press belongs to, a new message, an edit, the ticket it sends).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, TelegramObject

import ticketing
from bot.access import require_link
from bot.chats import ChatLink
from bot.handlers.flow import Flow, begin, current, send_new, stale
from bot.handlers.middlewares import CallbackGuard, Check, Handler
from bot.handlers.replies import Speech, button_key, edit, say
from bot.requests_access import authorise_request
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from ticketing.commands import OpenTicket


@dataclass(frozen=True, slots=True)
class Press:
    """A press, re-authorised by `CallbackGuard`, with what every step needs: the query, the
    chat's FSM state, the speech, the transactor and the customer's link."""

    query: CallbackQuery
    state: FSMContext
    speech: Speech
    tx: Transactor
    customer: ChatLink

    @property
    def labels(self) -> tuple[Texts, str]:
        """The texts and locale a keyboard is labelled in."""
        return self.speech.texts, self.speech.locale

    def render(self, template: str, **context: Any) -> str:
        return self.speech.render(template, **context)

    async def flow(
        self,
        names: tuple[str, ...],
        invoice_id: int = 0,
        *,
        needs: tuple[str, ...] = (),
        valid: bool = True,
        **same: Any,
    ) -> Flow | None:
        """The flow this press belongs to (`current`), with the choices `needs` made and the
        fields `same` as given, for a press whose value is `valid`; else the menu is old (or
        another): it says so, and None."""
        flow = await current(self.state, self.query, names, invoice_id)
        if flow is None or not valid or not all(flow.get(need) for need in needs):
            await stale(self.query, self.speech)
            return None
        if any(flow.get(name) != value for name, value in same.items()):
            await stale(self.query, self.speech)
            return None
        return flow

    async def begin(
        self, name: str, text: str, keyboard: InlineKeyboardMarkup | None, **fields: Any
    ) -> Flow:
        """The flow's first step, in a new message (the pressed one stays as it was)."""
        return await begin(self.state, name, await send_new(self.query, text, keyboard), **fields)

    async def edit(self, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        await edit(self.query, text, keyboard)

    async def say(self, text: str) -> None:
        await say(self.query, text)

    @property
    def key(self) -> str | None:
        return button_key(self.query)

    async def send(self, request: OpenTicket, **shown: Any) -> None:
        """T1: the request as one ticket (a double tap is the same request: the press's key),
        and the receipt in place of the flow's message."""
        ticket = await self.tx.run(ticketing.open_ticket, request)
        await self.edit(self.render("requests/sent.html", ticket=ticket, **shown))


class Presses(BaseMiddleware):
    """Hands a press to its handler as a `Press` (inside `CallbackGuard`)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, CallbackQuery):
            customer = require_link(data["customer"])
            data["press"] = Press(event, data["state"], data["speech"], data["tx"], customer)
        return await handler(event, data)


def guarded_router(name: str, check: Check) -> Router:
    """A router whose every press is re-authorised against the chat link by `check` (what it
    names is read as the customer's own, TG5) and handed over as a `Press`, after the query
    (which aiogram always passes first)."""
    router = Router(name=name)
    router.callback_query.middleware(CallbackGuard(check))
    router.callback_query.middleware(Presses())
    return router


def request_router(name: str) -> Router:
    """A request flow's router (refund, split, service cancellation)."""
    return guarded_router(name, authorise_request)
