"""B7, B5, T1 end to end through the Bot API emulator, both backends: a compound invoice's
change (services first, then ticked lines) ends in one `compound_split` ticket with those
lines, resolved by crediting them or by re-invoicing the kept ones; a service's cancellation
names the invoices it will cancel, ends in a `service_cancellation` ticket, and resolving it
terminates the service and cancels them. The chat shows each outcome."""

from __future__ import annotations

from dataclasses import replace

from aiogram import Bot

import billing
import ticketing
from billing.commands import TerminateService
from bot.emulator import BotApiEmulator
from bot.handlers import split
from bot.handlers.replies import Speech
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from tests.bot.conftest import linked_user
from tests.bot.customer_bot import count, customer_bot, shown
from tests.bot.requests_helpers import delivered, labels, last, press, taken, tickets_of
from tests.factories import STAFF, line, make_customer, make_invoice
from tests.services.ticketing.builders import make_service
from ticketing.commands import ResolveCompoundSplit, ResolveServiceCancellation
from ticketing.models import Ticket

CHANGE, ONLY = "Change services on this invoice", "No, change only this invoice"


async def test_b7_ticked_lines_become_one_split_ticket_credited_by_the_agent(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    vps, ip = await make_service(tx, customer, "VPS"), await make_service(tx, customer, "IP")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await make_invoice(
            tx,
            customer,
            line(4000, service=vps, name="Hosting S"),
            line(500, service=ip, name="IP"),
        )
        invoice = await delivered(tx, stack, invoice)
        await press(stack, ann, CHANGE)
        first_step = labels(last(ann))
        await press(stack, ann, ONLY)
        flow = last(ann)
        untouched = labels(flow)
        tap = ann.press("IP · €6.00", flow)
        await stack.settle(tap, ann.press("IP · €6.00", flow))  # a double tap: still ticked
        ticked = labels(flow)
        await press(stack, ann, "Done (1)")
        confirmation = flow.text or ""
        await press(stack, ann, "Send request")
        sent = flow.text or ""
        (ticket,) = await tickets_of(tx, customer)
        agent, ticket = await taken(tx, ticket)
        await tx.run(ticketing.resolve_compound_split, ResolveCompoundSplit(ticket.id, agent))
        await stack.delivery.drain()

    assert first_step == ["Cancel VPS", "Cancel IP", ONLY, "Stop"]
    assert untouched == ["Hosting S · €48.00", "IP · €6.00", "Stop"]
    assert ticked == ["Hosting S · €48.00", "✓ IP · €6.00", "Done (1)", "Stop"]
    assert "IP" in confirmation and "€6.00" in confirmation
    assert (ticket.kind, ticket.invoice_id, ticket.line_ids) == (
        "compound_split",
        invoice.id,
        (invoice.lines[1].id,),
    )
    assert ticket.amount_minor == invoice.lines[1].creditable_minor
    assert f"#{ticket.id}" in sent
    after = await tx.read(billing.queries.invoice_view, invoice.id)
    assert after.credited_minor == 600 and after.balance_minor == 4800
    assert any("€6.00" in t and "Credit note" in t for t in ann.texts())
    assert shown(texts, "bot/ticket_resolved.html", ticket_id=ticket.id) in ann.texts()


async def test_b7_in_russian_the_kept_lines_are_invoiced_anew(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ivan = await linked_user(tx, emulator, customer.id, language="ru")
    vps, ip = await make_service(tx, customer, "VPS"), await make_service(tx, customer, "IP")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await make_invoice(
            tx, customer, line(4000, service=vps, name="VPS"), line(500, service=ip, name="IP")
        )
        await tx.run(billing.terminate_service, TerminateService(ip.id, "done", STAFF))
        invoice = await delivered(tx, stack, invoice)
        await press(stack, ivan, texts.gettext(CHANGE, "ru"))
        await press(stack, ivan, texts.gettext(ONLY, "ru"))
        await press(stack, ivan, "IP · 6,00\xa0€")
        await press(stack, ivan, texts.gettext("Done (%(count)s)", "ru") % {"count": 1})
        await press(stack, ivan, texts.gettext("Send request", "ru"))
        (ticket,) = await tickets_of(tx, customer)
        agent, ticket = await taken(tx, ticket)
        kept = ((invoice.lines[0].id,),)
        resolve = ResolveCompoundSplit(ticket.id, agent, keep=kept)
        result = await tx.run(ticketing.resolve_compound_split, resolve)
        await stack.delivery.drain()

    (new,) = result.new_invoices
    assert new.total_minor == 4800 and new.number is not None
    assert (await tx.read(billing.queries.invoice_view, invoice.id)).status == "canceled"
    assert any(new.number in t and "48,00\xa0€" in t for t in ivan.texts())
    assert shown(texts, "bot/ticket_resolved.html", "ru", ticket_id=ticket.id) in ivan.texts()


async def test_b5_a_service_cancellation_names_what_it_cancels_and_the_agent_terminates_it(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    vps = await make_service(tx, customer, "VPS")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        older = await delivered(
            tx, stack, await make_invoice(tx, customer, line(1000, service=vps))
        )
        invoice = await delivered(
            tx, stack, await make_invoice(tx, customer, line(2000, service=vps))
        )
        before = labels(last(ann))
        await press(stack, ann, "Cancel a service")
        await press(stack, ann, "Cancel VPS")
        flow = last(ann)
        when = flow.text or ""
        choices = labels(flow)
        await press(stack, ann, "Now")
        await press(stack, ann, "Send request")
        sent = flow.text or ""
        (ticket,) = await tickets_of(tx, customer)
        agent, ticket = await taken(tx, ticket)
        await tx.run(
            ticketing.resolve_service_cancellation, ResolveServiceCancellation(ticket.id, agent)
        )
        await stack.delivery.drain()

    assert before == ["Cancel invoice", "Cancel a service", "Talk to a person"]
    assert older.number in when and invoice.number in when
    assert choices == ["At period end (4 Feb) — kept until then", "Now", "Stop"]  # BOT_UX
    assert (ticket.kind, ticket.invoice_id, ticket.service_ids) == (
        "service_cancellation",
        invoice.id,
        (vps.id,),
    )
    assert ticket.details == {"when": "now", "cancels_invoice_ids": [older.id, invoice.id]}
    assert ticket.amount_minor == older.total_minor + invoice.total_minor
    assert ticket.messages[0].text == "Please cancel VPS now."
    assert f"#{ticket.id}" in sent
    assert (await tx.read(billing.queries.service_view, vps.id)).status == "terminated"
    for cancelled in (older, invoice):
        assert (await tx.read(billing.queries.invoice_view, cancelled.id)).status == "canceled"
    assert any("VPS" in t and "terminated" in t for t in ann.texts())
    assert shown(texts, "bot/ticket_resolved.html", ticket_id=ticket.id) in ann.texts()


async def test_b5_from_a_compound_invoice_the_cheaper_route_comes_first(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    vps, ip = await make_service(tx, customer, "VPS"), await make_service(tx, customer, "IP")
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await make_invoice(tx, customer, line(4000, service=vps), line(500, service=ip))
        await delivered(tx, stack, invoice)
        await press(stack, ann, CHANGE)
        await press(stack, ann, "Cancel IP")
        await press(stack, ann, "At period end (4 Feb) — kept until then")
        await press(stack, ann, "Send request")
        await press(stack, ann, CHANGE)
        await press(stack, ann, "Cancel IP")
        await press(stack, ann, "Now")
        flow = last(ann)
        await press(stack, ann, "Send request")
        joined = flow.text or ""

    (ticket,) = await tickets_of(tx, customer)
    assert (ticket.kind, ticket.service_ids, ticket.invoice_id) == (
        "service_cancellation",
        (ip.id,),
        invoice.id,
    )
    assert ticket.details == {"when": "now", "cancels_invoice_ids": []}  # B5: not compound ones
    assert joined == shown(texts, "bot/requests/sent.html", ticket=replace(ticket, joined=True))
    assert await count(tx, Ticket) == 1


async def test_b7_a_long_compound_invoices_lines_are_ticked_page_by_page(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, texts: Texts
) -> None:
    """45 lines: one button a line would pass the 100 buttons a keyboard holds (an invoice may
    have 200); the lines come 20 to a page, and a tick survives paging."""
    customer = await make_customer(tx)
    ann = await linked_user(tx, emulator, customer.id)
    vps, ip = await make_service(tx, customer, "VPS"), await make_service(tx, customer, "IP")
    lines = [line(100, service=(vps, ip)[n % 2], name=f"Line {n:02}") for n in range(1, 46)]
    async with customer_bot(tx, emulator, bot, texts) as stack:
        invoice = await delivered(tx, stack, await make_invoice(tx, customer, *lines))
        await press(stack, ann, CHANGE)
        await press(stack, ann, ONLY)
        flow = last(ann)
        first = labels(flow)
        await press(stack, ann, "›")
        second = labels(last(ann))
        await press(stack, ann, "Line 25 · €1.20")
        ticked = labels(last(ann))
        await press(stack, ann, "›")
        third = labels(last(ann))
        await press(stack, ann, "‹")
        back = labels(last(ann))
        await press(stack, ann, "Done (1)")
        await press(stack, ann, "Send request")
        (ticket,) = await tickets_of(tx, customer)

    assert len(first) == 20 + 3 + 1 and first[:2] == ["Line 01 · €1.20", "Line 02 · €1.20"]
    assert first[20:] == ["‹", "1 / 3", "›", "Stop"]
    assert second[0] == "Line 21 · €1.20" and "2 / 3" in second
    assert "✓ Line 25 · €1.20" in ticked and "Done (1)" in ticked and "2 / 3" in ticked
    assert third[:5] == [f"Line {n} · €1.20" for n in range(41, 46)] and "3 / 3" in third
    assert "✓ Line 25 · €1.20" in back
    assert ticket.line_ids == (invoice.lines[24].id,)

    assert ticket.reason.endswith(": Line 25")


def test_b7_a_split_request_names_ten_ticked_lines_and_counts_the_rest(texts: Texts) -> None:
    """An invoice may have 200 lines: the request's words name ten of those ticked (its
    ticket keeps every line's id, which the console lists), in the customer's language."""
    names = [f"Line {n:03}" for n in range(1, 14)]
    english, russian = Speech(texts, "en"), Speech(texts, "ru")
    assert split.named(names[:10], english) == ", ".join(names[:10])
    assert split.named(names, english) == ", ".join(names[:10]) + " and 3 more"
    assert split.named(names, russian) == ", ".join(names[:10]) + " и ещё 3"
