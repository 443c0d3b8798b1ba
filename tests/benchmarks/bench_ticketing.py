"""Ticketing benchmark (not collected by pytest): claims per second with 1, 10 and 50 concurrent
agents, and the time to list the first page of the queue with a large table, with its query plan.

    python -m tests.benchmarks.bench_ticketing --claims 500 --queue 100000
    python -m tests.benchmarks.bench_ticketing --claims 20 --queue 1000 --backends sqlite  # tiny
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

import billing
import ticketing
from billing.commands import CreateCustomer
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from support_desk.migrations import upgrade
from tests import backends
from ticketing.commands import ClaimNext, CreateUser
from ticketing.errors import QueueEmpty
from ticketing.models import Role, Ticket, TicketStatus
from ticketing.queries import queue_statement

PG_DB = "sd_bench_ticketing"
SYSTEM = Actor.system("bench")
HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("bench")
STATUSES = [TicketStatus.OPEN] * 3 + [TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED] * 2


async def database(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        return url
    return await asyncio.to_thread(backends.prepare_postgres, PG_DB)


async def empty_tickets(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for table in ("ticket_messages", "tickets", "audit_log", "outbox", "idempotency_keys"):
            await conn.execute(text(f"DELETE FROM {table}"))


async def seed_people(tx: Transactor, agents: int) -> tuple[int, list[Actor]]:
    stamp = time.monotonic_ns()
    cust = CreateCustomer(external_id=f"bench-{stamp}", name="Bench", actor=SYSTEM)
    customer = await tx.run(billing.create_customer, cust)
    people = []
    for i in range(agents):
        cmd = CreateUser(f"agent-{stamp}-{i}", f"Agent {i}", HASH, Role.AGENT, SYSTEM)
        people.append(ticketing.actor_of(await tx.run(ticketing.create_user, cmd)))
    return customer.id, people


def ticket_row(tx: Transactor, customer_id: int, status: TicketStatus, user_id: int) -> Any:
    now = tx.clock.now()
    due = now + timedelta(minutes=random.randint(0, 60 * 24 * 14))  # noqa: S311
    return {
        "kind": random.choice(["refund", "question", "compound_split"]),  # noqa: S311
        "status": status.value,
        "priority": random.randint(0, 3),  # noqa: S311
        "customer_id": customer_id,
        "invoice_id": None,
        "line_ids": [],
        "service_ids": [],
        "reason": "benchmark",
        "assignee_id": None if status is TicketStatus.OPEN else user_id,
        "created_at": now,
        "updated_at": now,
        "first_response_due_at": due,
        "resolution_due_at": due + timedelta(days=2),
        "due_at": due,
        "awaiting_approval": False,
        "version": 1,
    }


async def bulk_tickets(
    tx: Transactor, customer_id: int, user_id: int, count: int, mixed: bool
) -> None:
    for start in range(0, count, 5_000):
        rows = [
            ticket_row(
                tx,
                customer_id,
                random.choice(STATUSES) if mixed else TicketStatus.OPEN,  # noqa: S311
                user_id,
            )
            for _ in range(min(5_000, count - start))
        ]
        async with tx.engine.begin() as conn:
            await conn.execute(insert(Ticket), rows)


async def claim_until_empty(tx: Transactor, agent: Actor) -> int:
    taken = 0
    while True:
        try:
            await tx.run(ticketing.claim_next, ClaimNext(agent))
        except QueueEmpty:
            return taken
        taken += 1


async def bench_claims(tx: Transactor, customer_id: int, people: list[Actor], n: int) -> None:
    for agents in (1, 10, 50):
        await empty_tickets(tx.engine)
        await bulk_tickets(tx, customer_id, int(people[0].id), n, mixed=False)
        started = time.perf_counter()
        taken = await asyncio.gather(*(claim_until_empty(tx, a) for a in people[:agents]))
        elapsed = time.perf_counter() - started
        assert sum(taken) == n, (sum(taken), n)
        print(f"  claims, {agents:>2} agents: {n / elapsed:8.1f} claims/s ({n} in {elapsed:.2f}s)")


async def explain(engine: AsyncEngine) -> list[str]:
    stmt = queue_statement(TicketStatus.OPEN, None, 50)
    sql = str(stmt.compile(engine.sync_engine, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    async with engine.connect() as conn:
        rows = (await conn.exec_driver_sql(prefix + sql)).all()
    return [" | ".join(str(c) for c in row) for row in rows]


async def bench_queue(tx: Transactor, customer_id: int, people: list[Actor], n: int) -> None:
    await empty_tickets(tx.engine)
    await bulk_tickets(tx, customer_id, int(people[0].id), n, mixed=True)
    if tx.engine.dialect.name == "postgresql":
        async with tx.engine.begin() as conn:
            await conn.execute(text("ANALYZE tickets"))
    else:
        async with tx.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        page = await tx.read(ticketing.queue_page, people[0], limit=50)
        timings.append((time.perf_counter() - started) * 1000)
    assert len(page.items) == 50
    print(
        f"  queue first page of 50 with {n} tickets: median {statistics.median(timings):.2f} ms,"
        f" min {min(timings):.2f} ms (20 runs)"
    )
    print("  plan:")
    for line in await explain(tx.engine):
        print(f"    {line}")


async def run(backend: str, claims: int, queue: int) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        url = await database(backend, Path(workdir))
        engine = make_engine(url)
        tx = Transactor(engine, FrozenClock(), Settings(database_url=url))
        try:
            print(f"{backend}:")
            customer_id, people = await seed_people(tx, 50)
            await bench_claims(tx, customer_id, people, claims)
            await bench_queue(tx, customer_id, people, queue)
            await empty_tickets(engine)
        finally:
            await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=500, help="open tickets per claim run")
    parser.add_argument("--queue", type=int, default=100_000, help="tickets in the queue table")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    random.seed(7)
    for backend in args.backends.split(","):
        asyncio.run(run(backend, args.claims, args.queue))


if __name__ == "__main__":
    main()
