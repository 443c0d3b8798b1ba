"""/console/people over HTTP: add a person (a one-time password shown once), reset a password
and deactivate (both end that person's sessions), never oneself; saved replies managed."""

from __future__ import annotations

import re

import ticketing
from support_desk.core.tx import Transactor
from tests.console.conftest import Browser, Person, post_form, sign_in, signed_in, token_in
from tests.services.ticketing.builders import claimed, paid_invoice_ticket

PAGE = "/console/people"
OTP = re.compile(r'<p class="otp mono"[^>]*>([a-z0-9-]{19})</p>')


async def test_an_admin_adds_a_person_who_signs_in_with_the_password_shown_once(
    new_browser: Browser, admin: Person
) -> None:
    client = await signed_in(new_browser, admin)
    token = token_in(await (await client.get(PAGE)).text())
    form = {"csrf": token, "login": "Nina", "name": "Nina <b>N</b>", "role": "agent"}

    first = await client.post(PAGE, data=form, allow_redirects=False)
    again = await client.post(PAGE, data=form, allow_redirects=False)

    shown = OTP.search(await first.text())
    assert first.status == 200 and shown and "Nina &lt;b&gt;N&lt;/b&gt;" in await first.text()
    assert OTP.search(await again.text()) is None and "already sent" in await again.text()
    assert "no-store" in first.headers.get("Cache-Control", "")
    newcomer = await new_browser()
    assert (await sign_in(newcomer, "nina", shown.group(1))).status == 303
    assert (await newcomer.get("/console/", allow_redirects=False)).status == 200
    listed = await (await client.get(PAGE)).text()
    assert listed.count(">nina<") == 1
    taken = await post_form(
        client, PAGE, {"login": "NINA", "name": "N", "role": "admin"}, page=PAGE
    )
    assert "admin_refused=login_taken" in taken.headers["Location"]


async def test_a_password_reset_ends_the_persons_sessions(
    tx: Transactor, new_browser: Browser, admin: Person, agent: Person
) -> None:
    theirs = await signed_in(new_browser, agent)
    client = await signed_in(new_browser, admin)

    answer = await post_form(client, f"{PAGE}/{agent.id}/password", {}, page=PAGE)

    password = OTP.search(await answer.text())
    assert answer.status == 200 and password
    assert (await theirs.get("/console/", allow_redirects=False)).status == 303
    assert (await sign_in(await new_browser(), agent.login, password.group(1))).status == 303


async def test_deactivation_is_confirmed_ends_sessions_and_frees_held_tickets(
    tx: Transactor, new_browser: Browser, admin: Person, agent: Person
) -> None:
    _, ticket = await paid_invoice_ticket(tx)
    await claimed(tx, agent.actor, ticket)
    theirs = await signed_in(new_browser, agent)
    client = await signed_in(new_browser, admin)
    confirm = f"{PAGE}/{agent.id}/deactivate"

    asked = await (await client.get(confirm)).text()
    unticked = await post_form(client, confirm, {}, page=confirm)
    done = await post_form(client, confirm, {"confirm": "yes"}, page=confirm)

    assert "Tickets they hold go back to the queue: 1" in asked
    assert "admin_refused=not_confirmed" in unticked.headers["Location"]
    assert "admin_done=deactivated" in done.headers["Location"]
    assert (await theirs.get("/console/", allow_redirects=False)).status == 303
    view = await tx.read(ticketing.ticket_view, ticket.id, admin.actor)
    assert (view.status, view.assignee_id) == ("open", None)


async def test_nobody_deactivates_themselves(new_browser: Browser, admin: Person) -> None:
    client = await signed_in(new_browser, admin)
    confirm = f"{PAGE}/{admin.id}/deactivate"

    own = await post_form(client, confirm, {"confirm": "yes"}, page=confirm)

    assert "admin_refused=own_account" in own.headers["Location"]
    assert (await client.get("/console/", allow_redirects=False)).status == 200


async def test_saved_replies_are_added_changed_and_deleted_after_confirmation(
    tx: Transactor, new_browser: Browser, admin: Person, agent: Person
) -> None:
    client = await signed_in(new_browser, admin)
    tab = f"{PAGE}?tab=replies"
    fields = {"shortcode": "/thanks", "title": "Thanks", "body_en": "Thanks!", "body_ru": ""}

    made = await post_form(client, "/console/saved-replies", fields, page=tab)
    page = await (await client.get(tab)).text()
    (reply,) = await tx.read(ticketing.saved_replies.saved_replies, agent.actor)
    edited = {**fields, "body_ru": "Спасибо!"}
    changed = await post_form(client, f"/console/saved-replies/{reply.id}", edited, page=tab)
    unticked = await post_form(client, f"/console/saved-replies/{reply.id}/delete", {}, page=tab)
    deleted = await post_form(
        client, f"/console/saved-replies/{reply.id}/delete", {"confirm": "yes"}, page=tab
    )

    assert "admin_done=reply_saved" in made.headers["Location"]
    assert "/thanks" in page and "RU missing" in page
    assert "admin_done=reply_saved" in changed.headers["Location"]
    assert "admin_refused=not_confirmed" in unticked.headers["Location"]
    assert "admin_done=reply_deleted" in deleted.headers["Location"]
    assert await tx.read(ticketing.saved_replies.saved_replies, agent.actor) == ()
    bad = await post_form(client, "/console/saved-replies", {**fields, "shortcode": "x"}, page=tab)
    assert "admin_refused=invalid_shortcode" in bad.headers["Location"]
