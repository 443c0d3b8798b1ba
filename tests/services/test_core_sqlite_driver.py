"""Issue 13: on SQLite a statement costs ONE round trip to aiosqlite's thread (it cost four), our
BEGIN rides with the transaction's first statement, and a COMMIT with nothing open is not sent;
the driver still behaves as SQLAlchemy's aiosqlite adapter did, and SQLite never runs on the
event loop's thread."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, exc, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import billing
from support_desk.core import sqlite_driver
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.db import READ_ONLY, SINGLE_STATEMENT, is_transient, make_engine, run_near
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor, UnitOfWork
from tests import backends
from tests.factories import make_customer, make_invoice


class CountingQueue:
    """Stands in front of an aiosqlite connection's queue: every put is one round trip."""

    def __init__(self, queue: Any, counter: list[int]) -> None:
        self._queue = queue
        self._counter = counter

    def put_nowait(self, item: Any) -> None:
        self._counter[0] += 1
        self._queue.put_nowait(item)


@pytest.fixture
def database(sqlite_template: Path, tmp_path: Path) -> str:
    return backends.sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
async def engine(database: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database)

    @event.listens_for(engine.sync_engine, "connect")
    def _impatient(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=200")  # after make_engine's pragmas

    yield engine
    await engine.dispose()


@pytest.fixture
def hops(engine: AsyncEngine) -> list[int]:
    """hops[0]: round trips to aiosqlite's threads since the test last set it to 0."""
    counter = [0]

    @event.listens_for(engine.sync_engine, "connect")
    def _count(dbapi_connection: Any, _record: Any) -> None:
        aio = dbapi_connection.driver_connection
        aio._tx = CountingQueue(aio._tx, counter)

    return counter


@pytest.fixture
def statements(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def record(_conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    return seen


@pytest.fixture
def tx(engine: AsyncEngine, clock: FrozenClock, database: str) -> Transactor:
    return Transactor(engine, clock, Settings(database_url=database))


def test_aiosqlite_still_has_what_the_driver_reaches_into() -> None:
    """If this fails, aiosqlite changed its internals: review support_desk/core/sqlite_driver.py
    (it queues callables with Connection._execute and reads Connection._conn on the thread)."""
    assert inspect.iscoroutinefunction(aiosqlite.Connection._execute)
    assert list(inspect.signature(aiosqlite.Connection._execute).parameters)[:2] == ["self", "fn"]
    assert isinstance(inspect.getattr_static(aiosqlite.Connection, "_conn"), property)
    assert hasattr(aiosqlite.Connection, "stop")  # SQLAlchemy's terminate needs it


async def test_make_engine_picks_the_one_hop_driver(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, sqlite_driver.HopConnection)
    assert engine.url.drivername == f"sqlite+{sqlite_driver.DRIVER}"


async def test_sqlite_runs_on_the_connection_thread_not_the_event_loop(
    engine: AsyncEngine,
) -> None:
    def register(conn: Connection) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)

    async with engine.connect() as conn:
        await conn.run_sync(register)
        ran_on = await conn.scalar(text("SELECT thread_id()"))
    assert ran_on != threading.get_ident()


async def test_a_statement_costs_one_round_trip_and_a_transaction_one_more(
    engine: AsyncEngine, hops: list[int], statements: list[str]
) -> None:
    async with engine.connect() as conn:
        await conn.commit()
        hops[0] = 0
        statements.clear()
        await conn.execute(text("UPDATE document_series SET next_number = next_number"))
        await conn.scalar(text("SELECT count(*) FROM document_series"))
        await conn.execute(text("SELECT series FROM document_series WHERE 0"))
        await conn.commit()
    assert statements[0] == "BEGIN IMMEDIATE"  # still sent, with the first statement
    assert hops[0] == 3 + 1


async def test_hops_per_use_case_on_the_transactor(
    tx: Transactor, hops: list[int], statements: list[str]
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer)
    cancel = billing.commands.CancelInvoice(invoice.id, "not needed", Actor.system())

    hops[0] = 0
    statements.clear()
    await tx.run(billing.cancel_invoice, cancel)
    sent = [s for s in statements if not s.startswith("BEGIN")]
    assert len(sent) >= 9  # the lock, the note, its lines, the journal, audit, outbox...
    assert hops[0] == 1 + 1  # ...all in one batch (`db.run_near`), then the COMMIT

    hops[0] = 0
    statements.clear()
    await tx.read(billing.queries.invoice_view, invoice.id)
    sent = [s for s in statements if not s.startswith("BEGIN")]
    assert hops[0] == len(sent) + 1

    async def touch(conn: AsyncConnection, _now: object) -> None:
        await conn.execute(text("UPDATE document_series SET next_number = next_number"))

    async def one(conn: AsyncConnection) -> int:
        return int(await conn.scalar(text("SELECT 1")) or 0)

    hops[0] = 0
    await tx.run_statement(touch)  # no BEGIN, and no COMMIT either: nothing is open
    assert hops[0] == 1
    hops[0] = 0
    assert await tx.read_statement(one) == 1
    assert hops[0] == 1
    hops[0] = 0
    await tx.run_core(touch)
    assert hops[0] == 2


async def test_rowcount_lastrowid_returning_description_and_executemany(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert inserted.lastrowid == 1
        assert inserted.rowcount == 1
        many = await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        assert many.rowcount == 2
        returned = await conn.execute(
            text("UPDATE t SET v = v || '!' WHERE id > 1 RETURNING id, v")
        )
        assert list(returned.keys()) == ["id", "v"]
        assert sorted(returned.all()) == [(2, "b!"), (3, "c!")]
        updated = await conn.execute(text("UPDATE t SET v = 'z' WHERE id < 3"))
        assert updated.rowcount == 2
        empty = await conn.execute(text("SELECT id, v FROM t WHERE id > 99"))
        assert list(empty.keys()) == ["id", "v"]
        assert empty.all() == []
        streamed = await conn.stream(text("SELECT id FROM t ORDER BY id"))
        assert [row.id async for row in streamed] == [1, 2, 3]
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all() == [
            "z",
            "z",
            "c!",
        ]


async def test_errors_are_still_sqlalchemys_and_the_connection_stays_usable(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError) as caught:
            await conn.execute(
                text("INSERT INTO document_series (series, next_number) VALUES ('INV', 1)")
            )
        assert isinstance(caught.value.orig, sqlite3.IntegrityError)
        await conn.rollback()
        with pytest.raises(exc.OperationalError):
            await conn.execute(text("SELECT nope FROM document_series"))
        await conn.rollback()
        assert await conn.scalar(text("SELECT count(*) FROM document_series")) >= 1


async def test_a_writer_holds_the_write_lock_from_its_first_statement(
    engine: AsyncEngine, database: str
) -> None:
    """The deferred BEGIN IMMEDIATE is sent: another process's writer is locked out, and ours
    gets "database is locked" (transient) while that one holds the lock."""
    path = database.removeprefix("sqlite+aiosqlite:///")
    other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        async with engine.begin() as conn:
            await conn.scalar(text("SELECT next_number FROM document_series"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        reader = engine.execution_options(**{READ_ONLY: True})
        async with reader.begin() as conn:
            await conn.scalar(text("SELECT next_number FROM document_series"))
            other.execute("BEGIN IMMEDIATE")  # readers take no write lock
            other.execute("ROLLBACK")

        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(exc.OperationalError) as caught:
            async with engine.begin() as conn:
                await conn.scalar(text("SELECT next_number FROM document_series"))
        assert is_transient(caught.value)
        other.execute("ROLLBACK")
        async with engine.begin() as conn:  # the same pooled connection, usable again
            await conn.execute(text("UPDATE document_series SET next_number = next_number"))
    finally:
        other.close()


async def test_a_streamed_first_statement_sends_the_waiting_begin_first(
    engine: AsyncEngine, database: str
) -> None:
    other = sqlite3.connect(database.removeprefix("sqlite+aiosqlite:///"), timeout=0.05)
    try:
        async with engine.begin() as conn:
            streamed = await conn.stream(text("SELECT series FROM document_series"))
            assert [row.series async for row in streamed]
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


async def test_autocommit_isolation_still_commits_each_statement(engine: AsyncEngine) -> None:
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    async with autocommit.connect() as conn:
        await conn.execute(text("UPDATE document_series SET next_number = 42"))
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT max(next_number) FROM document_series")) == 42


async def test_single_statement_writes_are_committed_without_a_commit(
    engine: AsyncEngine, hops: list[int], statements: list[str]
) -> None:
    single = engine.execution_options(**{SINGLE_STATEMENT: True})
    async with single.begin() as conn:
        await conn.execute(text("UPDATE document_series SET next_number = 77"))
    assert not [s for s in statements if s.startswith("BEGIN")]
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT max(next_number) FROM document_series")) == 77


async def test_a_transaction_with_no_statement_sends_nothing(
    engine: AsyncEngine, hops: list[int]
) -> None:
    async with engine.connect() as conn:
        await conn.commit()
        hops[0] = 0
        async with conn.begin():
            pass
        async with conn.begin() as rolled_back:
            await rolled_back.rollback()
    assert hops[0] == 0


async def test_savepoints_and_rollback_keep_their_meaning(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE document_series SET next_number = 5"))
        async with conn.begin_nested() as nested:
            await conn.execute(text("UPDATE document_series SET next_number = 6"))
            await nested.rollback()
        assert await conn.scalar(text("SELECT max(next_number) FROM document_series")) == 5
        await conn.rollback()
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT max(next_number) FROM document_series")) == 1


async def test_use_cases_still_commit_and_roll_back_through_the_transactor(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)

    async def fail(uow: UnitOfWork) -> None:
        await uow.session.execute(text("UPDATE document_series SET next_number = 99"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await tx.run(fail)

    async def read(uow: UnitOfWork) -> tuple[int, str]:
        number = await uow.session.scalar(text("SELECT max(next_number) FROM document_series"))
        name = await uow.session.scalar(
            text("SELECT name FROM customers WHERE id = :id"), {"id": customer.id}
        )
        return int(number or 0), str(name)

    assert await tx.read(read) == (1, customer.name)


async def test_run_near_sends_a_batch_of_statements_in_one_round_trip_off_the_loop(
    engine: AsyncEngine, hops: list[int], database: str
) -> None:
    """`db.run_near`: the Python between statements runs on the connection's thread too, so a
    batch costs one round trip; our BEGIN IMMEDIATE still rides with its first statement."""
    loop_thread = threading.get_ident()

    def batch(conn: Connection) -> tuple[int, int, int]:
        python_on = threading.get_ident()
        conn.execute(text("UPDATE document_series SET next_number = next_number + 1"))
        sqlite_on = int(conn.scalar(text("SELECT thread_id()")) or 0)
        drawn = int(conn.scalar(text("SELECT max(next_number) FROM document_series")) or 0)
        return python_on, sqlite_on, drawn

    other = sqlite3.connect(database.removeprefix("sqlite+aiosqlite:///"), timeout=0.05)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(
                lambda sync: sync.connection.dbapi_connection.create_function(  # type: ignore[union-attr]
                    "thread_id", 0, threading.get_ident
                )
            )
            await conn.commit()
            hops[0] = 0
            async with conn.begin():
                python_on, sqlite_on, drawn = await run_near(conn, batch)
                assert hops[0] == 1
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            assert hops[0] == 2  # and the COMMIT
    finally:
        other.close()
    assert python_on == sqlite_on != loop_thread
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT max(next_number) FROM document_series")) == drawn


async def test_run_near_errors_come_out_as_raised_and_roll_back(engine: AsyncEngine) -> None:
    """A DBAPI error inside a batch is SQLAlchemy's, as outside one; any other exception comes
    out unchanged; either way the transaction rolls back and the connection stays usable."""

    def duplicate(conn: Connection) -> None:
        conn.execute(text("UPDATE document_series SET next_number = 50"))
        conn.execute(text("INSERT INTO document_series (series, next_number) VALUES ('INV', 1)"))

    def refuse(conn: Connection) -> None:
        conn.execute(text("UPDATE document_series SET next_number = 60"))
        raise LookupError("a rule said no")

    for batch, error in ((duplicate, exc.IntegrityError), (refuse, LookupError)):
        with pytest.raises(error):
            async with engine.begin() as conn:
                await run_near(conn, batch)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT max(next_number) FROM document_series")) == 1
        assert await run_near(conn, lambda sync: sync.scalar(text("SELECT 7"))) == 7


async def test_run_near_waits_for_another_writer_on_its_thread_and_says_transient(
    engine: AsyncEngine, database: str
) -> None:
    """A batch whose BEGIN IMMEDIATE meets another process's write lock waits on the
    connection's thread (the busy timeout), then fails as a transient error the Transactor
    retries; the pooled connection is usable afterwards."""
    other = sqlite3.connect(database.removeprefix("sqlite+aiosqlite:///"), timeout=0.05)
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    def touch(conn: Connection) -> None:
        conn.execute(text("UPDATE document_series SET next_number = next_number"))

    try:
        other.execute("BEGIN IMMEDIATE")
        ticker = asyncio.create_task(ticking())
        with pytest.raises(exc.OperationalError) as caught:
            async with engine.begin() as conn:
                await run_near(conn, touch)
        ticker.cancel()
        assert is_transient(caught.value)
        assert ticks >= 5  # the loop ran on while the batch waited the busy timeout (0.2 s)
        other.execute("ROLLBACK")
        async with engine.begin() as conn:
            await run_near(conn, touch)
    finally:
        other.close()
