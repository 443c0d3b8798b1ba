"""The console's money choices over HTTP (issue 10): a refund against the payment the agent
picks (B6), a service terminated now or at the end of its period (B5), waiting times shown as
"2 d 21 h", and the credit-note register newest first as its caption says."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import billing
import ticketing
from billing.commands import ApproveCreditNote, IssueCreditNote, Remainder
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.console.conftest import Browser, Person, signed_in
from tests.services.ticketing.builders import (
    claimed,
    line,
    make_customer,
    make_invoice,
    make_service,
    open_about,
    outbox,
    pay,
)
from tests.services.ticketing.test_resolution import parked
from ticketing.commands import OpenTicket
from ticketing.models import TicketKind


async def _page(client: Any, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, path
    return await response.text()


def _form_fields(page: str, action: str) -> list[tuple[str, str]]:
    form = re.search(rf'<form method="post" action="[^"]+/{action}">(.*?)</form>', page, re.S)
    assert form is not None, f"no {action} form"
    return re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1))


async def test_the_approvals_page_shows_how_long_a_note_has_waited_in_days_and_hours(
    tx: Transactor, clock: FrozenClock, new_browser: Browser, agent: Person, admin: Person
) -> None:
    await parked(tx, agent.actor)
    clock.advance(minutes=4140)
    client = await signed_in(new_browser, admin)

    english = await _page(client, "/console/approvals")
    russian = await _page(client, "/console/approvals?lang=ru")

    assert "waiting 2 d 21 h" in english and "4140" not in english
    assert "ждёт 2 д 21 ч" in russian


async def test_the_queue_shows_a_tickets_age_the_same_way(
    tx: Transactor, clock: FrozenClock, new_browser: Browser, agent: Person
) -> None:
    invoice = await pay(tx, await make_invoice(tx, await make_customer(tx), line(1000)))
    await open_about(tx, invoice, TicketKind.REFUND)
    clock.advance(hours=3, minutes=5)
    client = await signed_in(new_browser, agent)

    assert "<td>3 h 5 min</td>" in await _page(client, "/console/")
    assert "<td>3 ч 5 мин</td>" in await _page(client, "/console/?lang=ru")


async def test_the_register_lists_the_note_approved_last_first_as_its_caption_says(
    tx: Transactor, clock: FrozenClock, new_browser: Browser, agent: Person, admin: Person
) -> None:
    big = await pay(tx, await make_invoice(tx, await make_customer(tx), line(100000)))
    small = await pay(tx, await make_invoice(tx, await make_customer(tx), line(1000)))
    refund = Remainder.REFUND
    waiting = await tx.run(
        billing.issue_credit_note,
        IssueCreditNote(big.id, "goodwill", agent.actor, remainder=refund),
    )
    clock.advance(minutes=3)
    issued = await tx.run(
        billing.issue_credit_note,
        IssueCreditNote(small.id, "goodwill", agent.actor, remainder=refund),
    )
    clock.advance(minutes=3)
    approved = await tx.run(
        billing.approve_credit_note, ApproveCreditNote(waiting.id, admin.actor)
    )
    client = await signed_in(new_browser, admin)

    html = await _page(client, "/console/credit-notes")

    body = html.split('class="register"', 1)[1]
    assert re.findall(r'<td class="mono">(CN-\d+)</td>', body) == [approved.number, issued.number]
    assert "the most recently issued first" in html


async def _twice_paid_refund_ticket(tx: Transactor, agent: Person) -> tuple[Any, Any, Any, Any]:
    invoice = await make_invoice(tx, await make_customer(tx), line(10000))  # 120.00
    await pay(tx, invoice, 7000)
    await pay(tx, invoice, 5000)
    older, newer = await tx.read(billing.queries.payments_of, invoice.id)
    ticket = await open_about(tx, invoice, TicketKind.REFUND, reason="Refund the first card")
    await claimed(tx, agent.actor, ticket)
    return invoice, ticket, older, newer


async def test_b6_the_refund_form_offers_each_payment_and_refunds_the_chosen_one_once(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    invoice, ticket, older, newer = await _twice_paid_refund_ticket(tx, agent)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"

    form = await _page(client, path)
    assert f'value="refund:{older.id}"' in form and f'value="refund:{newer.id}"' in form
    assert "€70.00 of €70.00 refundable" in form and "€50.00 of €50.00 refundable" in form
    assert 'value="account_credit"' in form and "To account credit (now €0.00)" in form

    preview = await _page(client, f"{path}?preview=refund&to=refund:{older.id}&amount=60")
    shown = preview.split('id="refund-to"', 1)[1].split("</p>", 1)[0]
    assert "€70.00" in shown and "€60.00" in shown and "€50.00" not in shown

    fields = _form_fields(preview, "refund")
    answers = [
        await client.post(f"{path}/refund", data=fields, allow_redirects=False) for _ in range(3)
    ]  # a triple click: the form's token is the key
    assert {a.headers["Location"] for a in answers} == {f"{path}?done=resolved"}
    by_id = {p.id: p for p in await tx.read(billing.queries.payments_of, invoice.id)}
    assert (by_id[older.id].refunded_minor, by_id[newer.id].refunded_minor) == (6000, 0)
    notes = (
        await tx.read(billing.queries.credit_notes_page, customer_id=invoice.customer_id)
    ).items
    assert len(notes) == 1


async def test_b6_a_payment_too_small_or_of_another_invoice_is_refused_politely(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    _, ticket, _, newer = await _twice_paid_refund_ticket(tx, agent)
    other = await pay(tx, await make_invoice(tx, await make_customer(tx), line(1000)))
    (foreign,) = await tx.read(billing.queries.payments_of, other.id)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"

    small = await _page(client, f"{path}?preview=refund&to=refund:{newer.id}&amount=60")
    forged = await _page(client, f"{path}?preview=refund&to=refund:{foreign.id}&amount=10")

    assert "Preview of the credit note" not in small and 'class="flash refused"' in small
    assert "more than can be refunded" in small
    assert "a payment in money of this invoice" in forged
    fields = dict(_form_fields(await _page(client, path), "reject"))
    fields.update(to=f"refund:{foreign.id}", amount_minor="1000")
    sent = await client.post(f"{path}/refund", data=fields, allow_redirects=False)
    assert sent.headers["Location"].endswith("refused=payment_not_refundable")
    notes = (await tx.read(billing.queries.credit_notes_page, customer_id=other.customer_id)).items
    assert notes == ()


async def _cancellation_ticket(tx: Transactor, agent: Person, when: str = "period_end") -> Any:
    customer = await make_customer(tx)
    service = await make_service(tx, customer, name="Hosting S")
    invoice = await make_invoice(tx, customer, line(1000, service=service))
    ticket = await tx.run(
        ticketing.open_ticket,
        OpenTicket(
            customer_id=customer.id,
            kind=TicketKind.SERVICE_CANCELLATION,
            reason=f"Please cancel Hosting S ({when})",
            actor=Actor.customer(customer.id),
            invoice_id=invoice.id,
            service_ids=(service.id,),
            details={"when": when},
        ),
    )
    ticket = await claimed(tx, agent.actor, ticket)
    return customer, service, invoice, ticket


async def test_b5_the_form_offers_now_and_at_period_end_each_with_what_it_cancels(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    _, service, invoice, ticket = await _cancellation_ticket(tx, agent)
    client = await signed_in(new_browser, agent)

    html = await _page(client, f"/console/tickets/{ticket.id}")
    russian = await _page(client, f"/console/tickets/{ticket.id}?lang=ru")

    when = html.split('id="when"', 1)[1].split("</fieldset>", 1)[0]
    assert 'value="now"' in when and 'value="period_end" checked' in when  # as the customer asked
    assert "At period end (Feb 4, 2026) — kept until then" in when
    now = when.split(f'id="now-{service.id}"', 1)[1].split("</p>", 1)[0]
    later = when.split(f'id="later-{service.id}"', 1)[1].split("</p>", 1)[0]
    assert invoice.number in now and "Cancels:" in now
    assert invoice.number in later and "Cancels then, if still unpaid:" in later
    assert "В конце периода" in russian and "работает до тех пор" in russian


async def test_b5_at_period_end_schedules_once_however_often_it_is_sent(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    customer, service, invoice, ticket = await _cancellation_ticket(tx, agent)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    page = await _page(client, path)
    fields = [(k, v) for k, v in _form_fields(page, "terminate") if k != "when"]
    fields = [*fields, ("when", "period_end")]  # the radio the agent ticks

    answers = [
        await client.post(f"{path}/terminate", data=fields, allow_redirects=False)
        for _ in range(3)
    ]

    assert {a.headers["Location"] for a in answers} == {f"{path}?done=scheduled"}
    shown = await tx.read(billing.queries.service_view, service.id)
    assert (shown.status, shown.terminates_on) == ("active", date(2026, 2, 4))
    kinds = [k for k, _ in await outbox(tx, customer.id)]
    assert kinds.count("service_termination_scheduled") == 1
    assert (await tx.read(billing.queries.invoice_view, invoice.id)).status == "unpaid"
    page = await _page(client, f"{path}?done=scheduled")
    assert "Termination scheduled for the period" in page and "stops on Feb 4, 2026" in page


async def test_b5_terminating_now_from_the_same_form_cancels_at_once(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    _, service, invoice, ticket = await _cancellation_ticket(tx, agent, when="now")
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    html = await _page(client, path)
    assert 'value="now" checked' in html
    fields = [(k, v) for k, v in _form_fields(html, "terminate") if k != "when"]
    fields.append(("when", "now"))

    sent = await client.post(f"{path}/terminate", data=fields, allow_redirects=False)

    assert sent.headers["Location"] == f"{path}?done=resolved"
    assert (await tx.read(billing.queries.service_view, service.id)).status == "terminated"
    assert (await tx.read(billing.queries.invoice_view, invoice.id)).status == "canceled"


async def test_b5_without_a_running_period_only_now_is_offered_and_a_forced_choice_is_refused(
    tx: Transactor, clock: FrozenClock, new_browser: Browser, agent: Person
) -> None:
    _, service, _, ticket = await _cancellation_ticket(tx, agent)
    clock.advance(days=31)  # 5 Feb: its first month is over, nothing invoiced since
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    html = await _page(client, path)
    assert 'value="period_end"' not in html and "At period end is not offered" in html
    fields = [(k, v) for k, v in _form_fields(html, "terminate") if k != "when"]
    fields.append(("when", "period_end"))  # forged: the page did not offer it

    sent = await client.post(f"{path}/terminate", data=fields, allow_redirects=False)

    assert sent.headers["Location"].endswith("refused=no_billing_period")
    shown = await tx.read(billing.queries.service_view, service.id)
    assert (shown.status, shown.terminates_on) == ("active", None)


async def test_b5_keep_it_withdraws_a_termination_set_for_the_period_end(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    """The customer changed their mind: from the customer's panel, "Keep it" takes the
    schedule off, once however often it is sent, and the customer is told."""
    customer, service, _, ticket = await _cancellation_ticket(tx, agent)
    client = await signed_in(new_browser, agent)
    path = f"/console/tickets/{ticket.id}"
    page = await _page(client, path)
    fields = [(k, v) for k, v in _form_fields(page, "terminate") if k != "when"]
    await client.post(f"{path}/terminate", data=[*fields, ("when", "period_end")])
    page = await _page(client, path)
    action = f"{path}/services/{service.id}/keep"
    form = page.split(f'action="{action}">', 1)[1].split("</form>", 1)[0]
    token = re.findall(r'name="([^"]+)" value="([^"]*)"', form)

    forged = await client.post(action, data=[], allow_redirects=False)
    answers = [await client.post(action, data=token, allow_redirects=False) for _ in range(2)]

    assert forged.status == 403  # no CSRF token: refused, nothing changed
    assert {a.headers["Location"] for a in answers} == {f"{path}?done=kept"}
    shown = await tx.read(billing.queries.service_view, service.id)
    assert (shown.status, shown.terminates_on) == ("active", None)
    kinds = [k for k, _ in await outbox(tx, customer.id)]
    assert kinds.count("service_kept") == 1
    after = await _page(client, f"{path}?done=kept")
    assert "its termination is withdrawn" in after and "stops on" not in after
    assert "Keep it" not in after
