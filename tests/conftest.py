"""Shared fixtures: settings, a frozen clock, and a migrated database on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from support_desk.core.clock import FrozenClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor, in_transaction
from tests import backends

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def no_network_inside_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    """D9: any HTTP request issued while a unit of work is open fails the test."""
    original = aiohttp.ClientSession._request

    async def guarded(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> Any:
        if in_transaction():
            raise AssertionError(f"network call inside a database transaction: {args[:2]}")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "_request", guarded)


SESSION_METHODS = ("execute", "scalar", "scalars", "get", "flush", "commit", "rollback")


@pytest.fixture(autouse=True)
def one_task_per_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """D6: an AsyncSession is used by the task that first used it and by no other."""
    for name in SESSION_METHODS:
        original = getattr(AsyncSession, name)

        async def guarded(
            self: AsyncSession, *args: Any, __original: Any = original, **kwargs: Any
        ) -> Any:
            task = asyncio.current_task()
            owner = self.info.setdefault("owner_task", task)
            if owner is not task:
                raise AssertionError(f"AsyncSession shared between tasks {owner} and {task}")
            return await __original(self, *args, **kwargs)

        monkeypatch.setattr(AsyncSession, name, guarded)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return backends.prepare_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return backends.prepare_postgres()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return backends.sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(settings.database_url)
    yield engine
    if engine.dialect.name == "postgresql":
        await backends.truncate_all(engine)
    await engine.dispose()


@pytest.fixture
def tx(engine: AsyncEngine, clock: FrozenClock, settings: Settings) -> Transactor:
    return Transactor(engine, clock, settings)
