"""SQLAlchemy's aiosqlite dialect with one thread round trip per statement, not four.

aiosqlite runs each sqlite3 call on the connection's own thread, and each call is a round trip
(a queue put, a thread wakeup, a call_soon_threadsafe back, an event-loop wakeup, two GIL
handoffs: ~70 µs of CPU). SQLAlchemy's generic adapter makes four per statement: create the
cursor, execute, fetchall, close. Here the whole statement, from cursor to rows, is one function
run on that thread; our own BEGIN (db.py sends BEGIN IMMEDIATE or DEFERRED) rides along with the
transaction's first statement, and a COMMIT or ROLLBACK with no transaction open is not sent.
A batch (`HopConnection.batch`, reached through `db.run_near`) goes further: a sync function runs
on that thread, and the statements it sends cost no round trip each. SQLite still never runs on
the event loop's thread, so a lock held by another process (the busy timeout) stalls one
connection's thread, not every user.

We reach into aiosqlite's `Connection._execute` (queue a callable for its thread) and
`Connection._conn` (the sqlite3 connection, read on that thread), as SQLAlchemy's own adapter
reaches into `_conn` and `_tx`; tests/services/test_core_sqlite_driver.py fails loudly if they
change.
"""

from __future__ import annotations

import collections
import sqlite3
import threading
from collections.abc import Callable
from threading import Thread
from types import ModuleType
from typing import Any, TypeVar

from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    AsyncAdapt_aiosqlite_ss_cursor,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

T = TypeVar("T")
DRIVER = "sd_aiosqlite"  # the URL's "sqlite+sd_aiosqlite://" picks this dialect
# BEGINs that may wait for the transaction's first statement: nothing can happen on the
# connection in between, and SQLite takes the lock of BEGIN IMMEDIATE before that statement runs
DEFERRABLE_BEGINS = frozenset({"BEGIN IMMEDIATE", "BEGIN DEFERRED", "BEGIN"})

# what one statement leaves behind: description, rows, rowcount, lastrowid, in_transaction
_Outcome = tuple[Any, list[Any] | None, int, int | None, bool]


def _statement(
    conn: sqlite3.Connection,
    begin: str | None,
    operation: str,
    parameters: Any,
    many: bool,
) -> _Outcome:
    """Everything SQLAlchemy asks of a cursor for one statement, run on aiosqlite's thread."""
    cursor = conn.cursor()
    try:
        if begin is not None:
            cursor.execute(begin)
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description and not many else None
        return description, rows, cursor.rowcount, cursor.lastrowid, conn.in_transaction
    finally:
        cursor.close()


class HopCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor that is a record of its last statement: it owns no sqlite3 cursor between
    calls, so creating and closing it costs no round trip, and executing costs one."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    _adapt_connection: HopConnection

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        self._adapt_connection = adapt_connection  # type: ignore[assignment]
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if not parameters and self._adapt_connection.defer_begin(operation):
            # what a BEGIN leaves on a fresh sqlite3 cursor; the transaction's state is
            # unchanged until the BEGIN is sent
            self._description, self._rowcount, self._lastrowid = None, -1, None
            self._rows.clear()
        else:
            self._run(operation, parameters, many=False)
        return self

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(operation, seq_of_parameters, many=True)
        return self

    def _run(self, operation: str, parameters: Any, *, many: bool) -> None:
        connection = self._adapt_connection
        begin = connection.take_begin()
        outcome = connection.on_thread(_statement, begin, operation, parameters, many)
        self._record(outcome)

    def _record(self, outcome: _Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid, in_transaction = outcome
        self._rows = collections.deque(rows or ())
        self._adapt_connection.maybe_in_transaction = in_transaction

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed in the statement's own call."""

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        raise NotImplementedError("sqlite3 has no nextset")

    def setinputsizes(self, *inputsizes: Any) -> None:
        """sqlite3 ignores input sizes too."""


class FlushingSSCursor(AsyncAdapt_aiosqlite_ss_cursor):
    """SQLAlchemy's server-side cursor (several round trips, rows fetched as read), which first
    sends a BEGIN that still waits, since it talks to aiosqlite's cursor directly."""

    __slots__ = ()

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        assert isinstance(adapt_connection, HopConnection)  # noqa: S101 (only ours make these)
        adapt_connection.flush_begin()
        super().__init__(adapt_connection)
        adapt_connection.maybe_in_transaction = True


class HopConnection(AsyncAdapt_aiosqlite_connection):
    """The adapter connection: it holds a deferred BEGIN, knows whether sqlite3 may be in a
    transaction (as of its last call), and runs callables on aiosqlite's thread in one trip."""

    __slots__ = ("_pending_begin", "maybe_in_transaction", "_batch_thread")

    _cursor_cls = HopCursor
    _ss_cursor_cls = FlushingSSCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._pending_begin: str | None = None
        # unknown counts as "maybe": then COMMIT and ROLLBACK are sent, as sqlite3 would
        self.maybe_in_transaction = True
        self._batch_thread: int | None = None  # aiosqlite's thread, while it runs a batch

    def on_thread(self, function: Callable[..., T], /, *args: Any) -> T:
        """`function(sqlite3_connection, *args)` on aiosqlite's thread: one round trip, or none
        inside a batch, which already runs there."""
        aio = self._connection
        # until the call tells (an error, or a cancelled await, does not), sqlite3 may be in
        # a transaction: then the pool's ROLLBACK is sent
        self.maybe_in_transaction = True
        if self._batch_thread == threading.get_ident():
            try:
                return function(aio._conn, *args)
            except Exception as error:
                self._handle_exception(error)

        def call() -> T:
            return function(aio._conn, *args)

        try:
            return await_(aio._execute(call))  # type: ignore[no-any-return]
        except Exception as error:
            self._handle_exception(error)

    async def batch(self, function: Callable[..., T], /, *args: Any) -> T:
        """`function(*args)` on aiosqlite's thread, where every statement it sends through this
        connection runs at once: a run of statements and the Python between them costs one
        round trip in all. Only statements: a COMMIT, a ROLLBACK or a streamed result inside
        would wait for the event loop, which is waiting for the batch."""
        if self._batch_thread is not None:
            raise RuntimeError("a batch is already running on this connection")

        def call() -> T:
            self._batch_thread = threading.get_ident()
            try:
                return function(*args)
            finally:
                self._batch_thread = None

        self.maybe_in_transaction = True
        return await self._connection._execute(call)  # type: ignore[no-any-return]

    def defer_begin(self, operation: Any) -> bool:
        """Hold `operation` for the next statement if it is a BEGIN that may wait (and sqlite3
        surely has no transaction open, where BEGIN's error must come from BEGIN itself)."""
        if operation not in DEFERRABLE_BEGINS or self._pending_begin is not None:
            return False
        if self.maybe_in_transaction:
            return False
        self._pending_begin = operation
        return True

    def take_begin(self) -> str | None:
        begin, self._pending_begin = self._pending_begin, None
        return begin

    def flush_begin(self) -> None:
        """Send a BEGIN that still waits, before a call that is not one of our statements."""
        begin = self.take_begin()
        if begin is not None:
            self.on_thread(_begin, begin)

    def commit(self) -> None:
        self._end(super().commit)

    def rollback(self) -> None:
        self._end(super().rollback)

    def _end(self, send: Callable[[], None]) -> None:
        """COMMIT or ROLLBACK; skipped when sqlite3 has no transaction open, where sqlite3's
        own commit() and rollback() do nothing either."""
        self._pending_begin = None
        if not self.maybe_in_transaction:
            return
        send()
        self.maybe_in_transaction = False

    @property
    def isolation_level(self) -> str | None:
        return AsyncAdapt_aiosqlite_connection.isolation_level.fget(self)  # type: ignore[attr-defined, no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self.flush_begin()
        AsyncAdapt_aiosqlite_connection.isolation_level.fset(self, value)  # type: ignore[attr-defined]
        self.maybe_in_transaction = True


def _begin(conn: sqlite3.Connection, begin: str) -> None:
    conn.execute(begin).close()


class HopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as a DBAPI module whose connections are HopConnections."""

    def __init__(self, aiosqlite: ModuleType, sqlite: ModuleType) -> None:
        connection = aiosqlite.Connection
        if not (callable(getattr(connection, "_execute", None)) and hasattr(connection, "_conn")):
            raise ImportError(
                f"aiosqlite {getattr(aiosqlite, '__version__', '?')} has no Connection._execute "
                "or Connection._conn: support_desk/core/sqlite_driver.py needs a review"
            )
        super().__init__(aiosqlite, sqlite)

    def connect(self, *arg: Any, **kw: Any) -> HopConnection:
        creator_fn = kw.pop("async_creator_fn", None)
        if creator_fn:
            connection = creator_fn(*arg, **kw)
        else:
            connection = self.aiosqlite.connect(*arg, **kw)
            # the connection's thread must not keep a finished process alive
            worker = connection if isinstance(connection, Thread) else connection._thread
            worker.daemon = True
        return HopConnection(self, await_(connection))


class SQLiteDialect_hops(SQLiteDialect_aiosqlite):  # noqa: N801 (SQLAlchemy's naming)
    """sqlite+sd_aiosqlite://: SQLAlchemy's aiosqlite dialect over HopConnections."""

    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> HopDBAPI:
        return HopDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


dialect = SQLiteDialect_hops
