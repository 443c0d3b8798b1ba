"""Telegram's sending limits, kept on our side (TG11): ~1 message/s per chat, 20/min per group,
~30/s overall. aiogram never retries a 429 itself (TG10), so a 429's retry_after
also holds the chat here until it has passed.

`RateLimiter` keeps the windows in this process. With Redis configured (several processes, each
with a delivery worker), `SharedRateLimiter` keeps them in Redis instead, through the `limits`
library's moving windows, so the limits hold for all the workers of one bot together.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class Limits:
    per_chat_interval: float = 1.0
    group_per_minute: int = 20
    global_per_second: int = 30


class SendingLimiter(Protocol):
    """What the delivery worker needs: wait for a slot, and hold a chat after a 429."""

    async def acquire(self, chat_id: int) -> None: ...

    async def hold(self, chat_id: int, seconds: float) -> None: ...

    async def close(self) -> None: ...


class RateLimiter:
    """Reserves a sending slot for a chat; `acquire` waits until one is free."""

    def __init__(
        self,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits or Limits()
        self._clock = clock
        self._sleep = sleep
        self._chat_next: dict[int, float] = {}
        self._held: dict[int, float] = {}
        self._global: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}

    async def acquire(self, chat_id: int) -> None:
        while (wait := self._wait(chat_id, self._clock())) > 0:
            await self._sleep(wait)
        self._reserve(chat_id, self._clock())

    async def hold(self, chat_id: int, seconds: float) -> None:
        """No message to `chat_id` before `seconds` from now (Telegram's retry_after)."""
        self._held[chat_id] = max(self._held.get(chat_id, 0.0), self._clock() + seconds)

    async def close(self) -> None:
        """Nothing to release: the windows are this object's own."""

    def _wait(self, chat_id: int, now: float) -> float:
        waits = [
            self._chat_next.get(chat_id, 0.0) - now,
            self._held.get(chat_id, 0.0) - now,
            _window_wait(self._global, self.limits.global_per_second, 1.0, now),
        ]
        if chat_id < 0:
            group = self._groups.setdefault(chat_id, deque())
            waits.append(_window_wait(group, self.limits.group_per_minute, 60.0, now))
        return max(waits)

    def _reserve(self, chat_id: int, now: float) -> None:
        self._chat_next[chat_id] = now + self.limits.per_chat_interval
        self._global.append(now)
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)
        if len(self._chat_next) > 10_000:  # forget chats that are free again
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
            self._held = {c: t for c, t in self._held.items() if t > now}


def _window_wait(window: deque[float], size: int, span: float, now: float) -> float:
    """Sliding window: at most `size` sends in any `span` seconds."""
    while window and window[0] <= now - span:
        window.popleft()
    return window[0] + span - now if len(window) >= size else 0.0


class SharedRateLimiter:
    """The same limits for every process of one bot, kept in Redis (`limits`' moving windows;
    a 429's hold is a key that expires with it). A slot is taken window by window, the chat's
    first: a slot taken in one window while another is full only makes that chat wait longer,
    never lets more through."""

    def __init__(self, redis_url: str, bot_id: int, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        storage = RedisStorage(redis_url, implementation="redispy", key_prefix="sd-send")
        self._windows = MovingWindowRateLimiter(storage)
        self._redis = Redis.from_url(redis_url)
        self._bot = str(bot_id)
        self._global = RateLimitItemPerSecond(self.limits.global_per_second)
        self._group = RateLimitItemPerMinute(self.limits.group_per_minute)
        interval = self.limits.per_chat_interval
        self._chat = RateLimitItemPerSecond(1, max(1, round(interval))) if interval else None

    async def acquire(self, chat_id: int) -> None:
        chat = str(chat_id)
        held_ms = await self._redis.pttl(self._hold_key(chat))  # -2: no hold
        if held_ms > 0:
            await asyncio.sleep(held_ms / 1000)
        if self._chat is not None:
            await self._take(self._chat, "chat", chat)
        if chat_id < 0:
            await self._take(self._group, "group", chat)
        await self._take(self._global, "all")

    async def hold(self, chat_id: int, seconds: float) -> None:
        await self._redis.set(self._hold_key(str(chat_id)), 1, px=max(1, round(seconds * 1000)))

    async def _take(self, item: RateLimitItem, *key: str) -> None:
        while not await self._windows.hit(item, self._bot, *key):
            stats = await self._windows.get_window_stats(item, self._bot, *key)
            await asyncio.sleep(max(0.01, stats.reset_time - time.time()))

    def _hold_key(self, chat: str) -> str:
        return f"sd-send:hold:{self._bot}:{chat}"

    async def close(self) -> None:
        await self._redis.aclose()
