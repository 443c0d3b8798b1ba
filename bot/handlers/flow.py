"""The steps of a request flow, kept on the server: which flow, about which invoice, on which
message, and what the customer chose so far (FSM data under "flow"). A press is taken only on
the flow's own message, so an old menu cannot change a newer request; `/cancel` and the Stop
button leave any flow (BOT_UX §2).
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks_requests import FlowAct, FlowCD
from bot.handlers.replies import Speech, edit

Flow = dict[str, Any]


class Waiting(StatesGroup):
    """The flow waits for the customer to type something."""

    refund_words = State()  # B6: a few words about the refund (optional)
    reply = State()  # T4: the reply to the ticket whose Reply was pressed
    question = State()  # T1: the question about the invoice whose "Talk to a person" was pressed


async def send_new(
    query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> int | None:
    """A new message in the customer's chat; its id, so the flow knows its message."""
    if query.bot is None:
        return None
    sent = await query.bot.send_message(query.from_user.id, text, reply_markup=keyboard)
    return sent.message_id


async def begin(state: FSMContext, name: str, message_id: int | None, **fields: Any) -> Flow:
    """Start a flow (any earlier one, and a pending reply choice, is dropped)."""
    flow: Flow = {"name": name, "message_id": message_id, **fields}
    await state.set_state(None)
    await state.set_data({"flow": flow})
    return flow


async def save(state: FSMContext, flow: Flow) -> None:
    await state.update_data({"flow": flow})


async def current(
    state: FSMContext, query: CallbackQuery, names: tuple[str, ...], invoice_id: int = 0
) -> Flow | None:
    """The flow this press belongs to: one of `names`, on this very message, about this
    invoice (when the button names one); None for a press on an old or other menu."""
    flow = (await state.get_data()).get("flow")
    if not isinstance(flow, dict) or flow.get("name") not in names:
        return None
    message_id = query.message.message_id if query.message is not None else None
    if flow.get("message_id") != message_id:
        return None
    if invoice_id and flow.get("invoice_id") != invoice_id:
        return None
    return flow


async def stale(query: CallbackQuery, speech: Speech) -> None:
    """An old menu: say so in place and leave no buttons on it (nothing was sent)."""
    await edit(query, speech.render("requests/stale.html"))


async def leave(state: FSMContext) -> bool:
    """Leave whatever the customer was doing; True if there was something to leave."""
    was = await state.get_state() is not None or bool(await state.get_data())
    await state.clear()
    return was


async def cancel_command(message: Message, state: FSMContext, speech: Speech) -> None:
    stopped = await leave(state)
    name = "requests/stopped.html" if stopped else "requests/nothing_to_cancel.html"
    await message.answer(speech.render(name))


async def stop_pressed(query: CallbackQuery, state: FSMContext, speech: Speech) -> None:
    await leave(state)
    await edit(query, speech.render("requests/stopped.html"))


def make_router() -> Router:
    """/cancel wins in every state (registered before any flow's text handler)."""
    router = Router(name=__name__)
    router.message.register(cancel_command, Command("cancel"))
    router.callback_query.register(stop_pressed, FlowCD.filter(F.act == FlowAct.STOP))
    return router
