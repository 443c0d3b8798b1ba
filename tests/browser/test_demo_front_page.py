"""The demo's front page in Chromium: the three roles, nothing refused by the CSP.

`SUPPORT_DESK_SAVE_SCREENSHOTS=1` keeps the screenshot in docs/screenshots/demo-front-page.png."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from support_desk.demo.start import enable_demo_roles
from support_desk.wiring import Runtime, build_web_app

pytestmark = pytest.mark.browser
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "demo-front-page.png"


async def test_the_front_page_offers_every_role(
    aiohttp_server: Any, tx: Transactor, settings: Settings, page: Page, tmp_path: Path
) -> None:
    app = build_web_app(Runtime(settings, tx.engine, tx), "http://127.0.0.1:8081/")
    enable_demo_roles(app)
    server = await aiohttp_server(app)
    await page.set_viewport_size({"width": 1100, "height": 900})

    await page.goto(str(server.make_url("/")))

    chat = page.get_by_role("link", name="Chat as a customer")
    assert await chat.get_attribute("href") == "http://127.0.0.1:8081/"
    for name in ("Work the queue as an agent", "Review as an admin"):
        assert await page.get_by_role("button", name=name).is_visible()
    shot = tmp_path / "front.png"
    await page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("SUPPORT_DESK_SAVE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, SCREENSHOT)
