"""Saved replies in the ticket's composer, without scripts: "Insert" re-opens the page by GET
and the draft comes back with the reply appended, variables filled, in the customer's language."""

from __future__ import annotations

from urllib.parse import urlencode

from support_desk.core.tx import Transactor
from tests.console.conftest import Browser, Person, signed_in
from tests.services.ticketing.builders import claimed, paid_invoice_ticket
from ticketing.saved_replies import SaveReply, save_reply


async def test_an_agent_inserts_a_saved_reply_into_the_draft_without_scripts(
    tx: Transactor, new_browser: Browser, agent: Person, admin: Person
) -> None:
    _, ticket = await paid_invoice_ticket(tx)
    await claimed(tx, agent.actor, ticket)
    body = "Dear {customer_name}, ticket #{ticket_id} is with me, {agent_name}."
    await tx.run(save_reply, SaveReply("hello", "Greeting", body, "", admin.actor))
    client = await signed_in(new_browser, agent)
    page = f"/console/tickets/{ticket.id}"

    plain = await (await client.get(page)).text()
    query = {"text": "<b>My draft</b>", "saved": "hello", "insert": "1", "into": "reply"}
    inserted = await (await client.get(f"{page}?{urlencode(query)}")).text()
    into_note = await (await client.get(f"{page}?{urlencode({**query, 'into': 'note'})}")).text()

    assert '<option value="hello">/hello · Greeting (RU missing)</option>' in plain
    assert 'formmethod="get"' in plain and "<script" not in plain.split("<main", 1)[1]
    reply_box = inserted.split('id="reply"', 1)[1].split("</textarea>", 1)[0]
    # the draft comes back escaped, as text, with the reply after it
    assert reply_box.split(">", 1)[1].startswith("&lt;b&gt;My draft&lt;/b&gt;\n\nDear Customer")
    assert f"ticket #{ticket.id} is with me, {agent.actor.name}." in reply_box
    note_box = into_note.split('id="note"', 1)[1].split("</textarea>", 1)[0]
    assert (
        "Dear Customer" in note_box
        and "Dear Customer" not in into_note.split('id="reply"', 1)[1].split("</textarea>", 1)[0]
    )
