"""An admin approves a pending credit note in the console, in a real browser, against the product
as `support-desk run` serves it; the customer's chat in the Bot API emulator then receives the
message and the PDF. The approvals page and the register (with its chart) are photographed for
docs/screenshots/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.async_api import Browser, Page, expect

import billing
import ticketing
from billing.commands import CreateCustomer, IssueCreditNote, IssueInvoice, NewLine, Remainder
from bot.demo import DEMO_CUSTOMER
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock, SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from tests.browser.conftest import Product
from tests.browser.test_offline_demo import WAIT, press, say
from tests.services.ticketing.builders import PASSWORD, password_hash
from ticketing.commands import ClaimTicket, CreateUser, OpenTicket, ResolveRefund
from ticketing.models import Role, TicketKind

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SYSTEM = Actor.system("tests")


async def _user(tx: Transactor, login: str, name: str, role: Role) -> Actor:
    made = await tx.run(
        ticketing.create_user, CreateUser(login, name, password_hash(), role, SYSTEM)
    )
    return ticketing.actor_of(made)


async def park_a_refund(tx: Transactor, agent: Actor) -> int:
    """Alex's paid coworking invoice (118.80 EUR, above the 100.00 threshold) refunded by an
    agent: the credit note waits for an admin (B11)."""
    alex = await tx.read(billing.queries.customer_by_external_id, DEMO_CUSTOMER)
    page = await tx.read(billing.queries.invoices_page, customer_id=alex.id, statuses=("paid",))
    (paid,) = page.items
    opened = await tx.run(
        ticketing.open_ticket,
        OpenTicket(
            alex.id,
            TicketKind.REFUND,
            "I never used the desk",
            Actor.customer(alex.id),
            None,
            paid.id,
        ),
    )
    await tx.run(ticketing.claim_ticket, ClaimTicket(opened.id, agent))
    await tx.run(ticketing.resolve_refund, ResolveRefund(opened.id, Remainder.REFUND, agent))
    return opened.id


async def earlier_weeks(url: str) -> None:
    """Some weeks of credit notes through the API, so the register's chart has bars."""
    clock = FrozenClock(datetime.now(UTC) - timedelta(weeks=7))
    engine = make_engine(url)
    tx = Transactor(engine, clock, Settings(database_url=url))
    api = Actor.api("erp")
    customer = await tx.run(
        billing.create_customer,
        CreateCustomer(external_id="erp-7", name="Northwind Ltd", actor=SYSTEM),
    )
    for week, amount in enumerate((4200, 9000, 2500, 0, 12000, 6400, 3000)):
        clock.advance(weeks=1)
        if not amount:
            continue
        lines = (NewLine("Hosting", 1, 20_000, tax_rate_bp=2000),)
        invoice = await tx.run(
            billing.issue_invoice, IssueInvoice(customer.id, "EUR", lines, SYSTEM)
        )
        credit = IssueCreditNote(invoice.id, f"Outage, week {week + 1}", api, amount_minor=amount)
        await tx.run(billing.issue_credit_note, credit)
    await engine.dispose()


async def sign_in(page: Page, product: Product, login: str) -> None:
    await page.goto(product.home.rstrip("/") + "/console/login")
    await page.get_by_label("Login").fill(login)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


async def test_an_admin_approves_and_the_customer_receives_the_credit_note(
    product: Product, page: Page, browser: Browser, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    await page.goto(product.chat)
    await say(page, "/start")
    await press(page, "📞 Share my phone number")
    await expect(page.locator("#live")).to_contain_text("Connected to", timeout=WAIT)
    engine = make_engine(url)
    tx = Transactor(engine, SystemClock(), Settings(database_url=url))
    agent = await _user(tx, "anna", "Anna Agent", Role.AGENT)
    await _user(tx, "olga", "Olga Admin", Role.ADMIN)
    ticket_id = await park_a_refund(tx, agent)
    await engine.dispose()
    await earlier_weeks(url)

    context = await browser.new_context(locale="en-GB", viewport={"width": 1360, "height": 900})
    console = await context.new_page()
    await sign_in(console, product, "olga")
    await console.goto(product.home.rstrip("/") + "/console/approvals")
    # the demo company has a pending credit note of its own: this test's is Anna's
    card = console.locator("article.approval").filter(has_text="I never used the desk")
    await expect(card).to_contain_text("Anna Agent")
    await expect(card).to_contain_text(f"#{ticket_id}")
    await expect(card).to_contain_text("I never used the desk")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await console.screenshot(path=str(SHOTS / "console-approvals.png"), full_page=True)
    await card.get_by_role("button", name=re.compile(r"^Approve · ")).click()
    await console.wait_for_load_state()
    await expect(console.get_by_text("Credit note approved and issued")).to_be_visible()

    await expect(page.locator("#live")).to_contain_text("was issued on invoice", timeout=WAIT)
    document = page.get_by_role("link", name=re.compile(r"\.pdf")).last
    await expect(document).to_be_visible(timeout=WAIT)
    pdf = await page.request.get(urljoin(page.url, await document.get_attribute("href") or ""))
    assert pdf.ok and (await pdf.body()).startswith(b"%PDF")

    await console.goto(product.home.rstrip("/") + "/console/credit-notes?by=week")
    await expect(console.locator("svg.chart").first).to_be_visible()
    await console.screenshot(path=str(SHOTS / "console-register.png"), full_page=True)
    await context.close()
