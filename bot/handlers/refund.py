"""B6, T1: a refund of a paid or partly paid invoice, asked in the chat: a reason from a short
list, a few words (optional), money back or account credit, then one `refund` ticket carrying
all of it and the amount at stake (what was paid less what was already refunded).

One message, edited per step; what the customer typed gets a new one. The choices live in FSM
state (`bot.handlers.flow`); the invoice is re-read as the customer's own on every press.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

import billing
import ticketing
from billing.read_models import InvoiceView
from bot import keyboards_requests as kb
from bot.access import require_link
from bot.callbacks_requests import AskAct, AskCD, RefundAct, RefundCD, RefundReason, RefundTo
from bot.chats import ChatLink
from bot.handlers.flow import Flow, Waiting, save
from bot.handlers.press import Press, request_router
from bot.handlers.replies import Speech
from bot.handlers.tickets import TEXT_LIMIT
from support_desk.core.tx import Transactor
from ticketing.commands import OpenTicket
from ticketing.rules import refundable_minor

FLOW = ("refund",)


def context(invoice: InvoiceView, flow: Flow, speech: Speech) -> dict[str, object]:
    """What every step shows: the invoice, what can come back, and the choices so far."""
    reason = flow.get("reason")
    return {
        "invoice": invoice,
        "refundable": refundable_minor(invoice),
        "reason": speech.gettext(kb.REASONS[RefundReason(reason)]) if reason else None,
        "words": flow.get("words"),
        "to": flow.get("to"),
    }


async def refund_asked(_: CallbackQuery, press: Press, invoice: InvoiceView) -> None:
    """Step 1, in a new message (the invoice's message stays as it was): why?"""
    if refundable_minor(invoice) <= 0:
        await press.say(press.render("requests/nothing_to_refund.html", invoice=invoice))
        return
    text = press.render("requests/refund_why.html", invoice=invoice)
    keyboard = kb.refund_reasons(invoice.id, *press.labels)
    await press.begin("refund", text, keyboard, invoice_id=invoice.id)


async def reason_chosen(
    _: CallbackQuery, press: Press, callback_data: RefundCD, invoice: InvoiceView
) -> None:
    """Step 2: a few words, typed below (the flow waits for them), or Skip."""
    flow = await press.flow(FLOW, invoice.id, valid=callback_data.value in set(RefundReason))
    if flow is None:
        return
    flow["reason"] = callback_data.value
    await save(press.state, flow)
    await press.state.set_state(Waiting.refund_words)
    text = press.render("requests/refund_words.html", **context(invoice, flow, press.speech))
    await press.edit(text, kb.refund_words(invoice.id, *press.labels))


async def words_typed(
    message: Message, customer: ChatLink | None, tx: Transactor, state: FSMContext, speech: Speech
) -> None:
    """Step 2, typed: the words join the request; step 3 comes as a new message."""
    link, words = require_link(customer), (message.text or "").strip()
    flow = (await state.get_data()).get("flow")
    if len(words) > TEXT_LIMIT:
        await message.answer(speech.render("flows/reply_too_long.html", limit=TEXT_LIMIT))
        return
    await state.set_state(None)
    if not isinstance(flow, dict) or not words:
        return
    invoice_id = int(flow["invoice_id"])
    invoice = await tx.read(billing.queries.customer_invoice, invoice_id, link.customer_id)
    flow["words"] = words
    text, keyboard = step_to(invoice, flow, speech)
    flow["message_id"] = (await message.answer(text, reply_markup=keyboard)).message_id
    await save(state, flow)


def step_to(
    invoice: InvoiceView, flow: Flow, speech: Speech
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Step 3: money back or account credit, with what was paid and refunded."""
    text = speech.render("requests/refund_to.html", **context(invoice, flow, speech))
    return text, kb.refund_to(invoice.id, speech.texts, speech.locale)


async def words_skipped(_: CallbackQuery, press: Press, invoice: InvoiceView) -> None:
    flow = await press.flow(FLOW, invoice.id, needs=("reason",))
    if flow is None:
        return
    await press.state.set_state(None)
    await press.edit(*step_to(invoice, flow, press.speech))


async def to_chosen(
    _: CallbackQuery, press: Press, callback_data: RefundCD, invoice: InvoiceView
) -> None:
    """Step 4: the summary, with Send request, Change and Stop."""
    valid = callback_data.value in set(RefundTo)
    flow = await press.flow(FLOW, invoice.id, needs=("reason",), valid=valid)
    if flow is None:
        return
    flow["to"] = callback_data.value
    await save(press.state, flow)
    text = press.render("requests/refund_summary.html", **context(invoice, flow, press.speech))
    await press.edit(text, kb.refund_summary(invoice.id, *press.labels))


async def back_pressed(_: CallbackQuery, press: Press, invoice: InvoiceView) -> None:
    if await press.flow(FLOW, invoice.id) is None:
        return
    await press.state.set_state(None)
    text = press.render("requests/refund_why.html", invoice=invoice)
    await press.edit(text, kb.refund_reasons(invoice.id, *press.labels))


async def send_pressed(_: CallbackQuery, press: Press, invoice: InvoiceView) -> None:
    """Step 5: one `refund` ticket (T1); a double tap is the same request (its key)."""
    flow = await press.flow(FLOW, invoice.id, needs=("reason", "to"))
    if flow is None:
        return
    await press.send(refund_request(flow, invoice, press), invoice=invoice)


def refund_request(flow: Flow, invoice: InvoiceView, press: Press) -> OpenTicket:
    """T1: the ticket as the agent will read it: the reason and the customer's own words."""
    shown, customer = context(invoice, flow, press.speech), press.customer
    reason = "\n".join(str(part) for part in (shown["reason"], flow.get("words")) if part)
    return OpenTicket(
        customer_id=customer.customer_id,
        kind=ticketing.TicketKind.REFUND,
        reason=reason,
        actor=customer.actor,
        idempotency_key=press.key,
        invoice_id=invoice.id,
        details={"reason": flow["reason"], "to": flow["to"]},
    )


def make_router() -> Router:
    router = request_router(__name__)
    router.message.register(words_typed, Waiting.refund_words, F.text, ~F.text.startswith("/"))
    on_press = router.callback_query.register
    on_press(refund_asked, AskCD.filter(F.act == AskAct.REFUND))
    on_press(reason_chosen, RefundCD.filter(F.act == RefundAct.WHY))
    on_press(words_skipped, RefundCD.filter(F.act == RefundAct.SKIP))
    on_press(to_chosen, RefundCD.filter(F.act == RefundAct.TO))
    on_press(back_pressed, RefundCD.filter(F.act == RefundAct.BACK))
    on_press(send_pressed, RefundCD.filter(F.act == RefundAct.SEND))
    return router
