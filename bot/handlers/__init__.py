"""The bot's routers, in the order they are tried (conversation flows join in their own issue)."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import start


def get_routers() -> list[Router]:
    return [start.router]
