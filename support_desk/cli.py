"""The `support-desk` command: `db upgrade`, `run`, `api-key create|list|revoke`, `user add`,
`demo reset`, `demo-data`.

Imports are made inside the commands: the bot (aiogram) alone takes seconds to import, and
`--help`, `db upgrade`, `user add` or `api-key create` need none of it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from support_desk.core.settings import Settings
    from support_desk.core.tx import Transactor
    from support_desk.wiring import Runtime

from support_desk import cli_keys

log = logging.getLogger("support_desk")
NO_PASSWORD = (
    "support-desk user add: no password given, and no terminal to ask for one; nothing was "
    'created. Pipe it in with --password-stdin (echo "$PASSWORD" | support-desk user add '
    "LOGIN --password-stdin), or set SUPPORT_DESK_NEW_PASSWORD."
)


@contextlib.asynccontextmanager
async def _transactor(settings: Settings) -> AsyncIterator[Transactor]:
    """The database alone (no bot, no web): what the one-shot commands need."""
    from support_desk.core.clock import SystemClock
    from support_desk.core.db import make_engine
    from support_desk.core.tx import Transactor

    engine = make_engine(settings.database_url)
    try:
        yield Transactor(engine, SystemClock(), settings)
    finally:
        await engine.dispose()


def _upgrade(database_url: str) -> None:
    from support_desk.migrations import upgrade

    upgrade(database_url)


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    _upgrade(settings.database_url)
    print(f"database is up to date: {settings.database_url}")
    return 0


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    """Migrate, then serve; with no bot token, the offline demo on its own database."""
    if problems := settings.production_problems():
        for problem in problems:
            print(f"support-desk: refusing to start: {problem}", file=sys.stderr)
        return 2
    from support_desk.demo.start import demo_settings

    settings = demo_settings(settings)
    _upgrade(settings.database_url)
    return _until_interrupted(_serve(settings))


async def _serve(settings: Settings) -> int:
    """Serve until cancelled; with no bot token, Telegram is the emulator on loopback (the
    offline demo) with a web chat where a person is the demo customer. 2: the demo refused the
    database."""
    from bot.demo import offline_telegram
    from support_desk.wiring import Runtime, build_runtime

    runtime = build_runtime(settings)
    try:
        if settings.bot_token is None and not await _demo_database(settings, runtime.tx):
            return 2
        async with offline_telegram(settings, runtime.tx) as telegram:
            served = Runtime(telegram.settings, runtime.engine, runtime.tx)
            await _serve_app(served, telegram.chat_url)
    finally:
        await runtime.engine.dispose()
    return 0


async def _demo_database(settings: Settings, tx: Transactor) -> bool:
    """The demo company in the database (seeded if it is empty); False: someone else's data."""
    from support_desk.demo import start as demo

    try:
        if await demo.prepare(tx):
            print(f"offline demo: added the demo company to {demo.where(settings.database_url)}")
    except demo.NotADemoDatabase:
        print(demo.refusal(settings.database_url), file=sys.stderr)
        return False
    return True


async def _serve_app(runtime: Runtime, demo_chat_url: str | None) -> None:
    from aiohttp import web

    from support_desk.wiring import build_web_app, freeze_start_up_objects, prepare_for_traffic

    app = build_web_app(runtime, demo_chat_url)
    if demo_chat_url is not None:
        from support_desk.demo.start import enable_demo_roles

        enable_demo_roles(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, runtime.settings.http_host, runtime.settings.http_port)
    prepare_for_traffic(app)  # before it listens: nobody waits behind the compiling
    await site.start()
    freeze_start_up_objects()
    host, port = runner.addresses[0][:2]  # the bound port, also when settings asked for 0
    home = f"http://{host}:{port}/"
    print(f"support-desk is serving on {home}")
    if demo_chat_url is not None:
        from support_desk.demo.start import summary

        print(summary(runtime.settings.database_url, home, demo_chat_url))
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _until_interrupted(work: Coroutine[Any, Any, int]) -> int:
    """Run `work`; Ctrl-C or SIGTERM (systemd, docker stop, kill) stops it, after its cleanup,
    without a traceback. Without the handler SIGTERM killed the demo before it saved the chat."""
    try:
        return asyncio.run(_stoppable(work))
    except KeyboardInterrupt:
        print("support-desk: stopped", file=sys.stderr)
        return 130
    except asyncio.CancelledError:  # SIGTERM cancelled the work and its cleanup ran
        print("support-desk: stopped", file=sys.stderr)
        return 128 + signal.SIGTERM


