"""T1, B5, B6: what the bot's requests carry: the customer's choices (details), a service
cancellation with what its termination cancels, joined by service, and what "live" means."""

from __future__ import annotations

import pytest

import billing
import ticketing
from billing.commands import Remainder, TerminateService
from billing.errors import ServiceAlreadyTerminated
from support_desk.core.actors import Actor
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import (
    SYSTEM,
    claimed,
    line,
    make_agent,
    make_customer,
    make_invoice,
    make_service,
    pay,
)
from ticketing.commands import OpenTicket, ResolveRefund
from ticketing.models import TicketKind


def vars_of(cmd: OpenTicket) -> dict[str, object]:
    return {f: getattr(cmd, f) for f in OpenTicket.__dataclass_fields__}


def cancel_service(
    customer_id: int, service_id: int, invoice_id: int | None = None, **details: object
) -> OpenTicket:
    return OpenTicket(
        customer_id,
        TicketKind.SERVICE_CANCELLATION,
        "I no longer need it",
        Actor.customer(customer_id),
        invoice_id=invoice_id,
        service_ids=(service_id,),
        details=dict(details),
    )


async def test_b5_a_service_cancellation_states_the_invoices_its_termination_cancels(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    vps, desk = await make_service(tx, customer, "VPS"), await make_service(tx, customer, "Desk")
    first = await make_invoice(tx, customer, line(1000, service=vps))
    second = await make_invoice(tx, customer, line(2000, service=vps))
    await pay(tx, await make_invoice(tx, customer, line(4000, service=vps)))
    await make_invoice(tx, customer, line(500, service=vps), line(700, service=desk))

    ticket = await tx.run(ticketing.open_ticket, cancel_service(customer.id, vps.id, when="now"))

    assert (ticket.kind, ticket.invoice_id, ticket.service_ids) == (
        "service_cancellation",
        None,
        (vps.id,),
    )
    assert ticket.details == {"when": "now", "cancels_invoice_ids": [first.id, second.id]}
    assert (ticket.amount_minor, ticket.currency) == (
        first.balance_minor + second.balance_minor,
        "EUR",
    )


async def test_t1_a_second_cancellation_of_the_same_service_joins_whatever_the_invoice(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, "VPS")
    invoice = await make_invoice(tx, customer, line(1000, service=vps))
    first = await tx.run(ticketing.open_ticket, cancel_service(customer.id, vps.id, when="now"))

    again = cancel_service(customer.id, vps.id, invoice.id, when="period_end")
    second = await tx.run(ticketing.open_ticket, again)

    assert (second.id, second.joined) == (first.id, True)
    assert second.details is not None and second.details["when"] == "period_end"
    assert [m.text for m in second.messages] == ["I no longer need it"] * 2


async def test_b5_a_terminated_service_cannot_be_asked_to_be_cancelled(tx: Transactor) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, "VPS")
    await tx.run(billing.terminate_service, TerminateService(vps.id, "done", SYSTEM))

    with pytest.raises(ServiceAlreadyTerminated):
        await tx.run(ticketing.open_ticket, cancel_service(customer.id, vps.id))


async def test_b6_a_refund_keeps_the_customers_choice_and_the_refundable_amount(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await pay(tx, await make_invoice(tx, customer, line(5000)), 2000)
    cmd = OpenTicket(
        customer.id,
        TicketKind.REFUND,
        "Charged twice",
        Actor.customer(customer.id),
        invoice_id=invoice.id,
        details={"reason": "duplicate", "to": "account_credit"},
    )

    ticket = await tx.run(ticketing.open_ticket, cmd)
    money_back = OpenTicket(**{**vars_of(cmd), "details": {"to": "refund"}})
    joined = await tx.run(ticketing.open_ticket, money_back)

    assert ticket.details == {"reason": "duplicate", "to": "account_credit"}
    assert (ticket.amount_minor, ticket.currency) == (2000, "EUR")
    assert (joined.id, joined.joined) == (ticket.id, True)
    assert joined.details == {"reason": "duplicate", "to": "refund"}


async def test_t4_live_tickets_are_the_ones_not_yet_closed(tx: Transactor) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, "VPS")
    ticket = await tx.run(ticketing.open_ticket, cancel_service(customer.id, vps.id))
    actor = Actor.customer(customer.id)

    live = await tx.read(ticketing.live_tickets_of_customer, customer.id, actor)
    stranger = Actor.customer(customer.id + 1000)

    assert [t.id for t in live] == [ticket.id]
    with pytest.raises(ticketing.errors.NotYourTicket):
        await tx.read(ticketing.live_tickets_of_customer, customer.id, stranger)


async def test_b6_a_later_refund_request_is_worth_what_is_left_after_earlier_refunds(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await pay(tx, await make_invoice(tx, customer, line(5000)), 6000)
    actor = Actor.customer(customer.id)
    first = await tx.run(
        ticketing.open_ticket,
        OpenTicket(customer.id, TicketKind.REFUND, "Part", actor, invoice_id=invoice.id),
    )
    agent = await make_agent(tx)
    await claimed(tx, agent, first)
    partly = ResolveRefund(first.id, Remainder.REFUND, agent, amount_minor=2000)
    await tx.run(ticketing.resolve_refund, partly)

    second = await tx.run(
        ticketing.open_ticket,
        OpenTicket(customer.id, TicketKind.REFUND, "The rest", actor, invoice_id=invoice.id),
    )

    assert second.id != first.id and not second.joined  # the first one is resolved
    assert (first.amount_minor, second.amount_minor) == (6000, 4000)
