"""End to end over loopback: emulator -> webhook/polling -> inbox -> Dispatcher -> emulator.

TG8 (one user's updates in order, no lost FSM data), TG13 (callbacks answered at once), FSM
state surviving a restart, and the same flow with Redis storage and isolation.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram import Bot
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage

from bot.emulator import BotApiEmulator, EmulatedUser
from bot.transport.polling import Poller
from bot.transport.storage import SqlStorage
from bot.transport.webhook import SECRET_HEADER
from support_desk.core.tx import Transactor
from tests.bot.stack import SECRET, Stack, running_stack

MESSAGES = 20


def key(bot: Bot, user: EmulatedUser) -> StorageKey:
    return StorageKey(bot_id=bot.id, chat_id=user.id, user_id=user.id)


async def assert_flow_complete(stack: Stack, bot: Bot, user: EmulatedUser) -> None:
    replies = await user.wait_for_messages(MESSAGES)
    assert [m.text for m in replies] == [f"{n + 1}:msg {n}" for n in range(MESSAGES)]
    data = await stack.storage.get_data(key(bot, user))
    assert data["n"] == MESSAGES
    assert [data[f"m{n + 1}"] for n in range(MESSAGES)] == [f"msg {n}" for n in range(MESSAGES)]
    assert await stack.storage.get_state(key(bot, user)) == "Survey:even"


async def test_tg8_twenty_messages_at_once_go_through_the_flow_in_order_via_webhook(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot
) -> None:
    ann = emulator.user(701, "Ann")
    async with running_stack(tx, bot) as stack:
        await bot.set_webhook(stack.url, secret_token=SECRET)
        for n in range(MESSAGES):
            ann.send(f"msg {n}")

        await assert_flow_complete(stack, bot, ann)


async def test_tg8_twenty_concurrent_posts_of_one_user_lose_no_fsm_data(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot
) -> None:
    ann = emulator.user(702, "Ann")
    updates = [ann.send(f"msg {n}") for n in range(MESSAGES)]
    async with running_stack(tx, bot) as stack, aiohttp.ClientSession() as http:

        async def post(update: dict[str, object]) -> int:
            async with http.post(stack.url, json=update, headers={SECRET_HEADER: SECRET}) as r:
                return r.status

        statuses = await asyncio.gather(*(post(u) for u in updates))
        await stack.processor.idle()

    assert statuses == [200] * MESSAGES
    data = await stack.storage.get_data(key(bot, ann))
    assert data["n"] == MESSAGES
    assert sorted(data[f"m{n + 1}"] for n in range(MESSAGES)) == sorted(
        f"msg {n}" for n in range(MESSAGES)
    )
    replies = [m.text or "" for m in ann.received()]
    assert [r.split(":")[0] for r in replies] == [str(n + 1) for n in range(MESSAGES)]


async def test_tg8_polling_feeds_the_same_inbox_in_order(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot
) -> None:
    ann = emulator.user(703, "Ann")
    async with running_stack(tx, bot) as stack:
        poller = Poller(bot, stack.processor, timeout=1)
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop))
        for n in range(MESSAGES):
            ann.send(f"msg {n}")

        await assert_flow_complete(stack, bot, ann)
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_fsm_state_and_data_survive_a_restart(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot
) -> None:
    ann = emulator.user(704, "Ann")
    async with running_stack(tx, bot) as stack:
        await bot.set_webhook(stack.url, secret_token=SECRET)
        ann.send("first")
        await ann.wait_for_messages(1)
    async with running_stack(tx, bot, storage=SqlStorage(tx)) as restarted:
        await bot.set_webhook(restarted.url, secret_token=SECRET)
        ann.send("second")
        await ann.wait_for_messages(2)

    assert ann.texts() == ["1:first", "2:second"]


async def test_tg13_a_pressed_button_is_answered_within_a_second(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot
) -> None:
    ann = emulator.user(705, "Ann")
    async with running_stack(tx, bot) as stack:
        await bot.set_webhook(stack.url, secret_token=SECRET)
        ann.send("/menu")
        await ann.wait_for_messages(1)
        presses = [ann.press("Ping") for _ in range(10)]
        records = [emulator.world.callbacks[p["callback_query"]["id"]] for p in presses]
        await emulator.world.wait_until(lambda: all(r.answered_at for r in records))

    assert stack.effects.seen == [-1] * 10
    assert max(r.answered_at - r.created_at for r in records if r.answered_at) < 1.0


@pytest.mark.redis
async def test_tg8_two_processors_sharing_redis_isolation_keep_one_user_in_order(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, redis_url: str
) -> None:
    """Two inbox processors (as two processes would) feed one user's updates alternately."""
    ann = emulator.user(706, "Ann")
    storage = RedisStorage.from_url(redis_url)
    isolation = storage.create_isolation()
    updates = [ann.send(f"msg {n}") for n in range(MESSAGES)]
    async with (
        running_stack(tx, bot, storage=storage, isolation=isolation) as one,
        running_stack(tx, bot, storage=storage, isolation=storage.create_isolation()) as two,
    ):
        for n, update in enumerate(updates):
            await (one if n % 2 else two).processor.accept([update])
        await asyncio.gather(one.processor.idle(), two.processor.idle())

    data = await storage.get_data(key(bot, ann))
    await storage.close()
    assert data["n"] == MESSAGES
    assert sorted(v for k, v in data.items() if k != "n") == sorted(
        f"msg {n}" for n in range(MESSAGES)
    )
