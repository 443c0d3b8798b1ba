"""The whole mission as a newcomer plays it in the offline demo, in one Chromium: the customer
cancels an unpaid invoice, reads the credit note, undoes it and asks for a refund of the paid
one; the agent (one click from the front page) claims the ticket and issues the refund credit
note above the approval threshold; the admin (one click) approves it; the customer gets the
message and the PDF and rates the ticket; the demo is stopped, started again on the same
database, and the chat is still there.

Screenshots of each role go to docs/screenshots/mission-{customer,agent,admin}.png."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Product, _started
from tests.browser.test_offline_demo import WAIT, press, say

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _run(tmp_path: Path, log_name: str) -> tuple[subprocess.Popen[bytes], Product]:
    """`support-desk run` with no bot token on `tmp_path/demo.db` (the same file every time)."""
    env = os.environ | {
        "SUPPORT_DESK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        "SUPPORT_DESK_HTTP_PORT": "0",
        "SUPPORT_DESK_DEMO_CHAT_PORT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SUPPORT_DESK_BOT_TOKEN", None)
    command = [str(Path(sys.executable).with_name("support-desk")), "run"]
    log = tmp_path / log_name
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, _started(process, log)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a person stops the demo (the process saves the chat on its way out)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


async def _customer_cancels_and_undoes(page: Page, product: Product) -> None:
    await page.goto(product.home)
    await page.get_by_role("link", name="Chat as a customer").click()
    await say(page, "/start")
    await press(page, "📞 Share my phone number")
    await expect(page.locator("#live")).to_contain_text("Connected to Alex Morgan.", timeout=WAIT)
    await say(page, "/invoices")
    await press(page, re.compile(r"^INV-\d+ · .* · Unpaid"))
    await press(page, "Cancel invoice")
    await expect(page.get_by_role("button", name="Yes, cancel it")).to_be_visible(timeout=WAIT)
    await press(page, "Yes, cancel it")
    await expect(page.get_by_role("link", name=re.compile(r"\.pdf"))).to_be_visible(timeout=WAIT)
    await press(page, "Undo cancellation")
    await expect(page.locator("#live")).to_contain_text("is undone", timeout=WAIT)


async def _customer_asks_for_a_refund(page: Page) -> int:
    """The paid invoice (€118.80, above the €100.00 threshold): the new ticket's number."""
    await say(page, "/invoices")
    await press(page, re.compile(r"^INV-\d+ · .* · Paid"))
    await press(page, "Request a refund")
    await press(page, "I was charged twice")
    await expect(page.get_by_role("button", name="Skip")).to_be_visible(timeout=WAIT)
    await press(page, "Skip")
    await expect(page.get_by_role("button", name="Back to my payment method")).to_be_visible(
        timeout=WAIT
    )
    await press(page, "Back to my payment method")
    await expect(page.get_by_role("button", name="Send request")).to_be_visible(timeout=WAIT)
    await press(page, "Send request")
    sent = page.locator("#live").get_by_text(re.compile(r"Request sent: ticket #\d+"))
    await expect(sent.last).to_be_visible(timeout=WAIT)
    found = re.search(r"#(\d+)", await sent.last.inner_text())
    assert found is not None
    await page.screenshot(path=str(SHOTS / "mission-customer.png"), full_page=True)
    return int(found.group(1))


async def _agent_issues_the_refund(page: Page, product: Product, ticket: int) -> None:
    await page.goto(product.home)
    await page.get_by_role("button", name="Work the queue as an agent").click()
    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    row = page.locator(f'tr[data-ticket="{ticket}"]')
    await expect(row).to_contain_text("€118.80", timeout=WAIT)
    await row.get_by_role("link").click()
    await page.get_by_role("button", name="Claim").click()
    await expect(page.get_by_text("Ticket claimed: it is yours now.")).to_be_visible()
    await page.locator('input[name="to"][value^="refund:"]').first.check()  # B6: a payment
    await page.get_by_role("button", name="Preview").click()
    await expect(page.locator("#preview")).to_contain_text("needs an admin's approval")
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(SHOTS / "mission-agent.png"), full_page=True)
    await page.get_by_role("button", name=re.compile(r"Issue credit note · €118\.80")).click()
    await expect(page.get_by_text("Sent for an admin's approval.")).to_be_visible()


async def _admin_approves(page: Page, product: Product) -> None:
    await page.goto(product.home)
    await page.get_by_role("button", name="Review as an admin").click()
    approve = page.get_by_role("button", name=re.compile(r"Approve · €118\.80"))
    await expect(approve.first).to_be_visible(timeout=WAIT)
    await page.screenshot(path=str(SHOTS / "mission-admin.png"), full_page=True)
    await approve.first.click()
    await expect(page.get_by_text("Credit note approved and issued")).to_be_visible()


async def test_a_newcomer_plays_customer_agent_and_admin(page: Page, tmp_path: Path) -> None:
    await page.set_viewport_size({"width": 1100, "height": 900})
    process, product = _run(tmp_path, "first.log")
    try:
        await _customer_cancels_and_undoes(page, product)
        ticket = await _customer_asks_for_a_refund(page)
        await _agent_issues_the_refund(page, product, ticket)
        await _admin_approves(page, product)

        await page.goto(product.chat)
        rate = page.locator("#live").get_by_text(f"How did we do on ticket #{ticket}?")
        await expect(rate).to_be_visible(timeout=WAIT)
        await expect(page.get_by_role("link", name=re.compile(r"\.pdf")).last).to_be_visible()
        await press(page, "5")
        await expect(page.locator("#live")).to_contain_text(
            f"You rated ticket #{ticket} 5 out of 5.", timeout=WAIT
        )
        await page.goto("about:blank")  # no poll of the chat while the demo is down
    finally:
        _stop(process)
    assert process.returncode == 130, "Ctrl-C stops the demo cleanly"

    process, product = _run(tmp_path, "second.log")  # the same database file
    try:
        await page.goto(product.chat)
        await expect(page.locator("#live")).to_contain_text(
            f"You rated ticket #{ticket} 5 out of 5."
        )
        await page.goto("about:blank")
    finally:
        _stop(process)
