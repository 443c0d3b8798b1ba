"""B5, T1: cancelling a service in the chat, from an invoice that bills it or from the first
step of a compound invoice's change: now or at period end, with the invoices its termination
will cancel named before anything is asked, then one `service_cancellation` ticket.

The service (and the invoice the request started from) is re-read as the customer's own on
every press; the choice lives in FSM state, keyed to the flow's message.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

import billing
import ticketing
from billing.models import ServiceStatus
from billing.read_models import InvoiceView, ServiceView
from bot import keyboards_requests as kb
from bot.callbacks_requests import AskAct, AskCD, ServiceAct, ServiceCD, When
from bot.handlers.flow import save
from bot.handlers.press import Press, request_router
from support_desk.core.tx import Transactor
from ticketing.commands import OpenTicket

SERVICE = ("service",)  # the flow's name, once a service is picked
REASONS = {
    When.NOW: "Please cancel %(service)s now.",
    When.PERIOD_END: "Please cancel %(service)s at the end of the period.",
}


async def services_asked(_: CallbackQuery, press: Press, invoice: InvoiceView) -> None:
    """From an invoice: which of the services it bills should stop? (a new message)"""
    services = await press.tx.read(
        billing.queries.live_services_billed_by, press.customer.customer_id, invoice
    )
    if not services:
        await press.say(press.render("requests/no_services.html", invoice=invoice))
        return
    text = press.render("requests/service_choice.html", invoice=invoice, services=services)
    keyboard = kb.service_choice(invoice.id, services, *press.labels)
    await press.begin("service", text, keyboard, invoice_id=invoice.id)


async def consequences(tx: Transactor, service: ServiceView) -> tuple[InvoiceView, ...]:
    return await tx.read(billing.queries.invoices_a_termination_cancels, service.id)


async def service_picked(
    _: CallbackQuery, press: Press, callback_data: ServiceCD, service: ServiceView
) -> None:
    """When? Both choices with what they do; the invoices a termination cancels, by number."""
    flow = await press.flow(("service", "split"), callback_data.invoice_id)
    if flow is None:
        return
    if service.status == ServiceStatus.TERMINATED:
        await press.edit(press.render("requests/service_gone.html", service=service))
        return
    flow.update(name="service", service_id=service.id)
    await save(press.state, flow)
    cancels = await consequences(press.tx, service)
    text = press.render("requests/service_when.html", service=service, cancels=cancels)
    invoice_id = callback_data.invoice_id
    day = billing.period_end_offered(service, press.tx.clock.now().date())
    await press.edit(text, kb.service_when(service.id, invoice_id, *press.labels, day))


async def when_chosen(
    _: CallbackQuery, press: Press, callback_data: ServiceCD, service: ServiceView
) -> None:
    valid = callback_data.value in set(When)
    flow = await press.flow(SERVICE, callback_data.invoice_id, valid=valid, service_id=service.id)
    if flow is None:
        return
    flow["when"] = callback_data.value
    await save(press.state, flow)
    cancels, when = await consequences(press.tx, service), flow["when"]
    text = press.render(
        "requests/service_confirm.html", service=service, cancels=cancels, when=when
    )
    keyboard = kb.service_confirm(service.id, callback_data.invoice_id, *press.labels)
    await press.edit(text, keyboard)


async def send_pressed(
    _: CallbackQuery, press: Press, callback_data: ServiceCD, service: ServiceView
) -> None:
    """One `service_cancellation` ticket with the service (T1); a double tap is one."""
    invoice_id = callback_data.invoice_id
    flow = await press.flow(SERVICE, invoice_id, needs=("when",), service_id=service.id)
    if flow is None:
        return
    request = service_request(When(flow["when"]), service, invoice_id, press)
    await press.send(request, service=service)


def service_request(when: When, service: ServiceView, invoice_id: int, press: Press) -> OpenTicket:
    """T1, B5: the service, when, and the invoice the request started from (if any)."""
    return OpenTicket(
        customer_id=press.customer.customer_id,
        kind=ticketing.TicketKind.SERVICE_CANCELLATION,
        reason=press.speech.gettext(REASONS[when]) % {"service": service.name},
        actor=press.customer.actor,
        idempotency_key=press.key,
        invoice_id=invoice_id or None,
        service_ids=(service.id,),
        details={"when": when.value},
    )


def make_router() -> Router:
    router = request_router(__name__)
    on_press = router.callback_query.register
    on_press(services_asked, AskCD.filter(F.act == AskAct.SERVICES))
    on_press(service_picked, ServiceCD.filter(F.act == ServiceAct.PICK))
    on_press(when_chosen, ServiceCD.filter(F.act == ServiceAct.WHEN))
    on_press(send_pressed, ServiceCD.filter(F.act == ServiceAct.SEND))
    return router
