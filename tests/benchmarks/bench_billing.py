"""Cancellations per second through the service layer, beside bare inserts on the same database.

Why the ceiling: a cancellation is one transaction that locks the invoice, numbers a credit note
(gapless, B10), writes the note, its lines, the audit rows and an outbox row. Its rate only means
something next to the rate of the cheapest write transaction the same database, driver and pool
manage in the same run: one single-row INSERT in its own transaction. The ratio is the figure to
watch; absolute rates move with the machine.

    python -m tests.benchmarks.bench_billing --invoices 500 --concurrency 1,8,64

Each configuration cancels its own pre-issued invoices (never measured) with `tx.run`, as the
bot and the console do. CPU is this process's (Python, the driver, and SQLite itself, which runs
in-process); PostgreSQL's server CPU is not included. "stmts/op" counts the SQL statements each
operation sent (a `before_cursor_execute` listener on the engine; BEGIN, which SQLite's writers
send as BEGIN IMMEDIATE and asyncpg sends by itself, and COMMIT are not counted), and "CPU ×" is
the operation's CPU per op over the bare insert's.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

import billing
from billing.commands import CancelInvoice, CreateCustomer, IssueInvoice, NewLine
from support_desk.core.actors import Actor
from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from support_desk.migrations import upgrade

STAFF = Actor.system("bench")
AGENT = Actor.agent(1, "bench")
PG_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
BARE_TABLE = {
    "sqlite": "CREATE TABLE bench_insert (id INTEGER PRIMARY KEY, at TEXT, payload TEXT)",
    "postgresql": "CREATE TABLE bench_insert (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ, "
    "payload TEXT)",
}
BARE_NOW = {"sqlite": "datetime('now')", "postgresql": "now()"}


@dataclass(frozen=True, slots=True)
class Result:
    """One measured run: how many operations, how long, and each one's latency."""

    ops: int
    seconds: float
    cpu_seconds: float
    latencies: tuple[float, ...]  # sorted, in seconds
    statements: int = 0  # SQL statements sent while measuring, BEGIN and COMMIT left out

    @property
    def rate(self) -> float:
        return self.ops / self.seconds

    def percentile_ms(self, q: float) -> float:
        """Nearest-rank percentile: honest for small samples, no interpolation."""
        rank = max(1, round(q / 100 * len(self.latencies)))
        return 1000 * self.latencies[rank - 1]

    @property
    def cpu_ms(self) -> float:
        """CPU milliseconds per operation."""
        return 1000 * self.cpu_seconds / self.ops

    @property
    def statements_per_op(self) -> float:
        return self.statements / self.ops


class StatementCounter:
    """Counts the statements an engine sends (BEGIN left out), from `before_cursor_execute`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith("BEGIN"):
            self.count += 1


async def counted(
    counter: StatementCounter, ops: int, callers: int, op: Callable[[int], Awaitable[object]]
) -> Result:
    """`drive`, with the statements sent meanwhile."""
    before = counter.count
    result = await drive(ops, callers, op)
    return dataclasses.replace(result, statements=counter.count - before)


async def drive(ops: int, callers: int, op: Callable[[int], Awaitable[object]]) -> Result:
    """Run `op(0..ops-1)` from `callers` concurrent tasks and time each call."""
    pending = iter(range(ops))
    latencies: list[float] = []

    async def caller() -> None:
        for i in pending:  # a shared iterator: each index is taken exactly once
            start = time.perf_counter()
            await op(i)
            latencies.append(time.perf_counter() - start)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Result(ops, wall, cpu, tuple(sorted(latencies)))


async def issue_invoices(tx: Transactor, count: int) -> list[int]:
    """Distinct unpaid invoices to cancel (setup, not measured), written through billing."""
    customer = await tx.run(
        billing.create_customer,
        CreateCustomer(external_id=f"bench-{time.time_ns()}", name="Bench", actor=STAFF),
    )
    lines = (
        NewLine(name="VPS S", quantity=1, unit_price_minor=1_000, tax_rate_bp=2_000),
        NewLine(name="Backup", quantity=2, unit_price_minor=250, tax_rate_bp=825),
    )
    cmd = IssueInvoice(customer_id=customer.id, currency="EUR", lines=lines, actor=STAFF)
    ids: list[int] = []

    async def issue(_: int) -> None:
        ids.append((await tx.run(billing.issue_invoice, cmd)).id)

    await drive(count, 8, issue)
    return ids


@dataclass(frozen=True, slots=True)
class Row:
    backend: str
    callers: int
    cancel: Result
    bare: Result


async def measure(tx: Transactor, dialect: str, ops: int, callers: int) -> Row:
    """Bare inserts, then cancellations, at the same concurrency on the same engine."""
    engine = tx.engine
    insert = text(f"INSERT INTO bench_insert (at, payload) VALUES ({BARE_NOW[dialect]}, :p)")

    async def bare(i: int) -> None:
        async with engine.begin() as conn:  # its own transaction; BEGIN IMMEDIATE on SQLite
            await conn.execute(insert, {"p": f"row {i}"})

    async def cancel(i: int) -> None:
        cmd = CancelInvoice(invoice_id=invoices[i], reason="benchmark", actor=AGENT)
        await tx.run(billing.cancel_invoice, cmd)

    invoices = await issue_invoices(tx, ops)
    counter = StatementCounter(engine)
    await drive(min(ops, 20), callers, bare)  # warm the pool and the caches
    bare_result = await counted(counter, ops, callers, bare)
    cancel_result = await counted(counter, ops, callers, cancel)
    return Row(dialect, callers, cancel_result, bare_result)


async def run_backend(url: str, ops: int, callers: list[int]) -> tuple[str, list[Row]]:
    """Measure every concurrency on one migrated database; answers the server's version."""
    engine = make_engine(url)
    try:
        dialect = engine.dialect.name
        async with engine.begin() as conn:
            await conn.execute(text(BARE_TABLE[dialect]))
            version_sql = (
                "SELECT sqlite_version()" if dialect == "sqlite" else "SHOW server_version"
            )
            version = str(await conn.scalar(text(version_sql))).split()[0]
        tx = Transactor(engine, SystemClock(), Settings(database_url=url))
        return version, [await measure(tx, dialect, ops, c) for c in callers]
    finally:
        await engine.dispose()


