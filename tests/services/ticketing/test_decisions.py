"""B11, M13: the approvals page's one decision use case, for notes parked on a ticket and for
pending notes without one."""

from __future__ import annotations

import pytest

import billing
import ticketing
from billing.commands import IssueCreditNote
from billing.errors import CreditNoteNotPending
from support_desk.core.actors import Actor
from support_desk.core.errors import DomainError
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import (
    line,
    make_admin,
    make_agent,
    make_customer,
    make_invoice,
    outbox,
)
from tests.services.ticketing.test_resolution import parked
from ticketing.errors import ReasonRequired
from ticketing.services.decisions import DecideCreditNote, decide_credit_note


async def note_of(tx: Transactor, ticket_id: int, admin: Actor) -> int:
    view = await tx.read(ticketing.ticket_view, ticket_id, admin)
    assert view.credit_note_id is not None
    return view.credit_note_id


async def test_b11_approving_a_parked_note_resolves_its_ticket_once(tx: Transactor) -> None:
    agent, admin = await make_agent(tx), await make_admin(tx)
    ticket_id, customer_id = await parked(tx, agent)
    note_id = await note_of(tx, ticket_id, admin)

    done = await tx.run(decide_credit_note, DecideCreditNote(note_id, True, admin, "", "k1"))
    again = await tx.run(decide_credit_note, DecideCreditNote(note_id, True, admin, "", "k1"))

    assert done == again and (done.credit_note.status, done.ticket_id) == ("issued", ticket_id)
    assert (await tx.read(ticketing.ticket_view, ticket_id, admin)).status == "resolved"
    kinds = [k for k, _ in await outbox(tx, customer_id)]
    assert kinds.count("credit_note_issued") == 1
    with pytest.raises(CreditNoteNotPending):  # a second admin, a fresh form: already decided
        await tx.run(decide_credit_note, DecideCreditNote(note_id, True, await make_admin(tx)))


async def test_b11_rejecting_needs_a_note_and_sends_the_ticket_back(tx: Transactor) -> None:
    agent, admin = await make_agent(tx), await make_admin(tx)
    ticket_id, _ = await parked(tx, agent)
    note_id = await note_of(tx, ticket_id, admin)

    with pytest.raises(ReasonRequired):
        await tx.run(decide_credit_note, DecideCreditNote(note_id, False, admin, "  "))
    done = await tx.run(decide_credit_note, DecideCreditNote(note_id, False, admin, "Too much"))

    assert done.credit_note.status == "rejected"
    view = await tx.read(ticketing.ticket_view, ticket_id, admin)
    assert (view.status, view.awaiting_approval, view.approval_note) == (
        "in_progress",
        False,
        "Too much",
    )


async def test_m13_nobody_decides_their_own_request_with_or_without_a_ticket(
    tx: Transactor,
) -> None:
    admin = await make_admin(tx)
    ticket_id, _ = await parked(tx, admin)
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(50_000))
    loose = await tx.run(billing.issue_credit_note, IssueCreditNote(invoice.id, "goodwill", admin))
    assert loose.status == "pending_approval"

    for note_id in (await note_of(tx, ticket_id, admin), loose.id):
        for approve in (True, False):
            with pytest.raises(DomainError) as refused:
                await tx.run(decide_credit_note, DecideCreditNote(note_id, approve, admin, "n"))
            assert refused.value.code == "own_credit_note"
    other = await make_admin(tx)
    done = await tx.run(decide_credit_note, DecideCreditNote(loose.id, True, other))
    assert (done.credit_note.status, done.ticket_id) == ("issued", None)
