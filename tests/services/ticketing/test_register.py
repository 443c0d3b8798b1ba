"""The credit-note register (admins): origin, agent and approver of every credit note, its
filters, keyset pages, totals per currency and per week or month, and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

import billing
from billing.commands import ApproveCreditNote, IssueCreditNote, Remainder
from billing.models import CreditNoteStatus
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import (
    line,
    make_admin,
    make_agent,
    make_customer,
    make_invoice,
    pay,
)
from tests.services.ticketing.register_data import build_register
from ticketing.errors import AdminOnly
from ticketing.register import Origin, RegisterFilter, register_page, register_rows
from ticketing.register_csv import register_csv
from ticketing.register_totals import Granularity, register_totals


async def test_every_credit_note_says_where_it_came_from_who_made_and_who_approved_it(
    tx: Transactor, clock: FrozenClock
) -> None:
    reg = await build_register(tx, clock)

    page = await tx.read(register_page, reg.admin, RegisterFilter())

    by_id = {r.id: r for r in page.rows}
    newest_first = sorted(page.rows, key=lambda r: (r.at, r.number or ""), reverse=True)
    assert [r.id for r in page.rows] == [r.id for r in newest_first]
    assert by_id[reg.self_service].origin == Origin.SELF_SERVICE
    assert by_id[reg.api].origin == Origin.API
    issued, approved = by_id[reg.ticket_issued], by_id[reg.ticket_approved]
    assert (issued.origin, issued.ticket_id) == (Origin.TICKET, reg.refund_ticket)
    assert issued.agent_name == reg.agent.name and issued.approver_name is None
    assert (approved.ticket_id, approved.status) == (reg.approved_ticket, "issued")
    assert (approved.agent_name, approved.approver_name) == (reg.agent.name, reg.admin.name)
    ended = by_id[reg.termination]
    assert (ended.origin, ended.ticket_id) == (Origin.SERVICE_TERMINATION, reg.termination_ticket)
    assert ended.agent_name == reg.agent.name
    assert by_id[reg.api].agent_id is None and by_id[reg.api].customer_name == "=HYPERLINK(1)"


async def test_the_register_filters_by_origin_agent_status_currency_and_period(
    tx: Transactor, clock: FrozenClock
) -> None:
    reg = await build_register(tx, clock)

    async def ids(**f: object) -> set[int]:
        page = await tx.read(register_page, reg.admin, RegisterFilter(**f))  # type: ignore[arg-type]
        return {r.id for r in page.rows}

    assert await ids(origin=Origin.TICKET) == {reg.ticket_issued, reg.ticket_approved}
    assert await ids(origin=Origin.SERVICE_TERMINATION) == {reg.termination}
    assert await ids(origin=Origin.API) == {reg.api, reg.usd}
    assert await ids(agent_id=int(reg.agent.id)) == {
        reg.ticket_issued,
        reg.ticket_approved,
        reg.termination,
    }
    assert await ids(agent_id=int(reg.admin.id)) == set()
    assert await ids(currency="usd") == {reg.usd}
    assert await ids(status=CreditNoteStatus.PENDING_APPROVAL) == set()
    assert await ids(start=date(2026, 1, 12)) == {reg.usd}
    assert await ids(end=date(2026, 1, 11), currency="USD") == set()
    assert len(await ids(start=date(2026, 1, 5), end=date(2026, 1, 5))) == 5


async def test_the_register_pages_by_keyset_without_losing_or_repeating_a_row(
    tx: Transactor, clock: FrozenClock
) -> None:
    reg = await build_register(tx, clock)
    seen: list[int] = []
    before = None
    while True:
        page = await tx.read(register_page, reg.admin, RegisterFilter(), before=before, limit=2)
        seen.extend(r.id for r in page.rows)
        if page.next_before is None:
            break
        before = page.next_before

    everything = await tx.read(register_rows, reg.admin, RegisterFilter())
    assert seen == [r.id for r in everything] and len(seen) == 6


async def test_only_an_admin_reads_the_register(tx: Transactor, clock: FrozenClock) -> None:
    reg = await build_register(tx, clock)

    with pytest.raises(AdminOnly):
        await tx.read(register_page, reg.agent, RegisterFilter())
    with pytest.raises(AdminOnly):
        await tx.read(register_totals, reg.agent, RegisterFilter())


async def test_totals_are_per_currency_and_per_iso_week(
    tx: Transactor, clock: FrozenClock
) -> None:
    reg = await build_register(tx, clock)

    totals = await tx.read(register_totals, reg.admin, RegisterFilter())

    eur = next(c for c in totals.currencies if c.currency == "EUR")
    usd = next(c for c in totals.currencies if c.currency == "USD")
    assert (eur.issued_count, usd.issued_count, usd.issued_minor) == (5, 1, 500)
    assert eur.issued_minor == 1200 + 1200 + 60_000 + 3600 + 500
    weeks = {(b.start, b.currency): b.total_minor for b in totals.buckets}
    assert weeks == {
        (date(2026, 1, 5), "EUR"): eur.issued_minor,
        (date(2026, 1, 5), "USD"): 0,
        (date(2026, 1, 12), "EUR"): 0,
        (date(2026, 1, 12), "USD"): 500,
    }
    months = await tx.read(register_totals, reg.admin, RegisterFilter(), Granularity.MONTH)
    assert [(b.start, b.total_minor) for b in months.buckets if b.currency == "USD"] == [
        (date(2026, 1, 1), 500)
    ]


async def test_the_csv_holds_the_filtered_rows_exactly_and_no_formula(
    tx: Transactor, clock: FrozenClock
) -> None:
    reg = await build_register(tx, clock)
    rows = await tx.read(register_rows, reg.admin, RegisterFilter(origin=Origin.API))

    text = register_csv(rows)

    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert table[0][:3] == ["number", "status", "date"]
    body = {r[0]: r for r in table[1:]}
    assert len(body) == 2
    eur = next(r for r in table[1:] if r[11] == "EUR")
    assert (eur[3], eur[10], eur[14]) == ("'=HYPERLINK(1)", "'-goodwill", "5.00")
    assert eur[2] == "2026-01-05" and eur[6] == "api"


async def test_a_note_approved_later_is_listed_above_one_issued_while_it_waited(
    tx: Transactor, clock: FrozenClock
) -> None:
    """The admin reads the register newest first: a note requested first but approved after
    another was issued has the later number and the later date, so it comes first (it came
    second, by id, and the label said "most recently requested first")."""
    agent, admin = await make_agent(tx), await make_admin(tx)
    big = await pay(tx, await make_invoice(tx, await make_customer(tx), line(100000)))
    small = await pay(tx, await make_invoice(tx, await make_customer(tx), line(1000)))

    def refund(invoice_id: int) -> IssueCreditNote:
        return IssueCreditNote(invoice_id, "goodwill", agent, remainder=Remainder.REFUND)

    waiting = await tx.run(billing.issue_credit_note, refund(big.id))
    clock.advance(minutes=5)
    issued = await tx.run(billing.issue_credit_note, refund(small.id))
    clock.advance(minutes=5)
    approved = await tx.run(billing.approve_credit_note, ApproveCreditNote(waiting.id, admin))
    assert waiting.id < issued.id and approved.number and issued.number
    assert approved.number > issued.number

    page = await tx.read(register_page, admin, RegisterFilter())

    assert [r.number for r in page.rows] == [approved.number, issued.number]
    first = await tx.read(register_page, admin, RegisterFilter(), limit=1)
    second = await tx.read(register_page, admin, RegisterFilter(), before=first.next_before)
    assert [r.id for r in first.rows + second.rows] == [approved.id, issued.id]


async def test_notes_of_one_instant_are_listed_by_number_the_later_first(
    tx: Transactor, clock: FrozenClock
) -> None:
    admin = await make_admin(tx)
    notes = []
    for _ in range(3):
        paid = await pay(tx, await make_invoice(tx, await make_customer(tx), line(1000)))
        cmd = IssueCreditNote(paid.id, "goodwill", admin, remainder=Remainder.REFUND)
        notes.append(await tx.run(billing.issue_credit_note, cmd))

    rows: list[str | None] = []
    before = None
    for _ in range(3):
        page = await tx.read(register_page, admin, RegisterFilter(), before=before, limit=1)
        rows.extend(r.number for r in page.rows)
        before = page.next_before

    assert rows == [n.number for n in reversed(notes)] and before is None
