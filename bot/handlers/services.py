"""B5, T1: cancelling a service in the chat, from an invoice that bills it or from the first
step of a compound invoice's change: now or at period end, with the invoices its termination
will cancel named before anything is asked, then one `service_cancellation` ticket.

The service (and the invoice the request started from) is re-read as the customer's own on
every press; the choice lives in FSM state, keyed to the flow's message.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

import billing
import ticketing
from billing.models import ServiceStatus
from billing.read_models import InvoiceView, ServiceView
from bot import keyboards_requests as kb
from bot.callbacks_requests import AskAct, AskCD, ServiceAct, ServiceCD, When
from bot.chats import ChatLink
from bot.handlers.flow import Flow, begin, current, save, send_new, stale
from bot.handlers.middlewares import CallbackGuard
from bot.handlers.replies import Speech, button_key, edit, say
from bot.handlers.split import services_on
from bot.requests_access import authorise_request
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from ticketing.commands import OpenTicket

REASONS = {
    When.NOW: "Please cancel %(service)s now.",
    When.PERIOD_END: "Please cancel %(service)s at the end of the period.",
}


async def services_asked(
    query: CallbackQuery,
    invoice: InvoiceView,
    customer: ChatLink,
    tx: Transactor,
    state: FSMContext,
    speech: Speech,
) -> None:
    """From an invoice: which of the services it bills should stop? (a new message)"""
    services = await tx.read(services_on, customer, invoice)
    if not services:
        await say(query, speech.render("requests/no_services.html", invoice=invoice))
        return
    text = speech.render("requests/service_choice.html", invoice=invoice, services=services)
    keyboard = kb.service_choice(invoice.id, services, speech.texts, speech.locale)
    message_id = await send_new(query, text, keyboard)
    await begin(state, "service", message_id, invoice_id=invoice.id)


async def consequences(tx: Transactor, service: ServiceView) -> tuple[InvoiceView, ...]:
    return await tx.read(billing.queries.invoices_a_termination_cancels, service.id)


async def service_picked(
    query: CallbackQuery,
    callback_data: ServiceCD,
    service: ServiceView,
    tx: Transactor,
    state: FSMContext,
    speech: Speech,
) -> None:
    """When? Both choices with what they do; the invoices a termination cancels, by number."""
    flow = await current(state, query, ("service", "split"), callback_data.invoice_id)
    if flow is None:
        await stale(query, speech)
        return
    if service.status == ServiceStatus.TERMINATED:
        await edit(query, speech.render("requests/service_gone.html", service=service))
        return
    flow.update(name="service", service_id=service.id)
    await save(state, flow)
    cancels = await consequences(tx, service)
    text = speech.render("requests/service_when.html", service=service, cancels=cancels)
    invoice_id = callback_data.invoice_id
    day = billing.period_end_offered(service, tx.clock.now().date())
    keyboard = kb.service_when(service.id, invoice_id, speech.texts, speech.locale, day)
    await edit(query, text, keyboard)


async def when_chosen(
    query: CallbackQuery,
    callback_data: ServiceCD,
    service: ServiceView,
    tx: Transactor,
    state: FSMContext,
    speech: Speech,
) -> None:
    flow = await service_flow(state, query, service, callback_data)
    if flow is None or callback_data.value not in set(When):
        await stale(query, speech)
        return
    flow["when"] = callback_data.value
    await save(state, flow)
    cancels, when = await consequences(tx, service), flow["when"]
    text = speech.render(
        "requests/service_confirm.html", service=service, cancels=cancels, when=when
    )
    keyboard = kb.service_confirm(service.id, callback_data.invoice_id, *speech_of(speech))
    await edit(query, text, keyboard)


async def service_flow(
    state: FSMContext, query: CallbackQuery, service: ServiceView, data: ServiceCD
) -> Flow | None:
    """The service flow this press belongs to, about this very service."""
    flow = await current(state, query, ("service",), data.invoice_id)
    return flow if flow is not None and flow.get("service_id") == service.id else None


def speech_of(speech: Speech) -> tuple[Texts, str]:
    return speech.texts, speech.locale


async def send_pressed(
    query: CallbackQuery,
    callback_data: ServiceCD,
    service: ServiceView,
    customer: ChatLink,
    tx: Transactor,
    state: FSMContext,
    speech: Speech,
) -> None:
    """One `service_cancellation` ticket with the service (T1); a double tap is one."""
    flow = await service_flow(state, query, service, callback_data)
    if flow is None or not flow.get("when"):
        await stale(query, speech)
        return
    command = service_request(When(flow["when"]), service, callback_data, customer, query, speech)
    ticket = await tx.run(ticketing.open_ticket, command)
    await edit(query, speech.render("requests/sent.html", ticket=ticket, service=service))


def service_request(
    when: When,
    service: ServiceView,
    data: ServiceCD,
    customer: ChatLink,
    query: CallbackQuery,
    speech: Speech,
) -> OpenTicket:
    """T1, B5: the service, when, and the invoice the request started from (if any)."""
    return OpenTicket(
        customer_id=customer.customer_id,
        kind=ticketing.TicketKind.SERVICE_CANCELLATION,
        reason=speech.gettext(REASONS[when]) % {"service": service.name},
        actor=customer.actor,
        idempotency_key=button_key(query),
        invoice_id=data.invoice_id or None,
        service_ids=(service.id,),
        details={"when": when.value},
    )


def make_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.middleware(CallbackGuard(authorise_request))
    on_press = router.callback_query.register
    on_press(services_asked, AskCD.filter(F.act == AskAct.SERVICES))
    on_press(service_picked, ServiceCD.filter(F.act == ServiceAct.PICK))
    on_press(when_chosen, ServiceCD.filter(F.act == ServiceAct.WHEN))
    on_press(send_pressed, ServiceCD.filter(F.act == ServiceAct.SEND))
    return router
