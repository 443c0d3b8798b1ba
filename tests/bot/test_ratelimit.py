"""TG10, TG11: the sender's own limits in virtual time (1/s per chat, 20/min per group, 30/s), and
the same limits shared through Redis by several processes of one bot, in real time."""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import SecretStr

from bot.app import build_bot_runtime
from bot.transport.ratelimit import Limits, RateLimiter, SharedRateLimiter
from support_desk.core.settings import Settings
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from tests.bot.conftest import TOKEN


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

    await limiter.hold(5, 3)
    await limiter.acquire(5)

    assert time.now >= 3


# Several processes, one bot: the limits hold for all their delivery workers together (Redis).


async def _stamped(limiter: SharedRateLimiter, chat: int, started: float) -> float:
    await limiter.acquire(chat)
    return time.monotonic() - started


@pytest.mark.redis
async def test_tg11_two_processes_share_one_chats_pace(redis_url: str) -> None:
    one, two = (SharedRateLimiter(redis_url, 42, Limits()) for _ in range(2))
    started = time.monotonic()

    stamps = sorted(
        await asyncio.gather(*(_stamped((one, two)[n % 2], 7, started) for n in range(3)))
    )
    await asyncio.gather(one.close(), two.close())

    assert all(b - a >= 0.9 for a, b in zip(stamps, stamps[1:], strict=False)), stamps


@pytest.mark.redis
async def test_tg11_two_processes_share_the_global_window(redis_url: str) -> None:
    limits = Limits(per_chat_interval=0, global_per_second=4)
    one, two = (SharedRateLimiter(redis_url, 42, limits) for _ in range(2))
    started = time.monotonic()

    stamps = await asyncio.gather(
        *(_stamped((one, two)[n % 2], 1000 + n, started) for n in range(10))
    )
    await asyncio.gather(one.close(), two.close())

    assert _max_in_window(sorted(stamps), 0.95) <= 4, sorted(stamps)


@pytest.mark.redis
async def test_tg10_a_429_in_one_process_holds_the_chat_in_the_other(redis_url: str) -> None:
    one, two = (SharedRateLimiter(redis_url, 42, Limits()) for _ in range(2))
    started = time.monotonic()

    await one.hold(9, 0.6)
    waited = await _stamped(two, 9, started)
    await asyncio.gather(one.close(), two.close())

    assert waited >= 0.55


@pytest.mark.redis
async def test_with_redis_configured_the_delivery_worker_shares_its_limits(
    redis_url: str, tx: Transactor, settings: Settings
) -> None:
    shared = settings.model_copy(update={"bot_token": SecretStr(TOKEN), "redis_url": redis_url})

    alone_settings = settings.model_copy(update={"bot_token": SecretStr(TOKEN)})
    alone, together = (build_bot_runtime(s, tx, Texts()) for s in (alone_settings, shared))

    assert isinstance(alone.delivery.limiter, RateLimiter)
    assert isinstance(together.delivery.limiter, SharedRateLimiter)
    for runtime in (alone, together):
        await runtime.delivery.limiter.close()
        await runtime.bot.session.close()
