"""The `support-desk` command: `db upgrade`, `run`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiohttp import web

from support_desk.core.settings import Settings
from support_desk.migrations import upgrade
from support_desk.wiring import build_runtime, build_web_app

log = logging.getLogger("support_desk")


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    print(f"database is up to date: {settings.database_url}")
    return 0


async def _serve(settings: Settings) -> None:
    runtime = build_runtime(settings)
    runner = web.AppRunner(build_web_app(runtime))
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    print(f"support-desk is serving on http://{settings.http_host}:{settings.http_port}/")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await runtime.engine.dispose()


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(settings))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="support-desk")
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(func=_db_upgrade)
    commands.add_parser("run", help="migrate, then serve").set_defaults(func=_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    args = build_parser().parse_args(argv)
    return int(args.func(Settings(), args))
