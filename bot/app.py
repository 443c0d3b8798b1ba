"""Bot wiring: the Bot, the Dispatcher, storage and isolation, and the transport around them.

`build_bot_runtime` assembles everything; `attach_bot` joins it to the product's one aiohttp
application: the webhook route when `SUPPORT_DESK_WEBHOOK_URL` is set (polling otherwise), and
the inbox sweeper, the poller and the delivery worker as background tasks of that application.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiohttp import web

from bot.commands import publish_commands
from bot.handlers import get_routers
from bot.transport.delivery import DeliveryPolicy, DeliveryWorker
from bot.transport.inbox import InboxPolicy, InboxProcessor
from bot.transport.polling import Poller
from bot.transport.ratelimit import Limits, RateLimiter, SendingLimiter, SharedRateLimiter
from bot.transport.render import DocumentLoader, Renderer
from bot.transport.responses import keep_response_models
from bot.transport.storage import SqlStorage
from bot.transport.webhook import check_secret, setup_webhook
from support_desk.core.settings import Settings
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor


def build_bot(settings: Settings) -> Bot:
    """A Bot for the configured token, talking to `telegram_api_url` (an emulator) if set."""
    if settings.bot_token is None:
        raise ValueError("SUPPORT_DESK_BOT_TOKEN is not set")
    server = (
        TelegramAPIServer.from_base(settings.telegram_api_url)
        if settings.telegram_api_url
        else PRODUCTION
    )
    return Bot(
        settings.bot_token.get_secret_value(),
        session=AiohttpSession(api=server),
        default=DefaultBotProperties(parse_mode="HTML"),
    )


def build_storage(settings: Settings, tx: Transactor) -> tuple[BaseStorage, BaseEventIsolation]:
    """Redis storage and isolation when Redis is configured (many processes); else the database
    and an in-process lock per user (one process)."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(
            settings.redis_url, key_builder=DefaultKeyBuilder(with_destiny=True)
        )
        return storage, storage.create_isolation()
    return SqlStorage(tx), SimpleEventIsolation()


def build_dispatcher(
    tx: Transactor,
    texts: Texts,
    storage: BaseStorage,
    events_isolation: BaseEventIsolation,
    routers: Iterable[Router] | None = None,
) -> Dispatcher:
    """The Dispatcher; `tx` and `texts` reach every handler by name (aiogram DI)."""
    keep_response_models()  # parsing a Bot API answer never rebuilds its model (responses.py)
    dispatcher = Dispatcher(storage=storage, events_isolation=events_isolation, tx=tx, texts=texts)
    dispatcher.callback_query.middleware(CallbackAnswerMiddleware())  # answer first (TG13)
    dispatcher.include_routers(*(get_routers() if routers is None else routers))
    return dispatcher


@dataclass(slots=True)
class BotRuntime:
    settings: Settings
    bot: Bot
    dispatcher: Dispatcher
    processor: InboxProcessor
    delivery: DeliveryWorker

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.webhook_url)


def build_bot_runtime(
    settings: Settings,
    tx: Transactor,
    texts: Texts,
    *,
    document_loader: DocumentLoader | None = None,
    routers: Iterable[Router] | None = None,
) -> BotRuntime:
    if settings.webhook_url:
        check_secret(settings.webhook_secret.get_secret_value() if settings.webhook_secret else "")
    bot = build_bot(settings)
    dispatcher = build_dispatcher(tx, texts, *build_storage(settings, tx), routers=routers)
    conf = settings.bot
    processor = InboxProcessor(
        tx,
        dispatcher,
        bot,
        InboxPolicy(lease_seconds=conf.lease_seconds, max_attempts=conf.inbox_max_attempts),
    )
    limits = Limits(conf.per_chat_interval, conf.group_per_minute, conf.global_per_second)
    limiter: SendingLimiter = (
        SharedRateLimiter(settings.redis_url, bot.id, limits)
        if settings.redis_url
        else RateLimiter(limits)
    )
    delivery = DeliveryWorker(
        tx,
        bot,
        Renderer(texts, document_loader),
        limiter,
        DeliveryPolicy(
            batch=conf.delivery_batch,
            lease_seconds=conf.lease_seconds,
            max_attempts=conf.delivery_max_attempts,
        ),
    )
    return BotRuntime(settings, bot, dispatcher, processor, delivery)


def attach_bot(app: web.Application, runtime: BotRuntime) -> None:
    """Join the bot to `app`: webhook route (or poller), sweeper and delivery as background."""
    settings = runtime.settings
    if runtime.webhook_mode:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        path = urlsplit(settings.webhook_url or "").path or settings.bot.webhook_path
        setup_webhook(app, runtime.processor, secret, path)
    app.cleanup_ctx.append(lambda _app: _background(runtime))


async def _background(runtime: BotRuntime) -> AsyncIterator[None]:
    stop = asyncio.Event()
    jobs: list[Coroutine[Any, Any, None]] = [
        runtime.processor.run_sweeper(stop),
        runtime.delivery.run(stop),
    ]
    allowed = runtime.dispatcher.resolve_used_update_types()
    await publish_commands(runtime.bot, runtime.dispatcher["texts"])
    if runtime.webhook_mode:
        await runtime.bot.set_webhook(
            runtime.settings.webhook_url or "",
            secret_token=runtime.settings.webhook_secret.get_secret_value()
            if runtime.settings.webhook_secret
            else None,
            allowed_updates=allowed,
        )
    else:
        jobs.append(Poller(runtime.bot, runtime.processor, allowed).run(stop))
    tasks = [asyncio.create_task(job) for job in jobs]
    yield
    stop.set()
    for task in tasks:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*tasks, return_exceptions=True)
    await runtime.processor.idle()
    await runtime.delivery.limiter.close()
    await runtime.bot.session.close()
