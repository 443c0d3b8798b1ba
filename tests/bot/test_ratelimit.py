"""TG11: the sender's own limits in virtual time: 1/s per chat, 20/min per group, 30/s."""

from __future__ import annotations

import asyncio

from bot.transport.ratelimit import Limits, RateLimiter


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


Sent = list[tuple[float, int]]


async def _send_all(limiter: RateLimiter, time: VirtualTime, chats: list[int]) -> Sent:
    sent: Sent = []

    async def one(chat: int) -> None:
        await limiter.acquire(chat)
        sent.append((time.now, chat))

    for chat in chats:  # one after another, like the worker's per-chat loop
        await one(chat)
    return sent


def _max_in_window(times: list[float], span: float) -> int:
    return max(sum(1 for t in times if start <= t < start + span) for start in times)


async def test_tg11_broadcast_respects_chat_group_and_global_limits() -> None:
    time = VirtualTime()
    limiter = RateLimiter(Limits(), clock=time.clock, sleep=time.sleep)
    chats = list(range(1, 501)) + [7] * 30 + [-100] * 40

    sent = await _send_all(limiter, time, chats)

    assert len(sent) == 570
    assert _max_in_window([t for t, _ in sent], 1.0) <= 30
    seven = [t for t, c in sent if c == 7]
    assert all(b - a >= 1.0 for a, b in zip(seven, seven[1:], strict=False))
    assert _max_in_window([t for t, c in sent if c == -100], 60.0) <= 20


async def test_tg10_hold_delays_the_chat_by_retry_after() -> None:
    time = VirtualTime()
    limiter = RateLimiter(Limits(), clock=time.clock, sleep=time.sleep)

    limiter.hold(5, 3)
    await limiter.acquire(5)

    assert time.now >= 3
