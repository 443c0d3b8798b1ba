"""B7, T1: changing a compound invoice in the chat. The cheaper route first: cancelling a
service no longer needed (B5, `bot.handlers.services`); else the customer ticks the lines to
drop and one `compound_split` ticket carries them. The ticks live in FSM state, keyed to the
flow's message; a button says "set on" or "set off", so a double tap cannot undo itself.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

import billing
import ticketing
from billing.read_models import InvoiceView
from bot import keyboards_requests as kb
from bot.callbacks_requests import AskAct, AskCD, SplitAct, SplitCD
from bot.handlers.flow import Flow, save
from bot.handlers.press import Press, request_router
from bot.handlers.replies import Speech
from ticketing.commands import OpenTicket

FLOW = ("split",)


def lines_text(invoice: InvoiceView, flow: Flow, speech: Speech) -> str:
    ticked = [line for line in invoice.lines if line.id in flow.get("ticks", [])]
    credit = sum(line.creditable_minor for line in ticked)
    return speech.render(
        "requests/split_lines.html", invoice=invoice, ticked=ticked, credit=credit
    )


async def split_asked(_: CallbackQuery, press: Press, invoice: InvoiceView) -> None:
    """Step 1, in a new message: cancel a service first, or change only this invoice."""
    if not billing.rules.compound_change_possible(invoice):
        await press.say(press.render("requests/not_compound.html", invoice=invoice))
        return
    services = await press.tx.read(
        billing.queries.live_services_billed_by, press.customer.customer_id, invoice
    )
    if services:
        text = press.render("requests/split_services.html", invoice=invoice, services=services)
        keyboard = kb.split_services(invoice.id, services, *press.labels)
    else:
        text = lines_text(invoice, {"ticks": []}, press.speech)
        keyboard = kb.split_lines(invoice, [], *press.labels)
    await press.begin("split", text, keyboard, invoice_id=invoice.id, ticks=[])


async def show_lines(_: CallbackQuery, press: Press, invoice: InvoiceView) -> None:
    """Step 2 (also Back from the confirmation): the lines, ticked or not."""
    flow = await press.flow(FLOW, invoice.id)
    if flow is None:
        return
    await _show_lines(press, invoice, flow)


async def page_pressed(
    _: CallbackQuery, press: Press, callback_data: SplitCD, invoice: InvoiceView
) -> None:
    """Another page of a long invoice's lines; what is ticked stays ticked."""
    flow = await press.flow(FLOW, invoice.id)
    if flow is None:
        return
    flow["page"] = min(callback_data.page, kb.line_pages(invoice) - 1)
    await save(press.state, flow)
    await _show_lines(press, invoice, flow)


async def _show_lines(press: Press, invoice: InvoiceView, flow: Flow) -> None:
    ticks, page = list(flow.get("ticks", [])), int(flow.get("page", 0))
    keyboard = kb.split_lines(invoice, ticks, *press.labels, page=page)
    await press.edit(lines_text(invoice, flow, press.speech), keyboard)


async def tick_pressed(
    _: CallbackQuery, press: Press, callback_data: SplitCD, invoice: InvoiceView
) -> None:
    """Step 3: set a line on or off; the summary and the keyboard follow."""
    valid = callback_data.line_id in {line.id for line in invoice.lines}
    flow = await press.flow(FLOW, invoice.id, valid=valid)
    if flow is None:
        return
    ticks = set(flow.get("ticks", []))
    if callback_data.act == SplitAct.ON:
        ticks.add(callback_data.line_id)
    else:
        ticks.discard(callback_data.line_id)
    flow["ticks"] = sorted(ticks)
    await save(press.state, flow)
    await _show_lines(press, invoice, flow)


async def done_pressed(_: CallbackQuery, press: Press, invoice: InvoiceView) -> None:
    """Step 4: what will be asked; the invoice stays as it is until an agent decides."""
    flow = await press.flow(FLOW, invoice.id, needs=("ticks",))
    if flow is None:
        return
    ticked = [line for line in invoice.lines if line.id in flow["ticks"]]
    credit = sum(line.creditable_minor for line in ticked)
    text = press.render(
        "requests/split_confirm.html", invoice=invoice, ticked=ticked, credit=credit
    )
    await press.edit(text, kb.split_confirm(invoice.id, *press.labels))


async def send_pressed(_: CallbackQuery, press: Press, invoice: InvoiceView) -> None:
    """Step 5: one `compound_split` ticket with the ticked lines (T1)."""
    flow = await press.flow(FLOW, invoice.id, needs=("ticks",))
    if flow is None:
        return
    await press.send(split_request(flow, invoice, press), invoice=invoice)


NAMED = 10  # ticked lines named in a split request's words; the ticket holds all their ids


def split_request(flow: Flow, invoice: InvoiceView, press: Press) -> OpenTicket:
    """T1, B7: the ticked lines, named in the customer's language for the agent (the first
    NAMED of them: the console lists every ticked line beside the request)."""
    names = [line.name for line in invoice.lines if line.id in flow["ticks"]]
    reason = press.speech.gettext("Please drop from invoice %(invoice)s: %(lines)s") % {
        "invoice": invoice.number or invoice.id,
        "lines": named(names, press.speech),
    }
    return OpenTicket(
        customer_id=press.customer.customer_id,
        kind=ticketing.TicketKind.COMPOUND_SPLIT,
        reason=reason,
        actor=press.customer.actor,
        idempotency_key=press.key,
        invoice_id=invoice.id,
        line_ids=tuple(flow["ticks"]),
    )


def named(names: list[str], speech: Speech) -> str:
    """The first NAMED names, and how many more there are."""
    shown = ", ".join(names[:NAMED])
    if len(names) <= NAMED:
        return shown
    more = speech.gettext("%(lines)s and %(more)s more")
    return more % {"lines": shown, "more": len(names) - NAMED}


def make_router() -> Router:
    router = request_router(__name__)
    on_press = router.callback_query.register
    on_press(split_asked, AskCD.filter(F.act == AskAct.SPLIT))
    on_press(show_lines, SplitCD.filter(F.act.in_({SplitAct.ONLY, SplitAct.BACK})))
    on_press(tick_pressed, SplitCD.filter(F.act.in_({SplitAct.ON, SplitAct.OFF})))
    on_press(page_pressed, SplitCD.filter(F.act == SplitAct.PAGE))
    on_press(done_pressed, SplitCD.filter(F.act == SplitAct.DONE))
    on_press(send_pressed, SplitCD.filter(F.act == SplitAct.SEND))
    return router
