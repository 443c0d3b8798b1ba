"""Alembic environment: runs migrations over our own engine (SQLite pragmas included)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import event
from sqlalchemy.engine import Connection

from support_desk.core.db import Base, make_engine
from support_desk.models import load_all_models

load_all_models()
config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
    """SQLite's batch mode rebuilds a table (copy, drop, rename): with foreign keys on, dropping
    a table other rows refer to fails, so every upgrade of a database holding invoices failed.
    They are off while migrating (the pragma only works outside a transaction) and checked
    after it instead."""
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"a migration broke {len(broken)} references, first: {broken[0]}")


async def _main() -> None:
    engine = make_engine(config.attributes["database_url"])
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:  # after make_engine's own connect listener, which turns them on
        event.listen(engine.sync_engine, "connect", _foreign_keys_off)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        if sqlite:
            await connection.run_sync(_check_foreign_keys)
        await connection.commit()
    await engine.dispose()


asyncio.run(_main())
