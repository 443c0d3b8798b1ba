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
from bot.handlers.flow import Flow, Waiting, begin, current, save, send_new, stale
from bot.handlers.middlewares import CallbackGuard
from bot.handlers.replies import Speech, button_key, edit, say
from bot.handlers.tickets import TEXT_LIMIT
from bot.requests_access import authorise_request
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


async def refund_asked(
    query: CallbackQuery, invoice: InvoiceView, state: FSMContext, speech: Speech
) -> None:
    """Step 1, in a new message (the invoice's message stays as it was): why?"""
    if refundable_minor(invoice) <= 0:
        await say(query, speech.render("requests/nothing_to_refund.html", invoice=invoice))
        return
    text = speech.render("requests/refund_why.html", invoice=invoice)
    message_id = await send_new(
        query, text, kb.refund_reasons(invoice.id, speech.texts, speech.locale)
    )
    await begin(state, "refund", message_id, invoice_id=invoice.id)


async def reason_chosen(
    query: CallbackQuery,
    callback_data: RefundCD,
    invoice: InvoiceView,
    state: FSMContext,
    speech: Speech,
) -> None:
    """Step 2: a few words, typed below (the flow waits for them), or Skip."""
    flow = await current(state, query, FLOW, invoice.id)
    if flow is None or callback_data.value not in set(RefundReason):
        await stale(query, speech)
        return
    flow["reason"] = callback_data.value
    await save(state, flow)
    await state.set_state(Waiting.refund_words)
    text = speech.render("requests/refund_words.html", **context(invoice, flow, speech))
    await edit(query, text, kb.refund_words(invoice.id, speech.texts, speech.locale))


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


async def words_skipped(
    query: CallbackQuery, invoice: InvoiceView, state: FSMContext, speech: Speech
) -> None:
    flow = await current(state, query, FLOW, invoice.id)
    if flow is None or not flow.get("reason"):
        await stale(query, speech)
        return
    await state.set_state(None)
    await edit(query, *step_to(invoice, flow, speech))


async def to_chosen(
    query: CallbackQuery,
    callback_data: RefundCD,
    invoice: InvoiceView,
    state: FSMContext,
    speech: Speech,
) -> None:
    """Step 4: the summary, with Send request, Change and Stop."""
    flow = await current(state, query, FLOW, invoice.id)
    if flow is None or not flow.get("reason") or callback_data.value not in set(RefundTo):
        await stale(query, speech)
        return
    flow["to"] = callback_data.value
    await save(state, flow)
    text = speech.render("requests/refund_summary.html", **context(invoice, flow, speech))
    await edit(query, text, kb.refund_summary(invoice.id, speech.texts, speech.locale))


async def back_pressed(
    query: CallbackQuery, invoice: InvoiceView, state: FSMContext, speech: Speech
) -> None:
    flow = await current(state, query, FLOW, invoice.id)
    if flow is None:
        await stale(query, speech)
        return
    await state.set_state(None)
    text = speech.render("requests/refund_why.html", invoice=invoice)
    await edit(query, text, kb.refund_reasons(invoice.id, speech.texts, speech.locale))


async def send_pressed(
    query: CallbackQuery,
    invoice: InvoiceView,
    customer: ChatLink,
    tx: Transactor,
    state: FSMContext,
    speech: Speech,
) -> None:
    """Step 5: one `refund` ticket (T1); a double tap is the same request (its key)."""
    flow = await current(state, query, FLOW, invoice.id)
    if flow is None or not flow.get("reason") or not flow.get("to"):
        await stale(query, speech)
        return
    command = refund_request(flow, invoice, customer, button_key(query), speech)
    ticket = await tx.run(ticketing.open_ticket, command)
    await edit(query, speech.render("requests/sent.html", ticket=ticket, invoice=invoice))


def refund_request(
    flow: Flow, invoice: InvoiceView, customer: ChatLink, key: str | None, speech: Speech
) -> OpenTicket:
    """T1: the ticket as the agent will read it: the reason and the customer's own words."""
    shown = context(invoice, flow, speech)
    reason = "\n".join(str(part) for part in (shown["reason"], flow.get("words")) if part)
    return OpenTicket(
        customer_id=customer.customer_id,
        kind=ticketing.TicketKind.REFUND,
        reason=reason,
        actor=customer.actor,
        idempotency_key=key,
        invoice_id=invoice.id,
        details={"reason": flow["reason"], "to": flow["to"]},
    )


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.middleware(CallbackGuard(authorise_request))
    router.message.register(words_typed, Waiting.refund_words, F.text, ~F.text.startswith("/"))
    on_press = router.callback_query.register
    on_press(refund_asked, AskCD.filter(F.act == AskAct.REFUND))
    on_press(reason_chosen, RefundCD.filter(F.act == RefundAct.WHY))
    on_press(words_skipped, RefundCD.filter(F.act == RefundAct.SKIP))
    on_press(to_chosen, RefundCD.filter(F.act == RefundAct.TO))
    on_press(back_pressed, RefundCD.filter(F.act == RefundAct.BACK))
    on_press(send_pressed, RefundCD.filter(F.act == RefundAct.SEND))
    return router
