"""D2, D3: every write transaction on SQLite takes the write lock up front (BEGIN IMMEDIATE),
readers do not, and read-then-write writers in several processes never see "database is locked"."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

import billing
from support_desk.core.actors import Actor
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import make_customer, make_invoice


@pytest.fixture
def statements(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split()[0].upper() + " " + " ".join(statement.split()[1:2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    return seen


async def test_d3_sqlite_writers_begin_immediate_and_readers_deferred(
    tx: Transactor, engine: AsyncEngine, statements: list[str]
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is SQLite's answer; PostgreSQL locks rows")
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer)
    statements.clear()

    await tx.run(
        billing.cancel_invoice,
        billing.commands.CancelInvoice(invoice.id, "not needed", Actor.system()),
    )
    await tx.read(billing.queries.invoice_view, invoice.id)

    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]


WORKER = textwrap.dedent("""
    import asyncio, sys
    from sqlalchemy import text
    from support_desk.core.clock import SystemClock
    from support_desk.core.db import make_engine
    from support_desk.core.settings import Settings
    from support_desk.core.tx import Transactor

    READ = text("SELECT next_number FROM document_series WHERE series = 'INV'")
    WRITE = text("UPDATE document_series SET next_number = :v WHERE series = 'INV'")

    async def bump(uow):
        value = await uow.session.scalar(READ)
        await asyncio.sleep(0)
        await uow.session.execute(WRITE, {"v": value + 1})

    async def main(url, n):
        engine = make_engine(url)
        tx = Transactor(engine, SystemClock(), Settings(database_url=url))
        for _ in range(n // 4):
            await asyncio.gather(*(tx.run(bump) for _ in range(4)))
        await engine.dispose()

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
""")


@pytest.mark.slow
async def test_d2_two_processes_and_eight_tasks_of_read_then_write_never_lock_out(
    tx: Transactor, engine: AsyncEngine, tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the upgrade-BUSY trap is SQLite's")
    url, ops = str(engine.url), 200
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, str(script), url, str(ops), stderr=asyncio.subprocess.PIPE
        )
        for _ in range(2)
    ]

    async def bump(uow: UnitOfWork) -> None:
        value = await uow.session.scalar(
            text("SELECT next_number FROM document_series WHERE series = 'INV'")
        )
        await uow.session.execute(
            text("UPDATE document_series SET next_number = :v WHERE series = 'INV'"),
            {"v": value + 1},
        )

    for _ in range(ops // 8):
        await asyncio.gather(*(tx.run(bump) for _ in range(8)))
    errors = [(await asyncio.wait_for(p.communicate(), 120))[1].decode() for p in procs]

    assert [p.returncode for p in procs] == [0, 0], errors

    async def read(uow: UnitOfWork) -> int:
        return int(
            await uow.session.scalar(
                text("SELECT next_number FROM document_series WHERE series = 'INV'")
            )
        )

    assert await tx.read(read) == 1 + ops + 2 * (ops // 4) * 4
