"""How updates reach the bot: queued for getUpdates, or POSTed to the webhook.

Like Telegram, a webhook gets the secret in `X-Telegram-Bot-Api-Secret-Token`, an update is
re-sent until the bot answers 2xx, and one chat's updates go one at a time, in order, while
different chats are delivered in parallel (up to `max_connections`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.emulator.methods import Params
from bot.emulator.objects import ApiError, bad_request
from bot.emulator.world import World

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(slots=True)
class Webhook:
    url: str
    secret: str | None
    max_connections: int


def chat_key(update: dict[str, Any]) -> int:
    for kind in ("message", "edited_message", "callback_query"):
        if kind in update:
            return int(update[kind]["from"]["id"])
    return 0


class UpdateFeed:
    """Pending updates and their way out; one per emulator."""

    def __init__(self, world: World, retry_delay: float = 0.2) -> None:
        self.world = world
        self.retry_delay = retry_delay
        self.pending: list[dict[str, Any]] = []
        self.webhook: Webhook | None = None
        self.deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status) per attempt
        self.first_posted: dict[int, float] = {}  # update_id -> monotonic time of first POST
        self._arrived = asyncio.Event()
        self._queues: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(40)
        self._http: aiohttp.ClientSession | None = None
        world.on_update = self.put

    def put(self, update: dict[str, Any]) -> None:
        if self.webhook is None:
            self.pending.append(update)
            self._arrived.set()
            return
        key = chat_key(update)
        queue = self._queues.setdefault(key, asyncio.Queue())
        queue.put_nowait(update)
        if key not in self._tasks or self._tasks[key].done():
            self._tasks[key] = asyncio.create_task(self._drain(queue))

    async def get_updates(self, world: World, params: Params) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.integer("offset", 0) or 0
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        limit = params.integer("limit", 100) or 100
        timeout = params.integer("timeout", 0) or 0
        if not self.pending and timeout > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)
        return self.pending[:limit]

    async def set_webhook(self, world: World, params: Params) -> bool:
        url = params.text("url") or ""
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.text("secret_token")
        if secret is not None and not _valid_secret(secret):
            raise bad_request("secret token contains unallowed characters")
        connections = params.integer("max_connections", 40) or 40
        self.webhook = Webhook(url, secret, connections)
        self._slots = asyncio.Semaphore(connections)
        if params.flag("drop_pending_updates"):
            self.pending.clear()
        backlog, self.pending = self.pending, []
        for update in backlog:
            self.put(update)
        return True

    async def delete_webhook(self, world: World, params: Params) -> bool:
        self.webhook = None
        if params.flag("drop_pending_updates"):
            self.pending.clear()
        return True

    async def get_webhook_info(self, world: World, params: Params) -> dict[str, Any]:
        url = self.webhook.url if self.webhook else ""
        waiting = len(self.pending) + sum(q.qsize() for q in self._queues.values())
        return {"url": url, "has_custom_certificate": False, "pending_update_count": waiting}

    async def post(self, update: dict[str, Any], secret: str | None = None) -> int:
        """POST one update to the webhook once (tests use it to re-deliver); the HTTP status."""
        assert self.webhook is not None, "no webhook is set"
        headers = {} if secret is None else {SECRET_HEADER: secret}
        if self._http is None:
            self._http = aiohttp.ClientSession()
        self.first_posted.setdefault(update["update_id"], time.monotonic())
        async with self._http.post(self.webhook.url, json=update, headers=headers) as response:
            await response.read()
            self.deliveries.append((update["update_id"], response.status))
            self.world.changed()
            return response.status

    async def _drain(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        while not queue.empty():
            update = queue.get_nowait()
            delay = self.retry_delay
            while self.webhook is not None:
                if await self._deliver_once(update):
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _deliver_once(self, update: dict[str, Any]) -> bool:
        assert self.webhook is not None
        async with self._slots:
            try:
                status = await self.post(update, self.webhook.secret)
            except (aiohttp.ClientError, OSError) as exc:
                log.info("webhook delivery of %s failed: %s", update["update_id"], exc)
                return False
        return 200 <= status < 300

    async def close(self) -> None:
        self._arrived.set()  # a long poll still held open answers now, so the server can stop
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self._http is not None:
            await self._http.close()


def _valid_secret(secret: str) -> bool:
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    return 1 <= len(secret) <= 256 and set(secret) <= allowed
