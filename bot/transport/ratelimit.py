"""Telegram's sending limits, kept on our side (TG11): ~1 message/s per chat, 20/min per group,
~30/s overall. aiogram never retries a 429 itself (RELIABILITY TG10), so a 429's retry_after
also holds the chat here until it has passed.

The windows are per process: two delivery workers each keep their own. Run one worker per bot
token in production, or lower `global_per_second` accordingly.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    per_chat_interval: float = 1.0
    group_per_minute: int = 20
    global_per_second: int = 30


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

    def hold(self, chat_id: int, seconds: float) -> None:
        """No message to `chat_id` before `seconds` from now (Telegram's retry_after)."""
        self._held[chat_id] = max(self._held.get(chat_id, 0.0), self._clock() + seconds)

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
