"""The offline demo in a real browser, as the README's first command serves it: a person finds
the chat from the front page, links it, cancels an invoice, reads the credit note, undoes it;
bot replies arrive without a reload (the page's script), Enter sends; nothing on the way logs a
script error or a refused resource (the pages' CSP allows no inline code)."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urljoin

import pytest
from playwright.async_api import Page, Route, expect

from tests.browser.conftest import Product

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT = 15_000  # ms: a bot reply goes emulator -> bot -> database -> outbox -> emulator -> page


async def say(page: Page, text: str) -> None:
    """Type into the composer and press Enter, as a person does (the script sends on Enter)."""
    await page.get_by_label("Message").fill(text)
    await page.get_by_label("Message").press("Enter")
    await page.wait_for_load_state()


async def press(page: Page, label: str | re.Pattern[str]) -> None:
    """Press the newest button with this label (the bot's newest message is last)."""
    await page.get_by_role("button", name=label).last.click()
    await page.wait_for_load_state()


async def test_a_customer_cancels_an_invoice_and_undoes_it_in_the_browser(
    product: Product, page: Page
) -> None:
    await page.goto(product.home)
    await page.get_by_role("link", name="Chat with the bot").click()
    await expect(page.get_by_text("No messages yet. Send /start to begin.")).to_be_visible()

    await say(page, "/start")
    await expect(page.locator("#live")).to_contain_text(
        "Hello, Alex! This is Support Desk.", timeout=WAIT
    )
    await press(page, "📞 Share my phone number")
    await expect(page.locator("#live")).to_contain_text("Connected to Alex Morgan.", timeout=WAIT)

    await say(page, "/invoices")
    await expect(page.locator("#live")).to_contain_text(
        "Open ones first, then paid and cancelled.", timeout=WAIT
    )
    await press(page, re.compile(r"^INV-\d+ · .* · Unpaid"))
    await press(page, "Cancel invoice")
    await expect(page.get_by_role("button", name="Yes, cancel it")).to_be_visible(timeout=WAIT)
    await press(page, "Yes, cancel it")
    await expect(page.locator("#live")).to_contain_text("The credit note follows.", timeout=WAIT)
    document = page.get_by_role("link", name=re.compile(r"\.pdf"))
    await expect(document).to_be_visible(timeout=WAIT)

    pdf = await page.request.get(urljoin(page.url, await document.get_attribute("href") or ""))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert (await pdf.body()).startswith(b"%PDF")

    await press(page, "Undo cancellation")
    await expect(page.locator("#live")).to_contain_text("is undone", timeout=WAIT)


async def test_bot_replies_appear_without_a_reload(product: Product, page: Page) -> None:
    """The page's script fetches new messages: a marker set on the loaded page survives until
    the reply is shown, so no navigation brought it."""
    await page.goto(product.chat)
    await say(page, "/start")
    await page.evaluate("window.notReloaded = true")

    await expect(page.locator("#live")).to_contain_text("Hello, Alex!", timeout=WAIT)

    assert await page.evaluate("window.notReloaded === true")


async def test_a_reply_that_lands_before_the_first_poll_is_shown(
    product: Product, page: Page
) -> None:
    """The page's first fetch of its messages can already hold a reply its render did not: that
    reply must be shown then, not when some later message changes the chat again."""
    held: list[str] = []

    async def first_poll_after_a_reply(route: Route) -> None:
        if not held:
            held.append(route.request.url)
            chat = route.request.url.split("/messages")[0]
            await page.request.post(f"{chat}/send", form={"text": "/start"})
            await until_the_part_holds(page, route.request.url, "Hello, Alex!")
        await route.continue_()

    await page.route("**/messages*", first_poll_after_a_reply)
    await page.goto(product.chat)

    await expect(page.locator("#live")).to_contain_text("Hello, Alex!", timeout=WAIT)
    assert held, "the page never polled"


async def until_the_part_holds(page: Page, url: str, text: str) -> None:
    for _ in range(100):
        if text in await (await page.request.get(url)).text():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the bot never said {text!r}")


async def test_the_chat_speaks_russian_and_shift_enter_does_not_send(
    product: Product, page: Page
) -> None:
    await page.goto(product.chat)
    await page.get_by_role("link", name="RU").click()
    composer = page.get_by_role("textbox")
    await composer.fill("/start")
    await composer.press("Shift+Enter")

    assert await composer.input_value() == "/start\n"  # a new line, not a sent message
    await expect(page.get_by_role("button", name="Отправить")).to_be_visible()
    await composer.press("Enter")
    await page.wait_for_load_state()
    await expect(page.locator("#live")).to_contain_text("Здравствуйте", timeout=WAIT)
