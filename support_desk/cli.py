"""The `support-desk` command: `db upgrade`, `run`, `api-key create|list|revoke`, `user add`.

The product (bot, web application, ticketing) is imported by the commands that run it, so
`db` and `api-key` work without loading aiogram."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import sys
from collections.abc import Sequence

from support_desk import cli_keys
from support_desk.core.actors import Actor
from support_desk.core.errors import DomainError
from support_desk.core.settings import Settings
from support_desk.migrations import upgrade

log = logging.getLogger("support_desk")


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    print(f"database is up to date: {settings.database_url}")
    return 0


async def _serve(settings: Settings) -> None:
    """Serve; with no bot token, Telegram is the emulator on loopback (the offline demo), with
    a web chat where a person is the demo customer."""
    from bot.demo import offline_telegram

    async with offline_telegram(settings) as telegram:
        await _serve_app(telegram.settings, telegram.chat_url)


async def _serve_app(settings: Settings, demo_chat_url: str | None = None) -> None:
    from aiohttp import web

    from bot.demo import seed_demo
    from support_desk.wiring import build_runtime, build_web_app

    runtime = build_runtime(settings)
    if demo_chat_url is not None and await seed_demo(runtime.tx):
        print("offline demo: added the demo customer and their invoices")
    runner = web.AppRunner(build_web_app(runtime, demo_chat_url))
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    host, port = runner.addresses[0][:2]  # the bound port, also when settings asked for 0
    print(f"support-desk is serving on http://{host}:{port}/")
    if demo_chat_url is not None:
        print(f"offline demo: chat with the bot as a customer at {demo_chat_url}")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await runtime.engine.dispose()


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    if problems := settings.production_problems():
        for problem in problems:
            print(f"support-desk: refusing to start: {problem}", file=sys.stderr)
        return 2
    upgrade(settings.database_url)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(settings))
    return 0


async def _new_user(settings: Settings, args: argparse.Namespace, password: str) -> str:
    import ticketing
    from support_desk.wiring import build_runtime
    from ticketing.commands import CreateUser

    runtime = build_runtime(settings)
    try:
        digest = await ticketing.hash_password(password)
        role = ticketing.Role(args.role)
        cmd = CreateUser(args.login, args.name or args.login, digest, role, Actor.system("cli"))
        user = await runtime.tx.run(ticketing.create_user, cmd)
    finally:
        await runtime.engine.dispose()
    return f"created {user.role} {user.login!r} (id {user.id})"


def _user_add(settings: Settings, args: argparse.Namespace) -> int:
    """A console user; the password: --password, SUPPORT_DESK_NEW_PASSWORD, or a prompt."""
    password = args.password or os.environ.get("SUPPORT_DESK_NEW_PASSWORD")
    if not password:
        password = getpass.getpass("password: ")
        if password != getpass.getpass("again: "):
            print("the passwords differ; nothing was created")
            return 1
    upgrade(settings.database_url)
    try:
        print(asyncio.run(_new_user(settings, args, password)))
    except DomainError as exc:
        print(f"refused: {exc}")
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="support-desk")
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(func=_db_upgrade)
    commands.add_parser("run", help="migrate, then serve").set_defaults(func=_run)
    cli_keys.add_commands(commands)
    user = commands.add_parser("user", help="console users (agents and admins)")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="create an agent or an admin")
    add.add_argument("login")
    add.add_argument("--name", default=None)
    add.add_argument("--role", choices=["agent", "admin"], default="agent")
    add.add_argument("--password", default=None, help="else SUPPORT_DESK_NEW_PASSWORD or a prompt")
    add.set_defaults(func=_user_add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # a line per glyph for each PDF
    args = build_parser().parse_args(argv)
    return int(args.func(Settings(), args))
