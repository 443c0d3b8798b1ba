"""The offline demo's Telegram: with no bot token, the bot talks to our emulator on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import SecretStr

from bot.emulator import BotApiEmulator
from support_desk.core.settings import Settings

DEMO_TOKEN = "100000001:offline-demo-token"


@asynccontextmanager
async def offline_telegram(settings: Settings) -> AsyncIterator[Settings]:
    """Yield settings pointing at an emulator when no token is configured, else as given."""
    if settings.bot_token is not None:
        yield settings
        return
    async with BotApiEmulator(DEMO_TOKEN, host="127.0.0.1") as emulator:
        yield settings.model_copy(
            update={
                "bot_token": SecretStr(DEMO_TOKEN),
                "telegram_api_url": emulator.url,
                "webhook_url": None,
            }
        )
