"""The schema comes from migrations: they go up and down cleanly, and they match the models."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from support_desk.core.db import Base, make_engine
from support_desk.migrations import downgrade, upgrade
from support_desk.models import load_all_models
from tests import backends

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    url = backends.prepare_postgres(backends.worker_database(backends.PG_BASE_DB + "_migrations"))
    downgrade(url, "base")  # from the head just built: every downgrade runs
    return url


def _diff(url: str) -> list[Any]:
    load_all_models()

    def compare(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async def run() -> list[Any]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrations_go_up_down_and_up_again(empty_database: str) -> None:
    upgrade(empty_database)
    downgrade(empty_database, "base")
    upgrade(empty_database)

    assert _diff(empty_database) == []


def test_the_models_match_what_the_migrations_build(empty_database: str) -> None:
    upgrade(empty_database)

    assert _diff(empty_database) == []
