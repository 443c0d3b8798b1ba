"""The database engine: SQLite done right (WAL, busy timeout, BEGIN IMMEDIATE) or PostgreSQL.

SQLAlchemy's `with_for_update()` compiles to nothing on SQLite, and pysqlite defers BEGIN so a
read-then-write transaction fails with SQLITE_BUSY at once, ignoring the busy timeout. So we take
over BEGIN: writers start with BEGIN IMMEDIATE (the write lock up front), readers with DEFERRED.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import JSON, DateTime, MetaData, event, func, select
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from support_desk.core import sqlite_driver
from support_desk.core.clock import as_utc

# sqlite+aiosqlite URLs get SQLAlchemy's aiosqlite dialect with one thread round trip per
# statement instead of four (support_desk/core/sqlite_driver.py); make_engine picks it
registry.register(
    f"sqlite.{sqlite_driver.DRIVER}",
    sqlite_driver.__name__,
    sqlite_driver.SQLiteDialect_hops.__name__,
)

READ_ONLY = "support_desk_read_only"
# a connection that runs one write statement, atomic by itself: SQLite gets no BEGIN (the
# driver is in autocommit mode, and a write statement takes the write lock, busy timeout
# included, before it reads anything); see Transactor.run_statement
SINGLE_STATEMENT = "support_desk_single_statement"
SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "busy_timeout=10000",
    "foreign_keys=ON",
    "synchronous=NORMAL",
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every table of every package; one metadata so Alembic sees the whole schema."""

    metadata = MetaData(naming_convention=NAMING)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value


class SafeJSON(TypeDecorator[Any]):
    """JSON (jsonb on PostgreSQL) that stores any document: jsonb refuses the NUL character,
    which client-controlled data (a forged callback, a raw update) can carry, so a NUL is kept
    as U+FFFD instead of failing the transaction, and a webhook never answers 500 forever."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return _without_nul(value)


JSONType = SafeJSON()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored time is UTC")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Build the engine for `url`; SQLite gets its pragmas and explicit BEGIN handling."""
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite+aiosqlite:"):
        url = (
            make_url(url)
            .set(drivername=f"sqlite+{sqlite_driver.DRIVER}")
            .render_as_string(hide_password=False)
        )
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 10})
        kwargs.setdefault("pool_size", 8)
        kwargs.setdefault("max_overflow", 24)
        kwargs.setdefault("pool_timeout", 60)
    else:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 60)
        kwargs.setdefault("pool_timeout", 60)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _take_control_of_sqlite_transactions(engine)
    return engine


def _take_control_of_sqlite_transactions(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver stops emitting its own BEGIN
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get(SINGLE_STATEMENT, False) or _autocommit(options):
            return
        read_only = options.get(READ_ONLY, False)
        # our driver sends it with the transaction's first statement, in the same round trip
        conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def _autocommit(options: Any) -> bool:
    """AUTOCOMMIT asked for as an execution option: then no BEGIN, or nothing would ever be
    committed (SQLAlchemy closes such a connection without a COMMIT). The engine-wide keyword
    is not seen here; nothing of ours uses it on SQLite."""
    return bool(options.get("isolation_level") == "AUTOCOMMIT")


P = ParamSpec("P")
T = TypeVar("T")


async def run_near(
    conn: AsyncConnection,
    function: Callable[Concatenate[Connection, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`function(sync_connection, ...)` where the driver works: several statements and the logic
    between them for the price of one. On SQLite the whole call runs on the connection's own
    thread, one round trip instead of one per statement (never on the event loop's thread);
    elsewhere it is `AsyncConnection.run_sync`. `function` only executes statements."""
    sync = conn.sync_connection
    raw = None if sync is None else sync.connection.dbapi_connection
    if sync is not None and isinstance(raw, sqlite_driver.HopConnection):
        return await raw.batch(lambda: function(sync, *args, **kwargs))
    return await conn.run_sync(function, *args, **kwargs)


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying the whole transaction for: SQLite busy, PG serialization/deadlock."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in ("40001", "40P01"):
        return True
    text = str(orig if orig is not None else exc).lower()
    return "database is locked" in text or "database is busy" in text


async def serialize_on(session: AsyncSession, namespace: int, key: int) -> None:
    """Hold a lock on (`namespace`, `key`) until this transaction ends, for races where no row
    exists yet to lock (e.g. "no chat is linked" read by one transaction while another links it).

    PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do, every write
    transaction already holds the database's one write lock from its BEGIN IMMEDIATE."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(namespace, key)))
