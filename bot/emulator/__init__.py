"""A Bot API emulator over real HTTP on loopback: what every bot test and the offline demo use.

async with BotApiEmulator(token) as emulator:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.url)))
    ann = emulator.user(1001, "Ann")
    ann.send("/start")
    await ann.wait_for_messages(1)

A person can be any of its users in a browser: `emulator.url + "/"` is the web chat.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bot.emulator.updates import UpdateFeed
from bot.emulator.user import EmulatedUser, new_user
from bot.emulator.world import ChatMessage, Fault, World

__all__ = ["BotApiEmulator", "ChatMessage", "EmulatedUser", "Fault"]


class BotApiEmulator:
    """Owns the world, the update feed and the loopback server."""

    def __init__(self, token: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        from bot.emulator.server import build_app
        from bot.emulator.webchat import WebChat

        self.token = token
        self.world = World(int(token.split(":", 1)[0]), "support_desk_test_bot")
        self.feed = UpdateFeed(self.world)
        self.webchat = WebChat(self.world, host=host)
        self._app = build_app(token, self.world, self.feed, self.webchat)
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self._host}:{port}"

    async def stop(self) -> None:
        await self.feed.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def user(
        self, user_id: int, first_name: str = "User", *, phone: str | None = None, **extra: Any
    ) -> EmulatedUser:
        """A user of the bot (created on first use; the same chat on later calls); `phone` is
        what their "share my phone number" sends from the web chat."""
        if phone is not None:
            self.webchat.phones[user_id] = phone
        if user_id in self.world.users:
            return EmulatedUser(self.world, self.world.users[user_id])
        return new_user(self.world, user_id, first_name, **extra)

    def fail(
        self,
        method: str,
        error_code: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        chat_id: int | None = None,
        description: str = "Internal Server Error",
    ) -> Fault:
        """Answer the next `times` calls of `method` with an error (429 carries retry_after)."""
        fault = Fault(method, error_code, description, retry_after, times, chat_id)
        self.world.faults.append(fault)
        return fault

    def calls(self, method: str, status: int | None = None) -> list[Any]:
        return [
            c
            for c in self.world.calls
            if c.method == method and (status is None or c.status == status)
        ]
