"""Test databases: a migrated SQLite template copied per test, and a PostgreSQL database
truncated after each test. PostgreSQL tests skip when it is absent, unless CI requires it."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from support_desk.core.db import Base, make_engine
from support_desk.migrations import upgrade
from support_desk.models import load_all_models

PG_ADMIN_URL = os.environ.get(
    "SUPPORT_DESK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
# Each pytest-xdist worker gets a database of its own (gw0, gw1, ...); a single run has none.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_database(name: str) -> str:
    """`name`, suffixed with this pytest-xdist worker's id: each worker resets its own."""
    return f"{name}_{WORKER}" if WORKER else name


PG_BASE_DB = os.environ.get("SUPPORT_DESK_TEST_PG_DB", "support_desk_test")
PG_TEST_DB = worker_database(PG_BASE_DB)
KEEP_TABLES = {"alembic_version", "document_series"}


def require(service: str) -> bool:
    return os.environ.get(f"SUPPORT_DESK_REQUIRE_{service.upper()}") == "1"


def pg_url(database: str = PG_TEST_DB) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


async def _ensure_pg_database(name: str) -> None:
    engine = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=1)
    try:
        async with engine.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


def prepare_postgres(database: str = PG_TEST_DB) -> str:
    """Create and migrate the PostgreSQL test database, or skip (fail in CI) when absent."""
    try:
        asyncio.run(asyncio.wait_for(_ensure_pg_database(database), 10))
    except (OSError, TimeoutError, ConnectionError) as exc:
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}"
        if require("postgres"):
            pytest.fail(message + " (SUPPORT_DESK_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    url = pg_url(database)
    asyncio.run(_reset_schema(url))  # a database left by an older checkout starts clean
    upgrade(url)
    return url


async def _reset_schema(url: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def prepare_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / "test.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table but the series counters, which go back to 1."""
    load_all_models()
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in KEEP_TABLES]
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        await conn.execute(text("UPDATE document_series SET next_number = 1"))