async def _stoppable(work: Coroutine[Any, Any, int]) -> int:
    """`work`, cancelled by SIGTERM as asyncio.run cancels it on Ctrl-C."""
    task = asyncio.current_task()
    assert task is not None
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows' loop
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await work


async def _new_user(settings: Settings, args: argparse.Namespace, password: str) -> str:
    import ticketing
    from support_desk.core.actors import Actor
    from ticketing.commands import CreateUser

    digest = await ticketing.hash_password(password)
    role = ticketing.Role(args.role)
    cmd = CreateUser(args.login, args.name or args.login, digest, role, Actor.system("cli"))
    async with _transactor(settings) as tx:
        user = await tx.run(ticketing.create_user, cmd)
    return f"created {user.role} {user.login!r} (id {user.id})"


class _NoPassword(Exception):
    """No usable password: nothing is created, and this sentence says why."""


def _password(args: argparse.Namespace) -> str:
    """--password-stdin (its first line), --password, SUPPORT_DESK_NEW_PASSWORD, or a prompt
    when there is a terminal."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif args.password or os.environ.get("SUPPORT_DESK_NEW_PASSWORD"):
        password = args.password or os.environ["SUPPORT_DESK_NEW_PASSWORD"]
    elif not sys.stdin.isatty():
        raise _NoPassword(NO_PASSWORD)
    else:
        try:
            password = getpass.getpass("password: ")
            again = getpass.getpass("again: ")
        except (EOFError, KeyboardInterrupt):
            raise _NoPassword("no password given; nothing was created") from None
        if password != again:
            raise _NoPassword("the passwords differ; nothing was created")
    if not password:
        raise _NoPassword("the password is empty; nothing was created")
    return password


def _user_add(settings: Settings, args: argparse.Namespace) -> int:
    """A console user; refused politely without a password (no traceback without a terminal)."""
    from support_desk.core.errors import DomainError

    try:
        password = _password(args)
    except _NoPassword as refusal:
        print(refusal, file=sys.stderr)
        return 1
    _upgrade(settings.database_url)
    try:
        print(asyncio.run(_new_user(settings, args, password)))
    except DomainError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    return 0


async def _told(work: Coroutine[Any, Any, tuple[int, str]]) -> int:
    code, text = await work
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def _demo_reset(settings: Settings, _args: argparse.Namespace) -> int:
    from support_desk.demo.start import reset

    return _until_interrupted(_told(reset(settings)))


def _demo_data(settings: Settings, _args: argparse.Namespace) -> int:
    from support_desk.demo.start import load_demo_data

    return _until_interrupted(_told(load_demo_data(settings)))


def _add_user_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = commands.add_parser("user", help="console users (agents and admins)")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="create an agent or an admin")
    add.add_argument("login")
    add.add_argument("--name", default=None)
    add.add_argument("--role", choices=["agent", "admin"], default="agent")
    given = add.add_mutually_exclusive_group()
    given.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    given.add_argument(
        "--password",
        default=None,
        help="(visible to other users of this machine) else "
        "SUPPORT_DESK_NEW_PASSWORD, or a prompt in a terminal",
    )
    add.set_defaults(func=_user_add)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="support-desk")
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(func=_db_upgrade)
    commands.add_parser(
        "run", help="migrate, then serve (with no bot token: the offline demo)"
    ).set_defaults(func=_run)
    cli_keys.add_commands(commands)
    _add_user_parser(commands)
    demo = commands.add_parser("demo", help="the offline demo's own database")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    demo_commands.add_parser(
        "reset", help="start the demo afresh: a new demo database with the demo company"
    ).set_defaults(func=_demo_reset)
    commands.add_parser(
        "demo-data", help="load the demo company into an empty database (PostgreSQL too)"
    ).set_defaults(func=_demo_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # a line per glyph for each PDF
    from support_desk.core.settings import Settings

    return int(args.func(Settings(), args))
