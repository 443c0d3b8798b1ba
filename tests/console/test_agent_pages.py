"""The agents' pages and actions over HTTP: the queue (T2), the ticket page (T4), claim and
release (T3), reply and note (T4, T8), resolutions with their previews (T5, B5-B7, B11), and
a customer's hostile text rendered as text."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import func, select

import ticketing
from billing.models import CreditNote
from support_desk.core.actors import Actor
from support_desk.core.tx import Transactor, UnitOfWork
from tests.console.conftest import (
    Browser,
    Person,
    add_person,
    post_form,
    sign_in,
    signed_in,
    token_from,
)
from tests.services.ticketing.builders import (
    claimed,
    line,
    make_customer,
    make_invoice,
    make_service,
    open_about,
    open_question,
    outbox,
    pay,
)
from ticketing.commands import AddCustomerMessage, ApproveResolution, RejectResolution
from ticketing.models import Role, TicketKind


async def _refund_ticket(tx: Transactor, unit: int = 5000, reason: str = "Please refund") -> Any:
    invoice = await pay(tx, await make_invoice(tx, await make_customer(tx), line(unit)))
    return invoice, await open_about(tx, invoice, TicketKind.REFUND, reason=reason)


async def _credit_notes(tx: Transactor) -> int:
    async def count(uow: UnitOfWork) -> int:
        return int(await uow.session.scalar(select(func.count()).select_from(CreditNote)) or 0)

    return await tx.read(count)


async def _page(client: Any, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, path
    return await response.text()


def _rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-ticket="(\d+)"', html)]


async def test_the_queue_lists_tickets_with_customer_invoice_and_amount(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    invoice, ticket = await _refund_ticket(tx)
    client = await signed_in(new_browser, agent)
    html = await _page(client, "/console/")

    assert _rows(html) == [ticket.id]
    assert "Customer " in html and str(invoice.number) in html and "€60.00" in html
    assert "Unassigned" in html


async def test_the_queue_filters_and_searches(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    invoice, refund = await _refund_ticket(tx)
    customer = await make_customer(tx)
    question = await open_question(tx, customer, "Where is my invoice?")
    await claimed(tx, agent.actor, question)
    client = await signed_in(new_browser, agent)

    assert _rows(await _page(client, "/console/?kind=refund")) == [refund.id]
    assert _rows(await _page(client, "/console/?view=mine")) == [question.id]
    assert _rows(await _page(client, "/console/?view=unassigned")) == [refund.id]
    assert _rows(await _page(client, f"/console/?q=%23{question.id}")) == [question.id]
    assert _rows(await _page(client, f"/console/?q={customer.external_id}")) == [question.id]
    assert _rows(await _page(client, f"/console/?q={invoice.number}")) == [refund.id]
    assert _rows(await _page(client, "/console/?q=nobody-like-this")) == []
    assert "No ticket matches" in await _page(client, "/console/?q=nobody-like-this")


async def test_overdue_tickets_stand_out_and_filter(
    tx: Transactor, new_browser: Browser, agent: Person, clock: Any
) -> None:
    _, ticket = await _refund_ticket(tx)
    clock.advance(days=3)
    client = await signed_in(new_browser, agent)
    html = await _page(client, "/console/?view=overdue")

    assert _rows(html) == [ticket.id]
    assert 'class="overdue"' in html and "chip overdue" in html


async def test_the_queue_pages_by_keyset(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    customer = await make_customer(tx)
    opened = [(await open_question(tx, customer, f"q{n}")).id for n in range(53)]
    client = await signed_in(new_browser, agent)
    first = await _page(client, "/console/")
    after = re.search(r'rel="next" href="\?([^"]+)"', first)
    assert after is not None
    second = await _page(client, "/console/?" + after.group(1).replace("&amp;", "&"))

    assert _rows(first) + _rows(second) == opened
    assert 'rel="next"' not in second


async def test_the_ticket_page_shows_thread_money_and_history(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    invoice, ticket = await _refund_ticket(tx)
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    html = await _page(client, f"/console/tickets/{ticket.id}")

    assert "Please refund" in html and "claimed the ticket" in html
    assert str(invoice.number) in html and "Payments (1)" in html and "€60.00" in html


async def test_the_ticket_page_counts_all_of_a_customers_invoices_beyond_those_listed(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    """The money panel lists the newest 20 invoices; its heading counts them all (it said 20
    for a customer with 23)."""
    customer = await make_customer(tx)
    invoices = [await make_invoice(tx, customer, line(100 + i)) for i in range(23)]
    ticket = await open_about(tx, invoices[-1], TicketKind.REFUND)
    await open_question(tx, customer)
    client = await signed_in(new_browser, agent)
    html = await _page(client, f"/console/tickets/{ticket.id}")

    assert "Invoices (latest 20 of 23)" in html
    assert "Credit notes (0)" in html and "Earlier tickets (1)" in html
    assert str(invoices[-1].number) in html and str(invoices[0].number) not in html


async def test_hostile_customer_text_renders_as_text(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    hostile = '<script>alert(1)</script> "><img src=x onerror=alert(2)> \x1b[31mred\x1b[0m\nline 2'
    _, ticket = await _refund_ticket(tx, reason=hostile)
    client = await signed_in(new_browser, agent)
    html = await _page(client, f"/console/tickets/{ticket.id}")

    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert "\x1b" not in html or "\x1b[31m" in html.split('class="body">')[1]  # text, not markup


async def test_claim_then_release(tx: Transactor, new_browser: Browser, agent: Person) -> None:
    _, ticket = await _refund_ticket(tx)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    claim = await post_form(client, f"{path}/claim", {})
    assert claim.headers["Location"] == f"{path}?done=claimed"
    assert "Held by Anna" in await _page(client, path)

    token = await token_from(client, path)
    html = await _page(client, path)
    version = re.search(r'name="version" value="(\d+)"', html)
    assert version is not None
    release = await client.post(
        f"{path}/release", data={"csrf": token, "version": version.group(1)}, allow_redirects=False
    )
    assert release.headers["Location"] == f"{path}?done=released"
    assert "Unassigned" in await _page(client, path)


async def test_a_lost_claim_says_who_was_first(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    _, ticket = await _refund_ticket(tx)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    token = await token_from(client, path)
    bob = await add_person(tx, "bob", Role.AGENT)
    await claimed(tx, bob.actor, ticket)
    response = await client.post(f"{path}/claim", data={"csrf": token}, allow_redirects=False)

    assert response.headers["Location"] == f"{path}?refused=ticket_already_claimed"
    assert "Someone else claimed this ticket first." in await _page(
        client, response.headers["Location"]
    )


async def test_reply_goes_to_the_outbox_and_a_note_does_not(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    invoice, ticket = await _refund_ticket(tx)
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    await post_form(client, f"{path}/reply", {"text": "We are on it"})
    await post_form(client, f"{path}/note", {"text": "customer seems upset"})

    sent = [p for kind, p in await outbox(tx, invoice.customer_id) if kind == "ticket_reply"]
    assert [p["text"] for p in sent] == ["We are on it"]
    html = await _page(client, path)
    assert "We are on it" in html and "customer seems upset" in html and "msg note" in html


async def test_a_reply_without_the_claim_is_refused_and_sends_nothing(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    invoice, ticket = await _refund_ticket(tx)
    client = await signed_in(new_browser, agent)
    response = await post_form(client, f"/console/tickets/{ticket.id}/reply", {"text": "hi"})

    assert response.headers["Location"].endswith("refused=not_ticket_holder")
    assert [k for k, _ in await outbox(tx, invoice.customer_id) if k == "ticket_reply"] == []


async def test_refund_preview_then_issue_below_the_threshold(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    invoice, ticket = await _refund_ticket(tx)
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    preview = await _page(client, f"{path}?preview=refund&to=refund&amount=12.50")
    assert "Preview of the credit note" in preview and "Issue credit note · €12.50" in preview
    assert await _credit_notes(tx) == 0  # a preview writes nothing

    issue = await _submit_issue(client, preview, path)
    assert issue.headers["Location"] == f"{path}?done=resolved"
    assert await _credit_notes(tx) == 1
    assert "Ticket resolved." in await _page(client, issue.headers["Location"])


async def _submit_issue(client: Any, page: str, path: str, **headers: str) -> Any:
    form = re.search(r'<form method="post" action="[^"]+/refund">(.*?)</form>', page, re.S)
    assert form is not None
    fields = re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1))
    return await client.post(f"{path}/refund", data=fields, allow_redirects=False, headers=headers)


async def test_above_the_threshold_the_ticket_awaits_approval_and_double_submit_issues_one(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    invoice, ticket = await _refund_ticket(tx, unit=20000)
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    preview = await _page(client, f"{path}?preview=refund&to=refund")
    assert "this credit note needs an admin" in preview

    answers = [await _submit_issue(client, preview, path) for _ in range(3)]  # a triple click
    assert {a.headers["Location"] for a in answers} == {f"{path}?done=awaiting_approval"}
    assert await _credit_notes(tx) == 1
    html = await _page(client, path)
    assert 'id="awaiting"' in html and "€240.00" in html


async def test_the_agent_sees_the_admins_rejection_note(
    tx: Transactor, new_browser: Browser, agent: Person, admin: Person
) -> None:
    _, ticket = await _refund_ticket(tx, unit=20000)
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    await _submit_issue(client, await _page(client, f"{path}?preview=refund&to=refund"), path)
    await tx.run(
        ticketing.reject_resolution, RejectResolution(ticket.id, "Too much: half", admin.actor)
    )

    html = await _page(client, path)
    assert "An admin rejected the credit note" in html and "Too much: half" in html


async def test_a_refund_posted_from_another_origin_issues_nothing(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    _, ticket = await _refund_ticket(tx)
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    preview = await _page(client, f"{path}?preview=refund&to=refund")
    response = await _submit_issue(client, preview, path, Origin="https://evil.example")

    assert response.status == 403 and await _credit_notes(tx) == 0


async def test_a_refund_beyond_what_was_paid_is_refused_in_the_preview(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    _, ticket = await _refund_ticket(tx)
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    html = await _page(client, f"/console/tickets/{ticket.id}?preview=refund&to=refund&amount=999")

    assert "Preview of the credit note" not in html and 'class="flash refused"' in html


async def test_a_compound_split_drops_lines_with_a_credit_note(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(
        tx, customer, line(3000, name="Hosting"), line(2000, name="Backup")
    )
    drop = invoice.lines[1].id
    ticket = await open_about(tx, invoice, TicketKind.COMPOUND_SPLIT, line_ids=(drop,))
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    preview = await _page(client, f"{path}?preview=split&lines={drop}")
    assert "Issue credit note for the dropped lines · €24.00" in preview

    response = await post_form(
        client, f"{path}/split", {"lines": str(drop)}, page=f"{path}?preview=split&lines={drop}"
    )
    assert response.headers["Location"] == f"{path}?done=resolved"


async def test_a_service_cancellation_lists_the_invoices_it_cancels_and_resolves(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    customer = await make_customer(tx)
    service = await make_service(tx, customer)
    invoice = await make_invoice(tx, customer, line(1000, service=service))
    ticket = await open_about(
        tx, invoice, TicketKind.SERVICE_CANCELLATION, service_ids=(service.id,)
    )
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    assert f'Cancels: <span class="mono">{invoice.number}' in await _page(client, path)

    response = await post_form(client, f"{path}/terminate", {"services": str(service.id)})
    assert response.headers["Location"] == f"{path}?done=resolved"


async def test_a_question_is_answered_or_converted_keeping_the_words(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    customer = await make_customer(tx)
    invoice = await pay(tx, await make_invoice(tx, customer))
    first = await open_question(tx, customer, "Why was I charged twice?")
    second = await open_question(tx, customer, "And what about this?")
    for t in (first, second):
        await claimed(tx, agent.actor, t)
    client = await signed_in(new_browser, agent)
    one, two = f"/console/tickets/{first.id}", f"/console/tickets/{second.id}"

    answered = await post_form(client, f"{one}/answer", {"text": "You were not."})
    assert answered.headers["Location"] == f"{one}?done=resolved"
    converted = await post_form(
        client, f"{two}/convert", {"kind": "refund", "invoice_id": str(invoice.id)}
    )
    assert converted.headers["Location"] == f"{two}?done=converted"
    html = await _page(client, two)
    assert f"#{second.id} · Refund" in html and "And what about this?" in html


async def test_reject_with_a_reason_the_customer_receives(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    invoice, ticket = await _refund_ticket(tx)
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    empty = await post_form(client, f"{path}/reject", {"reason": " "})
    assert empty.headers["Location"].endswith("refused=reason_required")
    response = await post_form(client, f"{path}/reject", {"reason": "Outside the refund window"})

    assert response.headers["Location"] == f"{path}?done=rejected"
    told = [p for k, p in await outbox(tx, invoice.customer_id) if k == "ticket_rejected"]
    assert [p["reason"] for p in told] == ["Outside the refund window"]


async def test_forged_ids_and_malformed_forms_change_nothing(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    _, ticket = await _refund_ticket(tx)
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    assert (await client.get("/console/tickets/99999")).status == 404
    assert (await client.get("/console/tickets/abc")).status == 404
    missing = await post_form(client, "/console/tickets/99999/claim", {}, page="/console/")
    assert missing.headers["Location"].endswith("refused=ticket_not_found")
    path = f"/console/tickets/{ticket.id}"
    for fields in (
        {"to": "elsewhere"},
        {"to": "refund", "amount_minor": "-5"},
        {"to": "refund", "lines": "x"},
    ):
        response = await post_form(client, f"{path}/refund", fields)
        assert response.headers["Location"].endswith("refused=bad_form"), fields
    assert await _credit_notes(tx) == 0


async def test_a_new_customer_message_shows_on_reload(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    invoice, ticket = await _refund_ticket(tx)
    client = await signed_in(new_browser, agent)
    cmd = AddCustomerMessage(ticket.id, "Any news?", Actor.customer(invoice.customer_id))
    await tx.run(ticketing.add_customer_message, cmd)

    assert "Any news?" in await _page(client, f"/console/tickets/{ticket.id}")


async def _read_event(response: Any, timeout: float = 10.0) -> str:
    """The stream's text up to the first `changes` event."""
    seen = ""
    async with asyncio.timeout(timeout):
        while "event: changes" not in seen or not seen.endswith("\n\n"):
            seen += (await response.content.readany()).decode()
    return seen


