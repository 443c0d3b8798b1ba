"""/console/credit-notes and its CSV over HTTP: the filters select the same rows on the page
and in the CSV; the CSV cannot run formulas; the chart is drawn on the server; each credit
note's document opens as HTML and PDF."""

from __future__ import annotations

import csv
import io
import re

import pytest

from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.console.conftest import Browser, Person, signed_in
from tests.services.ticketing.register_data import build_register

PAGE = "/console/credit-notes"
FILTERS = [
    "",
    "origin=ticket",
    "origin=api&currency=usd",
    "status=issued&start=2026-01-05&end=2026-01-05",
    "period=this_month",
    "period=last_month",
    "agent={agent}",
    "origin=self_service&by=month&pending=1",
    "origin=nonsense&start=not-a-day",
]


def page_numbers(html: str) -> list[str]:
    body = html.split('class="register"', 1)[1]
    return re.findall(r'<td class="mono">(CN-\d+)</td>', body)


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


async def test_an_agent_gets_neither_the_register_nor_its_csv_nor_a_document(
    new_browser: Browser, agent: Person
) -> None:
    client = await signed_in(new_browser, agent)

    for path in (PAGE, f"{PAGE}.csv", f"{PAGE}/1/document", f"{PAGE}/1/document.pdf"):
        assert (await client.get(path, allow_redirects=False)).status == 403, path


@pytest.mark.parametrize("query", FILTERS)
async def test_the_csv_holds_exactly_the_rows_the_page_shows(
    tx: Transactor, clock: FrozenClock, new_browser: Browser, admin: Person, query: str
) -> None:
    reg = await build_register(tx, clock)
    query = query.format(agent=reg.agent.id)
    client = await signed_in(new_browser, admin)

    page = await client.get(f"{PAGE}?{query}")
    export = await client.get(f"{PAGE}.csv?{query}")

    html = await page.text()
    assert page.status == 200 and export.status == 200
    assert (
        export.content_type == "text/csv" and "attachment" in export.headers["Content-Disposition"]
    )
    rows = csv_rows(await export.text())
    assert [r[0] for r in rows[1:] if r[0]] == page_numbers(html)
    assert f'href="/console/credit-notes.csv?{query}' in html.replace("&amp;", "&") or not query
    assert f"(rows: {len(rows) - 1})" in html


async def test_csv_cells_that_would_run_as_formulas_are_neutralised(
    tx: Transactor, clock: FrozenClock, new_browser: Browser, admin: Person
) -> None:
    await build_register(tx, clock)
    client = await signed_in(new_browser, admin)

    rows = csv_rows(await (await client.get(f"{PAGE}.csv?origin=api&currency=EUR")).text())

    (row,) = rows[1:]
    assert row[3] == "'=HYPERLINK(1)" and row[10] == "'-goodwill" and row[14] == "5.00"
    assert not [c for r in rows for c in r if c[:1] in ("=", "+", "-", "@")]


async def test_the_page_shows_origins_agents_approvers_totals_and_a_server_drawn_chart(
    tx: Transactor, clock: FrozenClock, new_browser: Browser, admin: Person
) -> None:
    reg = await build_register(tx, clock)
    client = await signed_in(new_browser, admin)

    html = await (await client.get(f"{PAGE}?by=week")).text()

    assert f'href="/console/tickets/{reg.approved_ticket}"' in html
    assert reg.agent.name in html and reg.admin.name in html
    assert "Self-service" in html and "Service termination" in html and ">API<" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 2  # EUR, USD
    assert "Issued per week, EUR" in html and "<title>" in html
    assert "<script>" not in html and "=HYPERLINK(1)" in html  # shown, as text
    assert "€665.00" in html  # the issued EUR total: 12 + 12 + 600 + 36 + 5
    russian = await (await client.get(f"{PAGE}?lang=ru")).text()
    assert "Выставлено по неделям, EUR" in russian and "Кредит-ноты" in russian


async def test_each_credit_note_opens_as_its_document(
    tx: Transactor, clock: FrozenClock, new_browser: Browser, admin: Person
) -> None:
    reg = await build_register(tx, clock)
    client = await signed_in(new_browser, admin)

    html = await client.get(f"{PAGE}/{reg.ticket_approved}/document")
    pdf = await client.get(f"{PAGE}/{reg.ticket_approved}/document.pdf")
    missing = await client.get(f"{PAGE}/999999/document")
    forged = await client.get(f"{PAGE}/x/document.pdf")

    assert html.status == 200 and "CN-" in await html.text()
    csp = html.headers["Content-Security-Policy"]
    assert "'sha256-" in csp and "unsafe-inline" not in csp and "script-src" not in csp
    assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")
    assert missing.status == 404 and forged.status == 404
