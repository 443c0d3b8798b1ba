"""T1, T2, T4, T7: opening tickets, joining the live one, and who may read them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

import ticketing
from billing.errors import NotYourInvoice
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import (
    audit_actions,
    line,
    make_customer,
    make_invoice,
    make_service,
    open_about,
    open_question,
    outbox,
    paid_invoice_ticket,
    pay,
)
from ticketing.commands import AddCustomerMessage, OpenTicket
from ticketing.errors import InvalidTicketRequest, NotYourTicket, TicketClosed
from ticketing.models import TicketKind, TicketStatus


async def test_t1_a_refund_ticket_carries_customer_invoice_reason_and_amount_at_stake(
    tx: Transactor,
) -> None:
    invoice, ticket = await paid_invoice_ticket(tx, line(5000), line(2500))

    assert (ticket.kind, ticket.status) == ("refund", "open")
    assert (ticket.customer_id, ticket.invoice_id) == (invoice.customer_id, invoice.id)
    assert ticket.reason == "Please help"
    assert (ticket.amount_minor, ticket.currency) == (invoice.paid_minor, "EUR")
    assert [m.kind for m in ticket.messages] == ["customer"]
    assert await audit_actions(tx, ticket.id) == ["ticket.opened"]
    assert ("ticket_opened", {"ticket_id": ticket.id, "ticket_kind": "refund"}) in await outbox(
        tx, invoice.customer_id
    )


async def test_t1_a_split_ticket_states_the_chosen_lines_and_their_creditable_amount(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    vps, desk = await make_service(tx, customer, "VPS"), await make_service(tx, customer, "Desk")
    invoice = await make_invoice(tx, customer, line(5000, service=vps), line(2000, service=desk))
    dropped = invoice.lines[1]

    ticket = await open_about(tx, invoice, TicketKind.COMPOUND_SPLIT, line_ids=(dropped.id,))

    assert ticket.line_ids == (dropped.id,)
    assert ticket.amount_minor == dropped.creditable_minor


async def test_t1_a_second_request_of_the_same_kind_joins_the_open_ticket(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    vps, desk = await make_service(tx, customer, "VPS"), await make_service(tx, customer, "Desk")
    invoice = await make_invoice(tx, customer, line(5000, service=vps), line(2000, service=desk))
    kind = TicketKind.COMPOUND_SPLIT
    first = await open_about(tx, invoice, kind, line_ids=(invoice.lines[0].id,))

    second = await open_about(tx, invoice, kind, reason="Also", line_ids=(invoice.lines[1].id,))

    assert (second.id, second.joined) == (first.id, True)
    assert set(second.line_ids) == {ln.id for ln in invoice.lines}
    assert [m.text for m in second.messages] == ["Please help", "Also"]
    assert await audit_actions(tx, first.id) == ["ticket.opened", "ticket.joined"]


async def test_t1_another_kind_about_the_same_invoice_opens_its_own_ticket(
    tx: Transactor,
) -> None:
    invoice, refund = await paid_invoice_ticket(tx)

    question = await open_about(tx, invoice, TicketKind.QUESTION)

    assert question.id != refund.id


async def test_t1_simultaneous_first_requests_end_in_one_ticket(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await pay(tx, await make_invoice(tx, customer))

    views = await asyncio.gather(
        *(open_about(tx, invoice, reason=f"request {i}") for i in range(8))
    )

    assert len({v.id for v in views}) == 1
    final = await tx.read(ticketing.ticket_view, views[0].id, Actor.customer(customer.id))
    assert len(final.messages) == 8
    assert sum(not v.joined for v in views) == 1


async def test_t1_the_same_request_twice_with_one_key_has_one_effect(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await pay(tx, await make_invoice(tx, customer))

    first = await open_about(tx, invoice, key="tap-1")
    again = await open_about(tx, invoice, key="tap-1")

    assert again == first
    assert len(again.messages) == 1


async def test_t1_a_customer_cannot_open_a_ticket_about_another_customers_invoice(
    tx: Transactor,
) -> None:
    owner, intruder = await make_customer(tx), await make_customer(tx)
    invoice = await make_invoice(tx, owner)

    with pytest.raises((NotYourInvoice, NotYourTicket)):
        await tx.run(
            ticketing.open_ticket,
            OpenTicket(
                intruder.id,
                TicketKind.REFUND,
                "mine",
                Actor.customer(intruder.id),
                invoice_id=invoice.id,
            ),
        )
    with pytest.raises(NotYourTicket):
        await tx.run(
            ticketing.open_ticket,
            OpenTicket(
                owner.id,
                TicketKind.REFUND,
                "x",
                Actor.customer(intruder.id),
                invoice_id=invoice.id,
            ),
        )


async def test_t1_a_refund_needs_an_invoice_and_known_lines(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer)
    me = Actor.customer(customer.id)

    with pytest.raises(InvalidTicketRequest):
        await tx.run(ticketing.open_ticket, OpenTicket(customer.id, TicketKind.REFUND, "x", me))
    with pytest.raises(InvalidTicketRequest):
        await open_about(tx, invoice, line_ids=(999_999,))


async def test_t2_a_refund_is_due_in_four_working_hours_and_the_rest_in_eight(
    tx: Transactor, clock: FrozenClock
) -> None:
    clock._now = datetime(2026, 1, 9, 15, 0, tzinfo=UTC)  # a Friday, 15:00
    invoice, refund = await paid_invoice_ticket(tx)

    question = await open_about(tx, invoice, TicketKind.QUESTION)

    assert refund.first_response_due_at == datetime(2026, 1, 12, 11, 0, tzinfo=UTC)  # Mon 11:00
    assert question.first_response_due_at == datetime(2026, 1, 12, 15, 0, tzinfo=UTC)
    assert refund.due_at == refund.first_response_due_at


async def test_t4_a_customer_message_joins_the_thread_of_their_own_ticket_only(
    tx: Transactor,
) -> None:
    customer, other = await make_customer(tx), await make_customer(tx)
    ticket = await open_question(tx, customer)

    view = await tx.run(
        ticketing.add_customer_message,
        AddCustomerMessage(ticket.id, "More details", Actor.customer(customer.id)),
    )
    with pytest.raises(NotYourTicket):
        await tx.run(
            ticketing.add_customer_message,
            AddCustomerMessage(ticket.id, "Hi", Actor.customer(other.id)),
        )

    assert [m.text for m in view.messages] == ["Hi?", "More details"]
    assert view.status == TicketStatus.OPEN


async def test_roles_a_customer_never_reads_another_customers_ticket(tx: Transactor) -> None:
    customer, other = await make_customer(tx), await make_customer(tx)
    ticket = await open_question(tx, customer)

    with pytest.raises(NotYourTicket):
        await tx.read(ticketing.ticket_view, ticket.id, Actor.customer(other.id))
    with pytest.raises(NotYourTicket):
        await tx.read(ticketing.tickets_of_customer, customer.id, Actor.customer(other.id))
    page = await tx.read(ticketing.tickets_of_customer, customer.id, Actor.customer(customer.id))

    assert [t.id for t in page.items] == [ticket.id]


async def test_t4_a_closed_ticket_takes_no_more_customer_messages(tx: Transactor) -> None:
    from tests.services.ticketing.builders import claimed, make_agent
    from ticketing.commands import RejectTicket

    customer = await make_customer(tx)
    agent = await make_agent(tx)
    ticket = await claimed(tx, agent, await open_question(tx, customer))
    await tx.run(ticketing.reject_ticket, RejectTicket(ticket.id, "Out of scope", agent))

    with pytest.raises(TicketClosed):
        await tx.run(
            ticketing.add_customer_message,
            AddCustomerMessage(ticket.id, "But...", Actor.customer(customer.id)),
        )
