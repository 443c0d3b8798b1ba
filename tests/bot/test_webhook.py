"""Webhook and inbox: TG1 secret, TG2 mandatory secret, TG3 duplicates, TG4 failures, O5."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import build_bot_runtime
from bot.emulator import BotApiEmulator
from bot.models import InboxRow
from bot.transport import inbox_store
from bot.transport.webhook import SECRET_HEADER, WebhookSecretMissing
from support_desk.core.clock import FrozenClock
from support_desk.core.settings import Settings
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork
from tests.bot.conftest import TOKEN
from tests.bot.stack import SECRET, Effects, running_stack


def an_update(emulator: BotApiEmulator, text: str = "hello", user_id: int = 501) -> dict[str, Any]:
    """A real update made by the emulator (so the chat exists for the reply)."""
    user = emulator.user(user_id, "Ann")
    return user.send(text)


async def post(url: str, update: dict[str, Any], headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=update, headers=headers) as response,
    ):
        return response.status


async def inbox(tx: Transactor) -> list[InboxRow]:
    async def rows(uow: UnitOfWork) -> list[InboxRow]:
        return list((await uow.session.scalars(select(InboxRow))).all())

    return await tx.read(rows)


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: ""}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1] + "X"}],
    ids=["missing", "empty", "wrong", "right-prefix-wrong-suffix"],
)
async def test_tg1_a_request_without_the_secret_gets_401_and_reaches_nothing(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, headers: dict[str, str]
) -> None:
    async with running_stack(tx, bot) as stack:
        status = await post(stack.url, an_update(emulator), headers)

    assert status == 401
    assert stack.effects.seen == []
    assert await inbox(tx) == []


async def test_tg1_the_right_secret_is_accepted_and_handled(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot
) -> None:
    async with running_stack(tx, bot) as stack:
        status = await post(stack.url, an_update(emulator), {SECRET_HEADER: SECRET})
        await stack.processor.idle()

    assert status == 200
    assert stack.effects.seen == [1]
    assert [row.status for row in await inbox(tx)] == ["done"]


@pytest.mark.parametrize("secret", [None, ""])
def test_tg2_webhook_mode_refuses_to_start_without_a_secret(secret: str | None) -> None:
    settings = Settings(
        bot_token=SecretStr(TOKEN),
        webhook_url="https://bot.example.com/telegram/webhook",
        webhook_secret=None if secret is None else SecretStr(secret),
    )

    with pytest.raises(WebhookSecretMissing, match="SUPPORT_DESK_WEBHOOK_SECRET"):
        build_bot_runtime(settings, None, Texts())  # type: ignore[arg-type]


async def test_tg3_the_same_update_five_times_concurrently_and_after_a_restart_has_one_effect(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot
) -> None:
    update = an_update(emulator)
    effects = Effects()
    headers = {SECRET_HEADER: SECRET}

    async with running_stack(tx, bot, effects) as stack:
        first = await asyncio.gather(*(post(stack.url, update, headers) for _ in range(5)))
        await stack.processor.idle()
    async with running_stack(tx, bot, effects) as restarted:  # a new process, same database
        again = await asyncio.gather(*(post(restarted.url, update, headers) for _ in range(5)))
        await restarted.processor.sweep()
        await restarted.processor.idle()

    assert first == again == [200] * 5
    assert effects.seen == [1]
    assert len(emulator.calls("sendMessage")) == 1
    assert len(await inbox(tx)) == 1


async def test_tg4_a_handler_failure_is_retried_from_the_inbox_and_takes_effect_once(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, clock: FrozenClock
) -> None:
    effects = Effects(fail_first={1})
    async with running_stack(tx, bot, effects, retry_delay=1.0) as stack:
        status = await post(stack.url, an_update(emulator), {SECRET_HEADER: SECRET})
        await stack.processor.idle()
        failed = (await inbox(tx))[0]
        clock.advance(seconds=1)
        await stack.processor.sweep()
        await stack.processor.idle()

    assert status == 200
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert "injected failure" in (failed.error or "")
    assert effects.seen == [1]
    assert [row.status for row in await inbox(tx)] == ["done"]


async def test_o5_an_update_stored_by_a_process_that_died_is_handled_once_after_restart(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot, clock: FrozenClock
) -> None:
    update = an_update(emulator)
    await tx.run(inbox_store.record, [update], "dead-process", 60.0)  # 200 sent, then killed

    async with running_stack(tx, bot) as stack:
        early = await stack.processor.sweep()  # the dead process's lease still holds
        clock.advance(seconds=61)
        late = await stack.processor.sweep()
        await stack.processor.idle()
        again = await stack.processor.sweep()

    assert (early, late, again) == (0, 1, 0)
    assert stack.effects.seen == [1]


async def test_tg3_duplicates_answer_200_without_a_second_row(
    tx: Transactor, emulator: BotApiEmulator, bot: Bot
) -> None:
    update = an_update(emulator)
    async with running_stack(tx, bot) as stack:
        statuses = [await post(stack.url, update, {SECRET_HEADER: SECRET}) for _ in range(3)]

    async def count(uow: UnitOfWork) -> int:
        return int(await uow.session.scalar(select(func.count()).select_from(InboxRow)) or 0)

    assert statuses == [200, 200, 200]
    assert await tx.read(count) == 1


@pytest.mark.parametrize("update_id", [2**63, -(2**63) - 1, 10**30])
async def test_tg3_an_update_id_that_does_not_fit_is_dropped_and_logged_not_a_500(
    tx: Transactor,
    emulator: BotApiEmulator,
    bot: Bot,
    caplog: pytest.LogCaptureFixture,
    update_id: int,
) -> None:
    """A 500 would make Telegram re-send it forever: it is answered 200, logged and dropped,
    and the updates after it still flow."""
    huge = {**an_update(emulator), "update_id": update_id}
    async with running_stack(tx, bot) as stack:
        status = await post(stack.url, huge, {SECRET_HEADER: SECRET})
        after = await post(stack.url, an_update(emulator, "next"), {SECRET_HEADER: SECRET})
        await stack.processor.idle()

    assert (status, after) == (200, 200)
    assert len(stack.effects.seen) == 1
    assert len(await inbox(tx)) == 1
    assert any(
        "dropped" in r.getMessage() and str(update_id) in r.getMessage() for r in caplog.records
    )
