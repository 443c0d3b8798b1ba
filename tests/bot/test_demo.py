"""The offline demo around its chat: the demo customer is made once, through billing; the
demo's Telegram is the emulator (a real token has no chat); `support-desk run` says where the
chat is and serves it."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

import billing
from billing.models import Customer, Invoice
from bot.demo import DEMO_CUSTOMER, DEMO_PHONE, Telegram, offline_telegram, seed_demo
from support_desk import cli
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor, UnitOfWork
from support_desk.migrations import upgrade


async def test_seeding_the_demo_twice_makes_one_customer(tx: Transactor) -> None:
    first = await seed_demo(tx)
    second = await seed_demo(tx)

    async def counts(uow: UnitOfWork) -> tuple[int, int]:
        customers = select(func.count()).where(Customer.external_id == DEMO_CUSTOMER)
        invoices = select(func.count()).select_from(Invoice)
        return int(await uow.session.scalar(customers) or 0), int(
            await uow.session.scalar(invoices) or 0
        )

    assert (first, second) == (True, False)
    assert await tx.read(counts) == (1, 4)
    customer = await tx.read(billing.queries.customer_by_phone, DEMO_PHONE)
    assert customer is not None and customer.external_id == DEMO_CUSTOMER


async def test_the_offline_demo_has_a_chat_and_a_real_token_has_none() -> None:
    async with offline_telegram(Settings(demo_chat_port=0)) as demo:
        assert isinstance(demo, Telegram) and demo.chat_url is not None
        assert demo.settings.telegram_api_url == demo.chat_url.rstrip("/")
        async with aiohttp.ClientSession() as browser, browser.get(demo.chat_url) as page:
            assert page.status == 200 and "Alex" in await page.text()
    async with offline_telegram(Settings(bot_token="1:real")) as real:  # type: ignore[arg-type]
        assert real.chat_url is None and real.settings.telegram_api_url is None


def test_support_desk_run_seeds_the_demo_and_says_where_the_chat_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    settings = Settings(database_url=url, bot_token=None, http_port=0, demo_chat_port=0)
    upgrade(settings.database_url)

    printed = asyncio.run(serve_briefly(settings, capsys))

    assert "offline demo: added the demo company to" in printed
    assert re.search(r"chat with the bot as a customer at http://127\.0\.0\.1:\d+/", printed)


async def serve_briefly(settings: Settings, capsys: pytest.CaptureFixture[str]) -> str:
    """Start `support-desk run`'s server, open the chat it prints, stop it; what it printed."""
    task, printed = asyncio.create_task(cli._serve(settings)), ""
    async with asyncio.timeout(20):
        while (found := re.search(r"customer at (\S+)", printed)) is None:
            await asyncio.sleep(0.05)
            printed += capsys.readouterr().out
    async with aiohttp.ClientSession() as browser, browser.get(found.group(1)) as page:
        assert page.status == 200 and "Alex" in await page.text()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return printed
