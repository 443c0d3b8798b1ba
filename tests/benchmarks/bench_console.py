"""Console benchmark (not collected by pytest): server time of the queue's first page and of a
ticket page with 1k, 10k and 100k tickets in the table, p50/p99 over HTTP (the guard's
session lookup included), printed beside a bare SELECT of the same page's rows.

    python -m tests.benchmarks.bench_console                      # SQLite and PostgreSQL
    python -m tests.benchmarks.bench_console --sizes 1000 --backends sqlite --runs 50
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

import ticketing
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from support_desk.migrations import upgrade
from support_desk.wiring import Runtime, build_web_app
from tests import backends
from tests.benchmarks.bench_ticketing import bulk_tickets, empty_tickets
from tests.services.ticketing import builders
from ticketing.commands import AddCustomerMessage, CreateUser
from ticketing.models import Role, Ticket, TicketKind, TicketMessage
from ticketing.queue import QueueFilter, queue_statement

TIMES = "bench_console_times"
PG_DB = "sd_bench_console"  # its own database: other benchmarks may run meanwhile


async def database(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        return url
    return await asyncio.to_thread(backends.prepare_postgres, PG_DB)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        request.app[TIMES].append((time.perf_counter() - started) * 1000)


async def signed_in(client: TestClient) -> None:
    page = await (await client.get("/console/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    form = {"csrf": token.group(1), "login": "bench", "password": builders.PASSWORD}
    assert (await client.post("/console/login", data=form, allow_redirects=False)).status == 303


async def a_real_ticket(tx: Transactor) -> int:
    """A refund ticket with a thread and money beside it, made by the use cases."""
    customer = await builders.make_customer(tx)
    invoice = await builders.make_invoice(tx, customer, builders.line(5000), builders.line(900))
    invoice = await builders.pay(tx, invoice)
    ticket = await builders.open_about(tx, invoice, TicketKind.REFUND)
    for n in range(10):
        cmd = AddCustomerMessage(ticket.id, f"message {n}", Actor.customer(customer.id))
        await tx.run(ticketing.add_customer_message, cmd)
    return ticket.id


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):7.2f} ms  p99 {p99:7.2f} ms"


async def timed_http(client: TestClient, app: web.Application, path: str, runs: int) -> str:
    app[TIMES].clear()
    for _ in range(runs):
        response = await client.get(path)
        assert response.status == 200, (path, response.status)
        await response.read()
    return figures(list(app[TIMES]))


async def timed_select(tx: Transactor, make: Callable[[], object], runs: int) -> str:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        async with tx.engine.connect() as conn:
            (await conn.execute(make())).all()  # type: ignore[call-overload]
        samples.append((time.perf_counter() - started) * 1000)
    return figures(samples)


async def run(backend: str, sizes: list[int], runs: int) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        url = await database(backend, Path(workdir))
        engine = make_engine(url)
        tx = Transactor(engine, FrozenClock(), Settings(database_url=url))
        cmd = CreateUser("bench", "Bench", builders.password_hash(), Role.AGENT, builders.SYSTEM)
        user = await tx.run(ticketing.create_user, cmd)
        actor = ticketing.actor_of(user)
        app = build_web_app(Runtime(tx.settings, engine, tx))
        app[TIMES] = []
        app.middlewares.append(timed)
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            await signed_in(client)
            print(f"{backend}:")
            for size in sizes:
                await one_size(tx, client, app, actor, size, runs)
        finally:
            await client.close()
            await empty_tickets(engine)
            await engine.dispose()


async def one_size(
    tx: Transactor, client: TestClient, app: web.Application, actor: Actor, size: int, runs: int
) -> None:
    await empty_tickets(tx.engine)
    ticket_id = await a_real_ticket(tx)
    customer_id = (await tx.read(ticketing.ticket_view, ticket_id, actor)).customer_id
    await bulk_tickets(tx, customer_id, int(actor.id), size - 1, mixed=True)
    async with tx.engine.begin() as conn:
        await conn.exec_driver_sql("ANALYZE")
    queue = queue_statement(actor, QueueFilter(), tx.clock.now())
    thread = (
        select(Ticket, TicketMessage)
        .join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
        .where(Ticket.id == ticket_id)
    )
    print(f"  {size:>7} tickets")
    print(f"    queue page   server {await timed_http(client, app, '/console/', runs)}")
    print(f"    queue SELECT        {await timed_select(tx, lambda: queue, runs)}")
    path = f"/console/tickets/{ticket_id}"
    print(f"    ticket page  server {await timed_http(client, app, path, runs)}")
    print(f"    ticket SELECT       {await timed_select(tx, lambda: thread, runs)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    random.seed(7)
    sizes = [int(s) for s in args.sizes.split(",")]
    for backend in args.backends.split(","):
        asyncio.run(run(backend, sizes, args.runs))


if __name__ == "__main__":
    main()