async def test_the_live_stream_announces_a_new_ticket_and_message(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    invoice, ticket = await _refund_ticket(tx)
    client = await signed_in(new_browser, agent)
    html = await _page(client, "/console/")
    since = re.search(r'id="queue" data-since="([0-9.]+)"', html)
    assert since is not None
    stream = await client.get("/console/events", params={"since": since.group(1)})
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    _, second = await _refund_ticket(tx)
    cmd = AddCustomerMessage(ticket.id, "Any news?", Actor.customer(invoice.customer_id))
    await tx.run(ticketing.add_customer_message, cmd)

    seen = await _read_event(stream)
    assert str(second.id) in seen.split("event: changes")[1]
    stream.close()


async def test_the_agent_sees_the_admins_approval(
    tx: Transactor, new_browser: Browser, agent: Person, admin: Person
) -> None:
    _, ticket = await _refund_ticket(tx, unit=20000)
    await claimed(tx, agent.actor, ticket)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    await _submit_issue(client, await _page(client, f"{path}?preview=refund&to=refund"), path)
    await tx.run(ticketing.approve_resolution, ApproveResolution(ticket.id, admin.actor))

    html = await _page(client, path)
    assert "Approved by an admin: credit note CN-" in html and "Resolved" in html


async def test_pages_speak_russian_to_a_russian_agent(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    _, ticket = await _refund_ticket(tx)
    client = await new_browser()
    client.session.headers["Accept-Language"] = "ru-RU,ru;q=0.9"
    await sign_in(client, agent.login)
    queue = await _page(client, "/console/")
    page = await _page(client, f"/console/tickets/{ticket.id}")

    assert '<html lang="ru">' in queue and "Очередь" in queue and "Возврат" in queue
    assert "Взять" in page and "Переписка" in page and "Открыто" in page
