"""Which database the offline demo uses, and when it refuses one.

With no bot token and no SUPPORT_DESK_DATABASE_URL the demo has its own file
(`support_desk_demo.db`). It seeds the demo company only into an empty database, and marks it
in the same transaction (support_desk.demo.marker); a database that holds anyone else's data is
refused with a sentence saying what to do. `support-desk demo reset` starts the demo afresh,
`support-desk demo-data` loads the same company into an empty database of any kind.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from sqlalchemy.engine import make_url

import ticketing
from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor, UnitOfWork
from support_desk.demo.company import ACCOUNTS, seed_company
from support_desk.demo.marker import DatabaseKind, database_kind
from support_desk.migrations import downgrade, upgrade
from web.home import DemoRole, setup_demo_roles

DEMO_FILE = "support_desk_demo.db"
DEMO_DATABASE_URL = f"sqlite+aiosqlite:///{DEMO_FILE}"


class NotADemoDatabase(Exception):
    """The database holds someone's data: the demo leaves it alone."""


def demo_settings(settings: Settings) -> Settings:
    """The demo's own database file unless the operator named one (SUPPORT_DESK_DATABASE_URL)."""
    if settings.bot_token is not None or "database_url" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"database_url": DEMO_DATABASE_URL})


def where(database_url: str) -> str:
    """The database as a person names it: the file's full path, or the URL without password."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        return str(Path(url.database).resolve())
    return url.render_as_string(hide_password=True)


def refusal(database_url: str, doing: str = "the offline demo will not use") -> str:
    return (
        f"support-desk: {doing} {where(database_url)}: it holds data that "
        "is not the demo's (customers, invoices, tickets, users or API keys), and "
        "SUPPORT_DESK_BOT_TOKEN is not set. To serve it, set SUPPORT_DESK_BOT_TOKEN; to try the "
        f"demo, unset SUPPORT_DESK_DATABASE_URL (the demo then uses its own file, {DEMO_FILE}) "
        "or point it at an empty database."
    )


async def prepare(tx: Transactor) -> bool:
    """Seed the demo company if the database is empty (True); False if it is already the
    demo's. NotADemoDatabase otherwise. The passwords are hashed before the one transaction."""
    kind = await tx.read(database_kind)
    if kind is DatabaseKind.OTHER:
        raise NotADemoDatabase()
    if kind is DatabaseKind.DEMO:
        return False
    hashes = {a.login: await ticketing.hash_password(a.password) for a in ACCOUNTS}
    return await tx.run(_seed, hashes)


async def _seed(uow: UnitOfWork, hashes: dict[str, str]) -> bool:
    kind = await database_kind(uow)  # again, under the write lock: another process may be here
    if kind is DatabaseKind.OTHER:
        raise NotADemoDatabase()
    if kind is DatabaseKind.DEMO:
        return False
    await seed_company(uow, hashes)
    return True


async def _with_tx(settings: Settings, seed: bool) -> DatabaseKind:
    """The database's kind; with `seed`, the company is loaded into it when it is empty."""
    engine = make_engine(settings.database_url)
    tx = Transactor(engine, SystemClock(), settings)
    try:
        if seed:
            await prepare(tx)
            return DatabaseKind.DEMO
        return await tx.read(database_kind)
    finally:
        await engine.dispose()


def accounts_text() -> str:
    logins = ", ".join(f"{a.role} {a.login!r} password {a.password!r}" for a in ACCOUNTS)
    return f"console logins: {logins}"


def summary(database_url: str, home: str, chat_url: str) -> str:
    """What `support-desk run` prints once the demo serves."""
    return "\n".join(
        [
            "offline demo: no bot token, so the bot talks to a Telegram emulator on this computer",
            f"  database:   {where(database_url)}",
            f"  front page: {home}",
            f"  chat with the bot as a customer at {chat_url}",
            f"  console:    {home}console/login - {accounts_text()}",
            "  Ctrl-C stops it and the next start continues the conversation; "
            "`support-desk demo reset` starts afresh",
        ]
    )


def enable_demo_roles(app: web.Application) -> None:
    """The front page's one-click agent and admin (web.home's demo-only route)."""
    roles = [DemoRole(a.role.value, a.login, a.password) for a in ACCOUNTS]
    setup_demo_roles(app, roles)


async def load_demo_data(settings: Settings) -> tuple[int, str]:
    """`support-desk demo-data`: the demo company, into the database configured (any kind);
    the exit code and what to tell."""
    url = settings.database_url
    await asyncio.to_thread(upgrade, url)
    try:
        if await _with_tx(settings, seed=False) is DatabaseKind.DEMO:
            return 0, f"the demo company is already in {where(url)}"
        await _with_tx(settings, seed=True)
    except NotADemoDatabase:
        return 2, refusal(url, "demo-data will not load the demo company into")
    return 0, f"loaded the demo company into {where(url)}\n{accounts_text()}"


async def reset(settings: Settings) -> tuple[int, str]:
    """`support-desk demo reset`: the demo's database emptied (the file removed, or every table
    dropped) and the company seeded anew; only a database that is the demo's or empty."""
    settings = demo_settings(settings)
    url = settings.database_url
    await asyncio.to_thread(upgrade, url)
    if await _with_tx(settings, seed=False) is DatabaseKind.OTHER:
        return 2, refusal(url, "demo reset will not empty")
    await asyncio.to_thread(_empty, url)
    await asyncio.to_thread(upgrade, url)
    await _with_tx(settings, seed=True)
    return 0, f"the demo starts afresh: {where(url)}\n{accounts_text()}"


def _empty(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)
        return
    downgrade(database_url, "base")
