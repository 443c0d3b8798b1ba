"""The REST API's own cost around a use case, measured from outside: server CPU per call.

Why this ceiling: an API call is worth its use case plus what the HTTP face adds (parsing,
the key check, the idempotency record, rendering the seed-shaped JSON, the response). The
server runs in a process of its own, so its CPU (read from /proc) is the whole of the call's
cost on the server's side; beside it, the same use case run directly on the same database in
this process, and aiohttp's floor: the trivial /healthz handler in the same server.

    python -m tests.benchmarks.bench_api --calls 500 --invoices 1000,100000

The API's own cost is (server CPU per call) - (use case CPU per call). Each cancellation takes
an invoice of its own, with an Idempotency-Key as a client would send.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy import func, insert, select

import billing
from billing.commands import CancelInvoice, CreateCustomer, IssueInvoice, NewLine
from billing.models import Invoice, InvoiceLine
from support_desk.core.actors import Actor
from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from support_desk.migrations import upgrade
from web.platform.keys import CreateApiKey, create_api_key

STAFF = Actor.system("bench")
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
LINES = (
    NewLine(name="VPS S", quantity=1, unit_price_minor=1_000, tax_rate_bp=2_000),
    NewLine(name="Backup", quantity=2, unit_price_minor=250, tax_rate_bp=825),
)


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


@dataclass(frozen=True, slots=True)
class Figure:
    calls: int
    cpu_ms: float  # per call
    p50_ms: float


async def issue(tx: Transactor, count: int) -> list[int]:
    customer = await tx.run(
        billing.create_customer,
        CreateCustomer(external_id=f"api-bench-{time.time_ns()}", name="Bench", actor=STAFF),
    )
    cmd = IssueInvoice(customer_id=customer.id, currency="EUR", lines=LINES, actor=STAFF)
    return [(await tx.run(billing.issue_invoice, cmd)).id for _ in range(count)]


async def bulk_rows(tx: Transactor, total: int) -> None:
    """Grow the invoices table to `total` rows by copying one issued invoice (setup only):
    the figures must stay flat from 1k to 100k rows."""
    invoices, lines = Invoice.__table__, InvoiceLine.__table__
    async with tx.engine.begin() as conn:
        have = int(await conn.scalar(select(func.count()).select_from(invoices)) or 0)
        model = dict((await conn.execute(select(invoices).limit(1))).mappings().one())
        line = dict((await conn.execute(select(lines).limit(1))).mappings().one())
        top = int(await conn.scalar(select(func.max(invoices.c.id))) or 0)
        line.pop("id")
        for start in range(top + 1, top + 1 + total - have, 5_000):
            ids = range(start, min(start + 5_000, top + 1 + total - have))
            await conn.execute(
                insert(invoices), [{**model, "id": i, "series": "BULK", "number": i} for i in ids]
            )
            await conn.execute(insert(lines), [{**line, "invoice_id": i} for i in ids])


async def timed(
    calls: int, op: Callable[[int], Awaitable[object]], cpu: Callable[[], float]
) -> Figure:
    latencies = []
    for i in range(30):  # warm caches, pool and statement cache
        await op(i)
    before = cpu()
    for i in range(30, 30 + calls):  # each cancellation its own invoice, after the warm-up's
        start = time.perf_counter()
        await op(i)
        latencies.append(time.perf_counter() - start)
    spent = cpu() - before
    return Figure(calls, 1000 * spent / calls, 1000 * statistics.median(latencies))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    code = (
        "import asyncio, sys\n"
        "from aiohttp import web\n"
        "from support_desk.core.clock import SystemClock\n"
        "from support_desk.core.db import make_engine\n"
        "from support_desk.core.settings import Settings\n"
        "from support_desk.core.tx import Transactor\n"
        "from support_desk.wiring import Runtime, build_web_app\n"
        "url, port = sys.argv[1], int(sys.argv[2])\n"
        "settings = Settings(database_url=url)\n"
        "engine = make_engine(url)\n"
        "tx = Transactor(engine, SystemClock(), settings)\n"
        "web.run_app(build_web_app(Runtime(settings, engine, tx)), host='127.0.0.1', "
        "port=port, print=None, access_log=None)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code, url, str(port)])


async def wait_ready(session: aiohttp.ClientSession, base: str) -> None:
    async with asyncio.timeout(60):
        while True:
            try:
                async with session.get(base + "/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)


async def measure(url: str, rows: int, calls: int) -> dict[str, Figure]:
    engine = make_engine(url)
    tx = Transactor(engine, SystemClock(), Settings(database_url=url))
    key = await tx.run(create_api_key, CreateApiKey("bench", STAFF))
    to_read = await issue(tx, 1)
    direct_cancel, api_cancel = await issue(tx, calls + 30), await issue(tx, calls + 30)
    await bulk_rows(tx, rows)
    port = free_port()
    server = start_server(url, port)
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key.key}"}
    figures: dict[str, Figure] = {}
    try:
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, base)
            on_server = lambda: server_cpu(server.pid)  # noqa: E731

            async def health(_: int) -> None:
                async with session.get(base + "/healthz") as r:
                    await r.read()

            async def read_api(_: int) -> None:
                async with session.get(
                    f"{base}/invoicing/v2/invoices/{to_read[0]}", headers=auth
                ) as r:
                    assert r.status == 200, await r.text()
                    await r.read()

            async def cancel_api(i: int) -> None:
                headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
                path = f"{base}/invoicing/v2/invoices/{api_cancel[i]}/cancelation"
                async with session.post(path, json={"reason": "bench"}, headers=headers) as r:
                    assert r.status == 200, await r.text()
                    await r.read()

            figures["aiohttp floor (/healthz)"] = await timed(calls, health, on_server)
            figures["API read of an invoice"] = await timed(calls, read_api, on_server)
            figures["API cancellation"] = await timed(calls, cancel_api, on_server)

        async def read_direct(_: int) -> None:
            await tx.read(billing.queries.invoice_view, to_read[0])

        async def cancel_direct(i: int) -> None:
            cmd = CancelInvoice(
                direct_cancel[i], "bench", STAFF, idempotency_key=str(uuid.uuid4())
            )
            await tx.run(billing.cancel_invoice, cmd)

        figures["use case: read"] = await timed(calls, read_direct, time.process_time)
        figures["use case: cancellation"] = await timed(calls, cancel_direct, time.process_time)
    finally:
        server.terminate()
        server.wait(10)
        await engine.dispose()
    return figures


def report(label: str, figures: dict[str, Figure]) -> None:
    print(f"\n{label}")
    print(f"  {'path':<28} {'calls':>6} {'CPU ms/call':>12} {'p50 ms':>8}")
    for name, f in figures.items():
        print(f"  {name:<28} {f.calls:>6} {f.cpu_ms:>12.2f} {f.p50_ms:>8.2f}")
    read = figures["API read of an invoice"].cpu_ms - figures["use case: read"].cpu_ms
    cancel = figures["API cancellation"].cpu_ms - figures["use case: cancellation"].cpu_ms
    print(f"  the API's own cost: read {read:.2f} ms, cancellation {cancel:.2f} ms per call")


async def main(calls: int, sizes: list[int], pg_admin: str | None) -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {calls} calls each")
    for rows in sizes:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'api.db'}"
            await asyncio.to_thread(upgrade, url)
            report(f"sqlite, {rows:,} invoices", await measure(url, rows, calls))
        if pg_admin:
            from tests.benchmarks.bench_billing import postgres_database

            url = await postgres_database(pg_admin, "bench_api")
            if url is not None:
                report(f"postgresql, {rows:,} invoices", await measure(url, rows, calls))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_api")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--invoices", default="1000,100000", help="table sizes, e.g. 1000,100000")
    parser.add_argument(
        "--pg-admin-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.invoices.split(",")]
    asyncio.run(main(args.calls, sizes, None if args.no_postgres else args.pg_admin_url))
