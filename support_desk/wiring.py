"""The composition root: builds the engine, the transactor and the one aiohttp application."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

import billing
from bot.app import attach_bot, build_bot_runtime
from bot.transport.documents import credit_note_loader
from support_desk.core.clock import Clock, SystemClock
from support_desk.core.db import make_engine
from support_desk.core.housekeeping import run_housekeeping
from support_desk.core.idempotency import prepare_answers
from support_desk.core.settings import Settings
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from web.api import setup_api
from web.api.tickets import TICKET_ROUTES
from web.console import setup_console
from web.console.demo_sign_in import demo_sign_in
from web.home import DEMO_SIGN_IN, setup_home

TX = web.AppKey("tx", Transactor)
SETTINGS = web.AppKey("settings", Settings)
TEXTS = web.AppKey("texts", Texts)


@dataclass(slots=True)
class Runtime:
    """Everything a running process shares."""

    settings: Settings
    engine: AsyncEngine
    tx: Transactor


def prepare_for_traffic(app: web.Application) -> None:
    """What the first requests of a process would otherwise pay for, paid at start-up: the
    bot's and the documents' templates compiled in every language, the keyed use cases'
    answer types built (≈0.2 s, once per process)."""
    app[TEXTS].compile_all("bot/", "documents/")
    prepare_answers()


def freeze_start_up_objects() -> None:
    """Move what start-up made (aiogram's and pydantic's models, routers, templates: some
    300,000 objects that live as long as the process) out of every later garbage collection;
    collections under load then walk only the objects updates create (docs/performance.md)."""
    gc.collect()
    gc.freeze()


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    engine = make_engine(settings.database_url)
    return Runtime(settings, engine, Transactor(engine, clock or SystemClock(), settings))


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """W13: every answer, errors and documents included, carries the same hardening headers."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def _housekeeping(tx: Transactor) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        jobs = (billing.carry_out_due_terminations,)  # B5: terminations at period end
        task = asyncio.create_task(run_housekeeping(tx, stop, jobs=jobs))
        yield
        stop.set()
        await task

    return context


def build_web_app(runtime: Runtime, demo_chat_url: str | None = None) -> web.Application:
    """The product's one HTTP application: front page, health, REST API, console and webhook
    join it; `demo_chat_url` is the offline demo's web chat, linked from the front page."""
    app = web.Application(client_max_size=1024 * 1024)
    app[TX] = runtime.tx
    app[SETTINGS] = runtime.settings
    texts = app[TEXTS] = Texts(runtime.settings.default_locale)
    setup_home(app, texts, demo_chat_url)
    if demo_chat_url is not None:  # the offline demo only: its agent and admin in one click
        app[DEMO_SIGN_IN] = demo_sign_in
    setup_console(app, runtime.tx, runtime.settings, texts)
    app.router.add_get("/healthz", _health, name="health")
    app.on_response_prepare.append(_security_headers)
    app.cleanup_ctx.append(_housekeeping(runtime.tx))
    setup_api(app, runtime.tx, extra_routes=TICKET_ROUTES)
    if runtime.settings.bot_token is not None:  # the offline demo sets one for its emulator
        loader = credit_note_loader(runtime.tx, texts)
        attach_bot(
            app, build_bot_runtime(runtime.settings, runtime.tx, texts, document_loader=loader)
        )
    return app
