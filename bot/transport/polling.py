"""Long polling into the inbox: getUpdates, store the batch, and only then confirm its offset.

The batch is stored before the next getUpdates moves the offset past it, so an update is never
confirmed to Telegram before it is in the database. The raw JSON is read directly, not through
aiogram's models, so each update is validated once, by the processor.

Any failure of a round (Telegram, the network, the database storing the batch) is logged and the
round retried after a backoff: the poller is the only way updates arrive, so it must not stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
from aiogram import Bot

from bot.transport.inbox import InboxProcessor

log = logging.getLogger(__name__)


class Poller:
    """One getUpdates loop per bot token (Telegram refuses two at once)."""

    def __init__(
        self,
        bot: Bot,
        processor: InboxProcessor,
        allowed_updates: list[str] | None = None,
        timeout: int = 25,
    ) -> None:
        self.bot, self.processor = bot, processor
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self.offset: int | None = None
        self._http: aiohttp.ClientSession | None = None

    async def run(self, stop: asyncio.Event) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        try:
            await self._loop(stop)
        finally:
            if self._http is not None:
                await self._http.close()

    async def _loop(self, stop: asyncio.Event) -> None:
        backoff = 1.0
        while not stop.is_set():
            try:
                await self.poll_once(stop)
                backoff = 1.0
            except (aiohttp.ClientError, TimeoutError, OSError, PollingError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
            except Exception:  # e.g. the database refused the batch: not confirmed, so re-read
                log.exception("polling round failed; retrying in %.0fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)

    async def poll_once(self, stop: asyncio.Event | None = None) -> int:
        """One getUpdates round; returns how many updates arrived. A `stop` set while Telegram
        holds the long poll ends the round at once: nothing of it was stored or confirmed, so
        the next start reads the same updates again (a shutdown need not wait `timeout`)."""
        fetch = asyncio.ensure_future(self._get_updates())
        if stop is not None:
            stopping = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:  # cancelled (Ctrl-C): leave no long poll behind
                fetch.cancel()
                stopping.cancel()
                raise
            stopping.cancel()
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fetch
                return 0
        updates = await fetch
        if updates:
            await self.processor.accept(updates)
            self.offset = int(updates[-1]["update_id"]) + 1
        return len(updates)

    async def _get_updates(self) -> list[dict[str, Any]]:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        url = self.bot.session.api.api_url(self.bot.token, "getUpdates")
        body: dict[str, Any] = {"timeout": self.timeout}
        if self.offset is not None:
            body["offset"] = self.offset
        if self.allowed_updates is not None:
            body["allowed_updates"] = self.allowed_updates
        timeout = aiohttp.ClientTimeout(total=self.timeout + 15)
        async with self._http.post(url, json=body, timeout=timeout) as response:
            answer = await response.json()
        if not answer.get("ok"):
            raise PollingError(f"{answer.get('error_code')}: {answer.get('description')}")
        return list(answer["result"])


class PollingError(Exception):
    """Telegram answered getUpdates with an error (409 while a webhook is set, 5xx...)."""
