"""T5, T6, T7, B6, B7, B11, M13: resolutions run billing in the same unit of work."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import billing
import ticketing
from billing.commands import Remainder
from billing.errors import BillingError
from billing.models import CreditNote
from support_desk.core.actors import Actor
from support_desk.core.tx import Transactor, UnitOfWork
from tests.services.ticketing.builders import (
    audit_actions,
    claimed,
    line,
    make_admin,
    make_agent,
    make_customer,
    make_invoice,
    make_service,
    open_about,
    outbox,
    paid_invoice_ticket,
)
from ticketing.commands import (
    ApproveResolution,
    RejectResolution,
    RejectTicket,
    ReleaseTicket,
    ResolveCompoundSplit,
    ResolveQuestion,
    ResolveRefund,
    ResolveServiceCancellation,
)
from ticketing.errors import (
    AdminOnly,
    AwaitingApproval,
    NotTicketHolder,
    ReasonRequired,
    SelfApproval,
    WrongResolution,
)
from ticketing.models import TicketKind, TicketStatus


async def credit_notes(tx: Transactor) -> int:
    async def count(uow: UnitOfWork) -> int:
        return int(await uow.session.scalar(select(func.count()).select_from(CreditNote)) or 0)

    return await tx.read(count)


async def test_t5_b6_a_refund_resolution_issues_money_back_and_resolves_the_ticket(
    tx: Transactor,
) -> None:
    agent = await make_agent(tx)
    invoice, ticket = await paid_invoice_ticket(tx, line(5000))
    await claimed(tx, agent, ticket)

    done = await tx.run(
        ticketing.resolve_refund, ResolveRefund(ticket.id, Remainder.REFUND, agent)
    )

    assert done.credit_note is not None
    assert (done.credit_note.status, done.credit_note.refund_minor) == ("issued", 6000)
    assert (done.ticket.status, done.ticket.credit_note_id) == ("resolved", done.credit_note.id)
    assert done.ticket.resolution == {
        "action": "refund",
        "to": "refund",
        "credit_note_id": done.credit_note.id,
    }
    kinds = [k for k, _ in await outbox(tx, invoice.customer_id)]
    assert kinds[-2:] == ["ticket_resolved", "rating_request"]
    assert (await audit_actions(tx, ticket.id))[-1] == "ticket.resolved"


async def test_t5_b6_a_refund_can_go_to_account_credit(tx: Transactor) -> None:
    agent = await make_agent(tx)
    invoice, ticket = await paid_invoice_ticket(tx, line(5000))
    await claimed(tx, agent, ticket)

    done = await tx.run(
        ticketing.resolve_refund,
        ResolveRefund(ticket.id, Remainder.ACCOUNT_CREDIT, agent, amount_minor=1200),
    )

    assert done.credit_note is not None
    assert (done.credit_note.account_credit_minor, done.credit_note.refund_minor) == (1200, 0)
    assert await tx.read(billing.queries.account_credit_of, invoice.customer_id) == {"EUR": 1200}


async def test_t5_a_failing_billing_step_leaves_the_ticket_as_it_was(tx: Transactor) -> None:
    agent = await make_agent(tx)
    invoice, ticket = await paid_invoice_ticket(tx, line(5000))
    before = await claimed(tx, agent, ticket)
    messages_before = await outbox(tx, invoice.customer_id)
    audit_before = await audit_actions(tx, ticket.id)

    with pytest.raises(BillingError):
        await tx.run(
            ticketing.resolve_refund,
            ResolveRefund(ticket.id, Remainder.REFUND, agent, amount_minor=999_999),
        )

    after = await tx.read(ticketing.ticket_view, ticket.id, agent)
    assert after == before
    assert await credit_notes(tx) == 0
    assert await outbox(tx, invoice.customer_id) == messages_before
    assert await audit_actions(tx, ticket.id) == audit_before


async def test_t3_an_agent_cannot_resolve_a_ticket_they_do_not_hold(tx: Transactor) -> None:
    holder, other = await make_agent(tx), await make_agent(tx)
    _, ticket = await paid_invoice_ticket(tx)
    await claimed(tx, holder, ticket)

    with pytest.raises(NotTicketHolder):
        await tx.run(ticketing.resolve_refund, ResolveRefund(ticket.id, Remainder.REFUND, other))
    assert await credit_notes(tx) == 0


async def test_t5_a_ticket_is_resolved_only_by_its_own_kind_of_action(tx: Transactor) -> None:
    agent = await make_agent(tx)
    _, ticket = await paid_invoice_ticket(tx)
    await claimed(tx, agent, ticket)

    with pytest.raises(WrongResolution):
        await tx.run(ticketing.resolve_question, ResolveQuestion(ticket.id, "Hi", agent))


async def test_t5_b7_a_compound_split_credits_the_dropped_lines(tx: Transactor) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    vps, desk = await make_service(tx, customer, "VPS"), await make_service(tx, customer, "Desk")
    invoice = await make_invoice(tx, customer, line(3000, service=vps), line(2000, service=desk))
    dropped = invoice.lines[1]
    ticket = await open_about(tx, invoice, TicketKind.COMPOUND_SPLIT, line_ids=(dropped.id,))
    await claimed(tx, agent, ticket)

    done = await tx.run(ticketing.resolve_compound_split, ResolveCompoundSplit(ticket.id, agent))

    assert done.credit_note is not None
    assert [ln.invoice_line_id for ln in done.credit_note.lines] == [dropped.id]
    assert done.ticket.status == TicketStatus.RESOLVED
    after = await tx.read(billing.queries.invoice_view, invoice.id)
    assert after.balance_minor == invoice.total_minor - dropped.total_minor


async def test_t5_b7_a_compound_split_can_reinvoice_the_kept_lines(tx: Transactor) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    vps, desk = await make_service(tx, customer, "VPS"), await make_service(tx, customer, "Desk")
    invoice = await make_invoice(tx, customer, line(3000, service=vps), line(2000, service=desk))
    ticket = await open_about(tx, invoice, TicketKind.COMPOUND_SPLIT)
    await claimed(tx, agent, ticket)
    keep = ((invoice.lines[0].id,),)

    done = await tx.run(
        ticketing.resolve_compound_split, ResolveCompoundSplit(ticket.id, agent, keep=keep)
    )

    assert [i.total_minor for i in done.new_invoices] == [invoice.lines[0].total_minor]
    assert done.ticket.resolution is not None
    assert done.ticket.resolution["new_invoice_ids"] == [done.new_invoices[0].id]
    assert (await tx.read(billing.queries.invoice_view, invoice.id)).status == "canceled"


async def test_t5_b5_a_service_cancellation_terminates_the_service(tx: Transactor) -> None:
    customer = await make_customer(tx)
    agent = await make_agent(tx)
    vps = await make_service(tx, customer, "VPS")
    invoice = await make_invoice(tx, customer, line(3000, service=vps))
    ticket = await open_about(tx, invoice, TicketKind.SERVICE_CANCELLATION, service_ids=(vps.id,))
    await claimed(tx, agent, ticket)

    done = await tx.run(
        ticketing.resolve_service_cancellation, ResolveServiceCancellation(ticket.id, agent)
    )

    assert [t.service.status for t in done.terminations] == ["terminated"]
    assert done.ticket.status == TicketStatus.RESOLVED


async def parked(tx: Transactor, agent: Actor) -> tuple[int, int]:
    """A refund above the approval threshold (B11), proposed by `agent`: (ticket id, customer)."""
    invoice, ticket = await paid_invoice_ticket(tx, line(50_000))
    await claimed(tx, agent, ticket)
    done = await tx.run(
        ticketing.resolve_refund, ResolveRefund(ticket.id, Remainder.REFUND, agent)
    )
    assert done.credit_note is not None and done.credit_note.status == "pending_approval"
    return ticket.id, invoice.customer_id


async def test_b11_t5_a_credit_note_above_the_threshold_parks_the_ticket_clock_paused(
    tx: Transactor,
) -> None:
    agent = await make_agent(tx)
    ticket_id, _ = await parked(tx, agent)

    view = await tx.read(ticketing.ticket_view, ticket_id, agent)

    assert (view.status, view.awaiting_approval, view.paused) == ("in_progress", True, True)
    with pytest.raises(AwaitingApproval):
        await tx.run(ticketing.reject_ticket, RejectTicket(ticket_id, "never mind", agent))
    with pytest.raises(AwaitingApproval):  # released, nobody could finish it
        await tx.run(ticketing.release_ticket, ReleaseTicket(ticket_id, agent))


async def test_m13_an_admin_approval_issues_the_credit_note_and_resolves_the_ticket(
    tx: Transactor,
) -> None:
    agent, admin = await make_agent(tx), await make_admin(tx)
    ticket_id, customer_id = await parked(tx, agent)

    with pytest.raises(AdminOnly):
        await tx.run(ticketing.approve_resolution, ApproveResolution(ticket_id, agent))
    done = await tx.run(ticketing.approve_resolution, ApproveResolution(ticket_id, admin))

    assert done.credit_note is not None and done.credit_note.status == "issued"
    assert (done.ticket.status, done.ticket.awaiting_approval) == ("resolved", False)
    assert done.ticket.resolution is not None
    assert done.ticket.resolution["approved_by"] == admin.label
    assert "ticket_resolved" in [k for k, _ in await outbox(tx, customer_id)]


async def test_m13_nobody_approves_their_own_credit_note(tx: Transactor) -> None:
    admin = await make_admin(tx)
    ticket_id, _ = await parked(tx, admin)

    with pytest.raises(SelfApproval):
        await tx.run(ticketing.approve_resolution, ApproveResolution(ticket_id, admin))


async def test_b11_a_rejected_credit_note_sends_the_ticket_back_with_the_admins_note(
    tx: Transactor,
) -> None:
    agent, admin = await make_agent(tx), await make_admin(tx)
    ticket_id, _ = await parked(tx, agent)

    with pytest.raises(ReasonRequired):
        await tx.run(ticketing.reject_resolution, RejectResolution(ticket_id, " ", admin))
    done = await tx.run(
        ticketing.reject_resolution, RejectResolution(ticket_id, "Too generous", admin)
    )

    assert done.credit_note is not None and done.credit_note.status == "rejected"
    view = done.ticket
    assert (view.status, view.awaiting_approval, view.paused) == ("in_progress", False, False)
    assert (view.approval_note, view.credit_note_id) == ("Too generous", None)
    assert (view.messages[-1].kind, view.messages[-1].text) == ("note", "Too generous")
    retry = await tx.run(
        ticketing.resolve_refund,
        ResolveRefund(ticket_id, Remainder.REFUND, agent, amount_minor=5000),
    )
    assert retry.ticket.status == TicketStatus.RESOLVED


async def test_t5_rejecting_a_ticket_needs_a_reason_and_tells_the_customer(
    tx: Transactor,
) -> None:
    agent = await make_agent(tx)
    invoice, ticket = await paid_invoice_ticket(tx)
    await claimed(tx, agent, ticket)

    with pytest.raises(ReasonRequired):
        await tx.run(ticketing.reject_ticket, RejectTicket(ticket.id, "", agent))
    view = await tx.run(ticketing.reject_ticket, RejectTicket(ticket.id, "Outside policy", agent))

    assert (view.status, view.rejection_reason) == ("rejected", "Outside policy")
    assert ("ticket_rejected", {"ticket_id": ticket.id, "reason": "Outside policy"}) in (
        await outbox(tx, invoice.customer_id)
    )


async def test_b13_a_resolution_repeated_with_its_key_issues_one_credit_note(
    tx: Transactor,
) -> None:
    agent = await make_agent(tx)
    _, ticket = await paid_invoice_ticket(tx)
    await claimed(tx, agent, ticket)
    cmd = ResolveRefund(ticket.id, Remainder.REFUND, agent, idempotency_key="resolve-1")

    first = await tx.run(ticketing.resolve_refund, cmd)
    again = await tx.run(ticketing.resolve_refund, cmd)

    assert again == first
    assert await credit_notes(tx) == 1


async def test_b11_b5_a_large_termination_parks_the_ticket_until_an_admin_approves(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    agent, admin = await make_agent(tx), await make_admin(tx)
    vps = await make_service(tx, customer, "VPS")
    invoice = await make_invoice(tx, customer, line(90_000, service=vps))
    ticket = await open_about(tx, invoice, TicketKind.SERVICE_CANCELLATION, service_ids=(vps.id,))
    await claimed(tx, agent, ticket)

    done = await tx.run(
        ticketing.resolve_service_cancellation, ResolveServiceCancellation(ticket.id, agent)
    )

    assert (done.ticket.status, done.ticket.awaiting_approval) == ("in_progress", True)
    assert (await tx.read(billing.queries.invoice_view, invoice.id)).status == "unpaid"
    approved = await tx.run(ticketing.approve_resolution, ApproveResolution(ticket.id, admin))
    assert approved.ticket.status == TicketStatus.RESOLVED
    assert approved.credit_note is not None and approved.credit_note.status == "issued"
    assert (await tx.read(billing.queries.invoice_view, invoice.id)).status == "canceled"


async def test_b11_b7_a_large_split_parks_the_ticket_and_approval_reinvoices(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    agent, admin = await make_agent(tx), await make_admin(tx)
    vps, desk = await make_service(tx, customer, "VPS"), await make_service(tx, customer, "Desk")
    invoice = await make_invoice(tx, customer, line(3000, service=vps), line(90_000, service=desk))
    ticket = await open_about(tx, invoice, TicketKind.COMPOUND_SPLIT)
    await claimed(tx, agent, ticket)
    keep = ((invoice.lines[0].id,),)

    done = await tx.run(
        ticketing.resolve_compound_split, ResolveCompoundSplit(ticket.id, agent, keep=keep)
    )

    assert done.ticket.awaiting_approval
    approved = await tx.run(ticketing.approve_resolution, ApproveResolution(ticket.id, admin))
    assert approved.ticket.status == TicketStatus.RESOLVED
    assert (await tx.read(billing.queries.invoice_view, invoice.id)).status == "canceled"
    new = await tx.read(billing.queries.invoice_view, done.new_invoices[0].id)
    assert (new.status, new.total_minor) == ("unpaid", 3600)