def sqlite_database(directory: Path) -> str:
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    upgrade(url)
    return url


async def postgres_database(admin_url: str, name: str) -> str | None:
    """A fresh, migrated database `name`, or None (with a message) when PostgreSQL is away."""
    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
    try:
        async with asyncio.timeout(10), engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError) as exc:
        print(f"postgresql: skipped, not reachable at {admin_url}: {exc}")
        return None
    finally:
        await engine.dispose()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    await asyncio.to_thread(upgrade, url)  # Alembic runs its own event loop
    return url


def report(version: str, rows: list[Row]) -> None:
    """Two lines per configuration: the cancellation and the ceiling; the ratio of their rates
    and of their CPU per operation on the first."""
    for r in rows:
        for kind, res in (("cancel", r.cancel), ("bare insert", r.bare)):
            first = kind == "cancel"
            ratio = f"{r.cancel.rate / r.bare.rate:6.3f}" if first else "     -"
            cpu_x = f"{r.cancel.cpu_ms / r.bare.cpu_ms:6.1f}" if first else "     -"
            print(
                f"{r.backend + ' ' + version:<18} {r.callers:>7} {kind:<12} {res.ops:>6} "
                f"{res.rate:>9.1f} {res.percentile_ms(50):>8.2f} {res.percentile_ms(99):>8.2f} "
                f"{res.cpu_ms:>10.2f} {cpu_x} {res.statements_per_op:>9.1f} {ratio}"
            )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.bench_billing",
        description="Invoice cancellations/s through billing's service layer vs bare inserts.",
    )
    parser.add_argument("--invoices", type=int, default=500, help="operations per config")
    parser.add_argument("--concurrency", default="1,8,64", help="concurrent callers, e.g. 1,8,64")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help="where to create the DB")
    parser.add_argument("--pg-db", default="sd_bench", help="dropped and recreated each run")
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> None:
    callers = [int(c) for c in args.concurrency.split(",") if c.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    print(
        f"bench_billing: {args.invoices} cancellations (tx.run(billing.cancel_invoice)) and as "
        f"many bare single-row INSERT transactions per config; callers {callers}; {backends}"
    )
    print(
        f"cpus {os.cpu_count()}, python {platform.python_version()}, sqlite "
        f"{sqlite3.sqlite_version} (stdlib), {platform.platform()}"
    )
    print(
        f"{'backend':<18} {'callers':>7} {'kind':<12} {'ops':>6} {'ops/s':>9} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'CPU ms/op':>10} {'CPU ×':>6} {'stmts/op':>9} ratio"
    )
    with tempfile.TemporaryDirectory(prefix="sd-bench-") as tmp:
        for backend in backends:
            if backend == "sqlite":
                url: str | None = await asyncio.to_thread(sqlite_database, Path(tmp))
            elif backend == "postgresql":
                url = await postgres_database(args.pg_admin_url, args.pg_db)
            else:
                sys.exit(f"unknown backend {backend!r}")
            if url is not None:
                report(*await run_backend(url, args.invoices, callers))
    print(
        "ratio = cancellations/s ÷ bare inserts/s at the same concurrency on the same DB; "
        "CPU × = a cancellation's CPU ÷ a bare insert's"
    )


def main(argv: list[str] | None = None) -> None:
    asyncio.run(main_async(parse(argv)))


if __name__ == "__main__":
    main()
