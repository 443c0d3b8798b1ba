"""The agents' console in Chromium: an agent signs in, a new refund ticket arrives in the
queue without a reload (server-sent events and the static script), the agent claims it,
previews a credit note above the approval threshold and issues it; the ticket then shows as
awaiting an admin's approval. No script error or CSP refusal on the way (the page fixture).

With SUPPORT_DESK_SCREENSHOTS=1 it also saves docs/screenshots/console-queue.png and
console-ticket.png."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

import billing
from billing.commands import ScheduleTermination
from support_desk.core.clock import FrozenClock
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from support_desk.wiring import Runtime, build_web_app
from tests import backends
from tests.console.conftest import add_person
from tests.services.ticketing.builders import (
    PASSWORD,
    claimed,
    line,
    make_customer,
    make_invoice,
    make_service,
    open_about,
    open_question,
    pay,
)
from ticketing.models import Role, TicketKind

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WAIT = 15_000


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only: the browser walks the pages, which the HTTP tests cover on both."""
    return backends.sqlite_copy(sqlite_template, tmp_path)


async def _seed_queue(tx: Transactor, holder: Any, clock: FrozenClock) -> None:
    """A queue that looks like a working day: tickets of different ages, one overdue, one
    held by a colleague."""
    for unit, name in ((4900, "Hosting"), (12000, "Dedicated server")):
        clock.advance(hours=2, minutes=40)
        invoice = await pay(
            tx, await make_invoice(tx, await make_customer(tx), line(unit, name=name))
        )
        await open_about(tx, invoice, TicketKind.REFUND, reason="Charged after I cancelled")
    customer = await make_customer(tx)
    held = await open_question(tx, customer, "How do I download my invoice as a PDF?")
    await claimed(tx, holder, held)
    clock.advance(hours=2)  # the first refund is now past its first-response time


async def test_an_agent_sees_a_refund_arrive_claims_it_and_sends_a_credit_note_for_approval(
    aiohttp_server: Any, tx: Transactor, settings: Settings, page: Page, clock: FrozenClock
) -> None:
    server = await aiohttp_server(build_web_app(Runtime(settings, tx.engine, tx)))
    base = f"http://{server.host}:{server.port}"
    await add_person(tx, "anna", Role.AGENT)
    await _seed_queue(tx, (await add_person(tx, "boris", Role.AGENT)).actor, clock)

    await page.goto(base + "/console/")
    await page.get_by_label("Login").fill("anna")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    await expect(page.locator("#live")).to_contain_text("Live", timeout=WAIT)
    await page.mouse.move(5, 5)  # off the table: rows never change under the pointer

    customer = await make_customer(tx)
    invoice = await pay(tx, await make_invoice(tx, customer, line(25000, name="Annual plan")))
    ticket = await open_about(
        tx, invoice, TicketKind.REFUND, reason="I was charged twice <b>!</b>"
    )
    row = page.locator(f'tr[data-ticket="{ticket.id}"]')
    await expect(row).to_be_visible(timeout=WAIT)  # no reload: the stream brought it
    await expect(row).to_contain_text("€300.00")
    if os.environ.get("SUPPORT_DESK_SCREENSHOTS") == "1":
        await page.mouse.move(0, 0)
        await page.screenshot(path=str(SHOTS / "console-queue.png"), full_page=True)

    await row.get_by_role("link").click()
    await expect(page.get_by_text("I was charged twice <b>!</b>")).to_be_visible()
    await page.get_by_role("button", name="Claim").click()
    await expect(page.get_by_text("Ticket claimed: it is yours now.")).to_be_visible()
    await page.locator('input[name="to"][value^="refund:"]').first.check()  # B6: a payment
    await page.get_by_role("button", name="Preview").click()
    await expect(page.locator("#preview")).to_contain_text("needs an admin's approval")
    issue = page.get_by_role("button", name=re.compile(r"Issue credit note · €300\.00"))
    if os.environ.get("SUPPORT_DESK_SCREENSHOTS") == "1":
        await page.evaluate("window.scrollTo(0, 0)")  # the sticky bar stays on top
        await page.screenshot(path=str(SHOTS / "console-ticket.png"), full_page=True)
    await issue.click()

    await expect(page.get_by_text("Sent for an admin's approval.")).to_be_visible()
    await expect(page.locator("#awaiting")).to_contain_text("awaits an admin's approval")
    await expect(page.locator(".chip.approval").first).to_be_visible()


async def test_an_agent_keeps_a_service_the_customer_no_longer_wants_stopped(
    aiohttp_server: Any, tx: Transactor, settings: Settings, page: Page
) -> None:
    """B5: a termination set for the period's end is withdrawn from the customer's panel."""
    server = await aiohttp_server(build_web_app(Runtime(settings, tx.engine, tx)))
    base = f"http://{server.host}:{server.port}"
    anna = await add_person(tx, "anna", Role.AGENT)
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, "Hosting S")
    schedule = ScheduleTermination(vps.id, "moving away", anna.actor)
    await tx.run(billing.schedule_termination, schedule)
    ticket = await open_question(tx, customer, "Please keep my hosting after all.")

    await page.goto(base + "/console/")
    await page.get_by_label("Login").fill("anna")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.goto(f"{base}/console/tickets/{ticket.id}")
    await page.get_by_text("Services (1)").click()
    services = page.locator("details", has_text="Services (1)")
    await expect(services).to_contain_text("stops on Feb 4, 2026")
    await services.get_by_role("button", name="Keep it").click()

    await expect(page.get_by_text("its termination is withdrawn")).to_be_visible()
    assert (await tx.read(billing.queries.service_view, vps.id)).terminates_on is None
    await page.get_by_text("Services (1)").click()
    await expect(page.locator("details", has_text="Services (1)")).not_to_contain_text("stops on")
