"""The API docs page, as a person reads it in Chromium: grouped by resource, tables, examples
folded away, no script and nothing refused by the CSP; a fraction of the old 56,000-pixel wall.

`SUPPORT_DESK_SAVE_SCREENSHOTS=1` keeps the screenshot in docs/screenshots/api-docs.png."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from support_desk.wiring import Runtime, build_web_app

pytestmark = pytest.mark.browser
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "api-docs.png"


async def test_the_api_docs_read_as_docs(
    aiohttp_server: Any, tx: Transactor, settings: Settings, page: Page, tmp_path: Path
) -> None:
    server = await aiohttp_server(build_web_app(Runtime(settings, tx.engine, tx)))
    await page.set_viewport_size({"width": 1366, "height": 1100})

    await page.goto(str(server.make_url("/api/docs")))

    groups = await page.locator("section.group > h2").all_inner_texts()
    assert groups[:3] == ["Invoices", "Customers", "Services"] and "Schemas" in groups
    cancel = page.locator("article#invoices_cancel")
    assert "/invoicing/v2/invoices/{id}/cancelation" in await cancel.inner_text()
    assert await cancel.locator("table.fields").count() >= 1  # parameters as a table
    errors = await cancel.locator("table.responses tr.errors").inner_text()
    assert "404" in errors and "422" in errors  # the refusals, on one line
    example = cancel.locator("details.example pre").first
    assert not await example.is_visible()  # folded until asked for
    await cancel.locator("details.example summary").first.click()
    assert await example.is_visible()
    assert await page.locator("script").count() == 0
    height = await page.evaluate("document.documentElement.scrollHeight")
    assert height < 25_000, height  # 14,842 px with 19 operations; it was 56,000

    await page.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "api-docs.png"
    await page.screenshot(path=str(shot))  # a screenful, as a reader sees it
    if os.environ.get("SUPPORT_DESK_SAVE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
