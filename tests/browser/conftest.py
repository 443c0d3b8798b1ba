"""Browser tests: the product started as a user starts it (`support-desk run`, a process of its
own, on a fresh SQLite file), driven by Debian's Chromium through Playwright. They skip when
Chromium is absent, unless SUPPORT_DESK_REQUIRE_BROWSER=1 (CI installs it and sets that)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from tests import backends

CHROMIUM = os.environ.get("SUPPORT_DESK_TEST_CHROMIUM") or shutil.which("chromium")
# As root and on a closed network Chromium needs these (see the machine notes): no sandbox, and
# none of its own calls home, which this network refuses many at a time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class Product:
    """A running `support-desk run`: where its front page and its demo chat are."""

    home: str
    chat: str


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Product]:
    """`support-desk run` with no bot token (the offline demo) on free ports and its own file."""
    env = os.environ | {
        "SUPPORT_DESK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        "SUPPORT_DESK_HTTP_PORT": "0",
        "SUPPORT_DESK_DEMO_CHAT_PORT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SUPPORT_DESK_BOT_TOKEN", None)
    command = [str(Path(sys.executable).with_name("support-desk")), "run"]
    log = tmp_path / "product.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield _started(process, log)
    finally:
        process.terminate()
        process.wait(timeout=15)


def _started(process: subprocess.Popen[bytes], log: Path) -> Product:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        printed = log.read_text()
        home = re.search(r"serving on (http://\S+)", printed)
        chat = re.search(r"as a customer at (http://\S+)", printed)
        if home and chat:
            return Product(home.group(1), chat.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"support-desk run did not start:\n{log.read_text()}")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        message = "Chromium is not installed (Debian: apt-get install chromium)"
        if backends.require("browser"):
            pytest.fail(message + " (SUPPORT_DESK_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh page that fails the test on any script error, refused resource (CSP) or
    failed load, the favicon's included."""
    context = await browser.new_context(locale="en-GB")
    opened = await context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    opened.on("console", on_console)
    yield opened
    await context.close()
    assert not problems, problems
