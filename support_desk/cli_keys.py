"""`support-desk api-key create|list|revoke`: the REST API's keys, managed from a shell.

Imports only the core and the key store, not the bot (aiogram) nor the web application: an
operator revoking a leaked key should not wait for, or depend on, the whole product loading.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # imported by the commands themselves, so `--help` stays instant
    from support_desk.core.settings import Settings
    from support_desk.core.tx import UnitOfWork
    from web.platform.keys import ApiKeyInfo

T = TypeVar("T")
CLI_NAME = "cli"


def _once(settings: Settings, step: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Migrate, then run one unit of work on a throwaway engine."""
    from support_desk.core.clock import SystemClock
    from support_desk.core.db import make_engine
    from support_desk.core.tx import Transactor
    from support_desk.migrations import upgrade

    upgrade(settings.database_url)

    async def go() -> T:
        engine = make_engine(settings.database_url)
        try:
            return await Transactor(engine, SystemClock(), settings).run(step, *args)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _create(settings: Settings, args: argparse.Namespace) -> int:
    """Prints the new key alone on its last line (MERCHANT_ID KEY_ID SECRET with --signing)."""
    from support_desk.core.actors import Actor
    from web.platform.keys import CreateApiKey, create_api_key

    cmd = CreateApiKey(
        name=args.name, actor=Actor.system(CLI_NAME), signing=args.signing, admin=args.admin
    )
    key = _once(settings, create_api_key, cmd)
    line = f"{key.merchant_id} {key.key_id} {key.secret}" if args.signing else str(key.key)
    kind = "signing key (merchant id, key id, base64 secret)" if args.signing else "bearer key"
    admin = "admin " if args.admin else ""
    print(f"new {admin}API {kind} for {args.name!r} (id {key.id}); it is shown only once:")
    print(line)
    return 0


def describe(key: ApiKeyInfo) -> str:
    """One line per key: id, state, kind, name, and for a signing key its merchant and key id."""
    state = "live" if key.revoked_at is None else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}Z"
    kind = key.kind + (" admin" if key.admin else "")
    signing = f" merchant={key.merchant_id} key_id={key.key_id}" if key.key_id else ""
    created = f"{key.created_at:%Y-%m-%d %H:%M}Z"
    return f"{key.id}\t{state}\t{kind}\t{key.name}\tcreated {created}{signing}"


async def _all(uow: UnitOfWork) -> list[ApiKeyInfo]:
    from web.platform.keys import list_api_keys

    return await list_api_keys(uow)


def _list(settings: Settings, _args: argparse.Namespace) -> int:
    keys = _once(settings, _all)
    for key in keys:
        print(describe(key))
    if not keys:
        print("no API keys yet: support-desk api-key create NAME")
    return 0


def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    from support_desk.core.actors import Actor
    from support_desk.core.errors import DomainError
    from web.platform.keys import RevokeApiKey, revoke_api_key

    try:
        key = _once(settings, revoke_api_key, RevokeApiKey(args.id, Actor.system(CLI_NAME)))
    except DomainError as refusal:
        print(f"refused: {refusal.sentence()}")
        return 1
    print(f"revoked: {describe(key)}")
    return 0


def add_commands(commands: Any) -> None:
    """`api-key create NAME [--signing] [--admin]`, `api-key list`, `api-key revoke ID`."""
    api_key = commands.add_parser("api-key", help="REST API keys")
    sub = api_key.add_subparsers(dest="api_key_command", required=True)
    create = sub.add_parser("create", help="create a key and print it once")
    create.add_argument("name")
    create.add_argument("--signing", action="store_true", help="an HTTP Signature key")
    create.add_argument("--admin", action="store_true", help="may list and revoke keys")
    create.set_defaults(func=_create)
    sub.add_parser("list", help="every key, live and revoked").set_defaults(func=_list)
    revoke = sub.add_parser("revoke", help="revoke a key: its next request is a 401")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func=_revoke)
