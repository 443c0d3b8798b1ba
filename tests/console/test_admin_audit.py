"""/console/audit over HTTP (T6): admins search by actor, object, action and period; the page
has no form that changes anything and nothing is served to a POST."""

from __future__ import annotations

from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.console.conftest import Browser, Person, signed_in
from tests.services.ticketing.register_data import build_register

PAGE = "/console/audit"


async def test_t6_the_log_is_searched_and_read_only(
    tx: Transactor, clock: FrozenClock, new_browser: Browser, admin: Person, agent: Person
) -> None:
    reg = await build_register(tx, clock)
    client = await signed_in(new_browser, admin)

    everything = await (await client.get(PAGE)).text()
    notes = await (await client.get(f"{PAGE}?object=credit_note:{reg.ticket_approved}")).text()
    by_agent = await (await client.get(f"{PAGE}?actor=agent:{reg.agent.id}&action=ticket.")).text()
    none = await (await client.get(f"{PAGE}?end=2026-01-01")).text()
    posted = await client.post(PAGE, data={}, allow_redirects=False)

    assert "credit_note.issued" in everything and 'method="post"' not in everything.split(
        "<main", 1
    )[1].replace('action="/console/logout"', "").replace('action="/console/language"', "")
    assert notes.count('<td class="mono"><a href="/console/audit?action=') == 2
    assert "credit_note.requested" in notes and "ticket.resolved" not in notes
    assert reg.agent.name in by_agent and "credit_note.issued" not in by_agent
    assert "Nothing in the log matches these filters." in none
    assert posted.status in (404, 405)
    refused = await (await signed_in(new_browser, agent)).get(PAGE, allow_redirects=False)
    assert refused.status == 403
