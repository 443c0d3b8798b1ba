"""Reassigning over HTTP (T3): an admin hands a ticket to another agent from its page; an
agent sees no such form and a POST of theirs is refused by the route table; a double submit
reassigns once; a POST without the form token changes nothing."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from support_desk.core.audit import AuditRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.console.conftest import Browser, Person, add_person, signed_in, token_in
from tests.services.ticketing.builders import (
    claimed,
    line,
    make_customer,
    make_invoice,
    open_about,
)
from ticketing.models import Role, Ticket, TicketKind


async def _held_ticket(tx: Transactor, holder: Person) -> Any:
    invoice = await make_invoice(tx, await make_customer(tx), line(5000))
    ticket = await open_about(tx, invoice, TicketKind.REFUND, reason="Please refund")
    return await claimed(tx, holder.actor, ticket)


async def _state(tx: Transactor, ticket_id: int) -> tuple[int | None, int]:
    """The ticket's holder and how many reassignments the audit log records for it."""

    async def read(uow: UnitOfWork) -> tuple[int | None, int]:
        ticket = await uow.session.get(Ticket, ticket_id)
        assert ticket is not None
        audits = await uow.session.scalar(
            select(func.count())
            .select_from(AuditRow)
            .where(
                AuditRow.action == "ticket.reassigned",
                AuditRow.subject_type == "ticket",
                AuditRow.subject_id == str(ticket_id),
            )
        )
        return ticket.assignee_id, int(audits or 0)

    return await tx.read(read)


async def _form(client: Any, path: str) -> tuple[str, dict[str, str]]:
    response = await client.get(path)
    assert response.status == 200
    html = await response.text()
    version = re.search(r'id="reassign".*?name="version" value="(\d+)"', html, re.S)
    assert version is not None, "no reassign form on the page"
    return html, {"csrf": token_in(html), "version": version.group(1)}


async def test_an_admin_reassigns_and_the_audit_log_says_so(
    tx: Transactor, new_browser: Browser, agent: Person, admin: Person
) -> None:
    ticket = await _held_ticket(tx, agent)
    bob = await add_person(tx, "bob", Role.AGENT)
    client = await signed_in(new_browser, admin)
    path = f"/console/tickets/{ticket.id}"
    html, fields = await _form(client, path)
    assert f'<option value="{bob.id}">Bob</option>' in html
    assert f'<option value="{agent.id}">' not in html  # the holder is not offered

    response = await client.post(
        f"{path}/reassign", data={**fields, "assignee": str(bob.id)}, allow_redirects=False
    )

    assert response.status == 303
    assert response.headers["Location"] == f"{path}?done=reassigned"
    assert await _state(tx, ticket.id) == (bob.id, 1)
    shown = await (await client.get(response.headers["Location"])).text()
    assert "Ticket reassigned." in shown and "Held by Bob" in shown


async def test_an_agent_sees_no_form_and_is_refused(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    ticket = await _held_ticket(tx, agent)
    bob = await add_person(tx, "bob", Role.AGENT)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    html = await (await client.get(path)).text()
    assert 'id="reassign"' not in html

    data = {"csrf": token_in(html), "assignee": str(bob.id)}
    response = await client.post(f"{path}/reassign", data=data, allow_redirects=False)

    assert response.status == 403
    assert await _state(tx, ticket.id) == (agent.id, 0)


async def test_a_double_submit_reassigns_once(
    tx: Transactor, new_browser: Browser, agent: Person, admin: Person
) -> None:
    ticket = await _held_ticket(tx, agent)
    bob = await add_person(tx, "bob", Role.AGENT)
    client = await signed_in(new_browser, admin)
    path = f"/console/tickets/{ticket.id}"
    _, fields = await _form(client, path)
    data = {**fields, "assignee": str(bob.id)}

    first = await client.post(f"{path}/reassign", data=data, allow_redirects=False)
    second = await client.post(f"{path}/reassign", data=data, allow_redirects=False)

    assert first.headers["Location"] == f"{path}?done=reassigned"
    assert second.status == 303 and "refused=" not in second.headers["Location"]
    assert await _state(tx, ticket.id) == (bob.id, 1)


async def test_a_refusal_is_shown_and_changes_nothing(
    tx: Transactor, new_browser: Browser, agent: Person, admin: Person
) -> None:
    ticket = await _held_ticket(tx, agent)
    bob = await add_person(tx, "bob", Role.AGENT)
    client = await signed_in(new_browser, admin)
    path = f"/console/tickets/{ticket.id}"
    _, fields = await _form(client, path)
    stale = {**fields, "version": str(int(fields["version"]) - 1), "assignee": str(bob.id)}

    response = await client.post(f"{path}/reassign", data=stale, allow_redirects=False)

    assert response.headers["Location"] == f"{path}?refused=ticket_changed_meanwhile"
    assert await _state(tx, ticket.id) == (agent.id, 0)


async def test_a_post_without_the_form_token_is_refused(
    tx: Transactor, new_browser: Browser, agent: Person, admin: Person
) -> None:
    ticket = await _held_ticket(tx, agent)
    bob = await add_person(tx, "bob", Role.AGENT)
    client = await signed_in(new_browser, admin)
    path = f"/console/tickets/{ticket.id}"
    _, fields = await _form(client, path)
    data = {"version": fields["version"], "assignee": str(bob.id)}

    response = await client.post(f"{path}/reassign", data=data, allow_redirects=False)

    assert response.status == 403
    assert await _state(tx, ticket.id) == (agent.id, 0)
