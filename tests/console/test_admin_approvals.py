"""/console/approvals over HTTP (B11, M13): admins only; pending credit notes with ticket,
agent, customer, invoice, preview and reason; approve once however often it is sent; reject
with a note; nobody decides their own, politely."""

from __future__ import annotations

import re

import ticketing
from support_desk.core.tx import Transactor
from tests.console.conftest import Browser, Person, post_form, signed_in, token_in
from tests.services.ticketing.builders import outbox
from tests.services.ticketing.test_resolution import parked
from ticketing.approvals import pending_approvals

PAGE = "/console/approvals"


async def note_id(tx: Transactor, admin: Person) -> int:
    (pending,) = await tx.read(pending_approvals, admin.actor)
    return pending.credit_note.id


async def test_an_agent_is_refused_and_a_visitor_sent_to_sign_in(
    new_browser: Browser, agent: Person
) -> None:
    visitor = await new_browser()
    client = await signed_in(new_browser, agent)

    away = await visitor.get(PAGE, allow_redirects=False)
    refused = await client.get(PAGE, allow_redirects=False)

    assert away.status == 303 and away.headers["Location"].startswith("/console/login")
    assert refused.status == 403


async def test_b11_a_pending_card_shows_what_the_admin_decides_on(
    tx: Transactor, new_browser: Browser, agent: Person, admin: Person
) -> None:
    ticket_id, _ = await parked(tx, agent.actor)
    client = await signed_in(new_browser, admin)

    page = await (await client.get(PAGE)).text()

    assert f'href="/console/tickets/{ticket_id}"' in page
    assert agent.actor.name in page and "Customer " in page and "INV-" in page
    assert "Please help" in page  # the reason and the customer's words
    assert "Approve · €600.00" in page and "disabled" not in page.split("Approve")[1][:80]


async def test_b11_approving_issues_once_and_tells_the_customer(
    tx: Transactor, new_browser: Browser, agent: Person, admin: Person
) -> None:
    ticket_id, customer_id = await parked(tx, agent.actor)
    note = await note_id(tx, admin)
    client = await signed_in(new_browser, admin)
    token = token_in(await (await client.get(PAGE)).text())

    answers = [
        await client.post(f"{PAGE}/{note}/approve", data={"csrf": token}, allow_redirects=False)
        for _ in range(3)
    ]

    assert [a.status for a in answers] == [303, 303, 303]
    assert all("admin_done=approved" in a.headers["Location"] for a in answers)
    view = await tx.read(ticketing.ticket_view, ticket_id, admin.actor)
    assert view.status == "resolved"
    kinds = [k for k, _ in await outbox(tx, customer_id)]
    assert kinds.count("credit_note_issued") == 1
    shown = await (await client.get(answers[0].headers["Location"])).text()
    assert "Credit note approved and issued" in shown and "Nothing waiting." in shown


async def test_b11_rejecting_needs_a_note_and_returns_the_ticket_to_its_agent(
    tx: Transactor, new_browser: Browser, agent: Person, admin: Person
) -> None:
    ticket_id, _ = await parked(tx, agent.actor)
    note = await note_id(tx, admin)
    client = await signed_in(new_browser, admin)

    empty = await post_form(client, f"{PAGE}/{note}/reject", {"note": " "}, page=PAGE)
    done = await post_form(client, f"{PAGE}/{note}/reject", {"note": "Ask for proof"}, page=PAGE)

    assert "admin_refused=reason_required" in empty.headers["Location"]
    assert "admin_done=rejected" in done.headers["Location"]
    view = await tx.read(ticketing.ticket_view, ticket_id, admin.actor)
    assert (view.status, view.assignee_id, view.approval_note) == (
        "in_progress",
        agent.id,
        "Ask for proof",
    )


async def test_m13_an_admin_sees_why_they_cannot_decide_their_own_and_a_forged_post_fails(
    tx: Transactor, new_browser: Browser, admin: Person
) -> None:
    ticket_id, _ = await parked(tx, admin.actor)
    note = await note_id(tx, admin)
    client = await signed_in(new_browser, admin)

    page = await (await client.get(PAGE)).text()
    forged = await post_form(client, f"{PAGE}/{note}/approve", {}, page=PAGE)

    assert "You requested this; another admin must decide." in page
    assert re.search(r"<button class=\"money\" disabled", page)
    assert "admin_refused=own_credit_note" in forged.headers["Location"]
    shown = await (await client.get(forged.headers["Location"])).text()
    assert "another admin must decide it" in shown
    view = await tx.read(ticketing.ticket_view, ticket_id, admin.actor)
    assert view.awaiting_approval


async def test_a_forged_id_changes_nothing_and_says_so(
    new_browser: Browser, admin: Person
) -> None:
    client = await signed_in(new_browser, admin)

    for path in (f"{PAGE}/999999/approve", f"{PAGE}/abc/approve", f"{PAGE}/{2**70}/approve"):
        answer = await post_form(client, path, {}, page=PAGE)
        assert answer.status == 303 and "admin_refused=" in answer.headers["Location"]
