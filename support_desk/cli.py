"""The `support-desk` command: `db upgrade`, `run`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiohttp import web

from billing.api.keys import CreateApiKey, create_api_key
from support_desk.core.actors import Actor
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


async def _new_api_key(settings: Settings, name: str, signing: bool) -> str:
    runtime = build_runtime(settings)
    try:
        cmd = CreateApiKey(name=name, actor=Actor.system("cli"), signing=signing)
        key = await runtime.tx.run(create_api_key, cmd)
    finally:
        await runtime.engine.dispose()
    if signing:
        return f"{key.merchant_id} {key.key_id} {key.secret}"
    return str(key.key)


def _api_key_create(settings: Settings, args: argparse.Namespace) -> int:
    """Prints the new key alone on its last line (MERCHANT_ID KEY_ID SECRET with --signing)."""
    upgrade(settings.database_url)
    line = asyncio.run(_new_api_key(settings, args.name, args.signing))
    kind = "signing key (merchant id, key id, base64 secret)" if args.signing else "bearer key"
    print(f"new API {kind} for {args.name!r}; it is shown only once:")
    print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="support-desk")
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(func=_db_upgrade)
    commands.add_parser("run", help="migrate, then serve").set_defaults(func=_run)
    api_key = commands.add_parser("api-key", help="REST API keys")
    api_key_commands = api_key.add_subparsers(dest="api_key_command", required=True)
    create = api_key_commands.add_parser("create", help="create a key and print it once")
    create.add_argument("name")
    create.add_argument("--signing", action="store_true", help="an HTTP Signature key")
    create.set_defaults(func=_api_key_create)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    args = build_parser().parse_args(argv)
    return int(args.func(Settings(), args))
