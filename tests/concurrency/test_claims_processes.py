"""D4, T3: ten agents in ten separate processes, each with its own engine, claim from a thousand
open tickets at once: every ticket is claimed exactly once and every claim is audited, on SQLite
(one database file shared by the processes; BEGIN IMMEDIATE + conditional UPDATE) and PostgreSQL
(SKIP LOCKED + conditional UPDATE).

In-process tasks share one interpreter and one engine; here nothing is shared but the database,
as with several console workers. The workers run tests/concurrency/claim_worker.py.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

import ticketing
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor, UnitOfWork
from tests.services.ticketing.builders import make_agent, make_customer
from ticketing.commands import OpenTicket
from ticketing.models import Ticket, TicketKind, TicketStatus

TICKETS = 1_000
WORKERS = 10
ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60  # seconds for ten interpreters to import and connect on two cores
RUN_TIMEOUT = 120


async def _open_many(uow: UnitOfWork, customer_id: int, count: int) -> list[int]:
    actor = Actor.customer(customer_id)
    ids = []
    for i in range(count):
        cmd = OpenTicket(customer_id, TicketKind.QUESTION, f"question {i}", actor)
        ids.append((await ticketing.open_ticket(uow, cmd)).id)
    return ids


async def _tickets(uow: UnitOfWork) -> dict[int, tuple[str, int | None]]:
    rows = await uow.session.execute(select(Ticket.id, Ticket.status, Ticket.assignee_id))
    return {tid: (status, assignee) for tid, status, assignee in rows}


async def _claim_audits(uow: UnitOfWork) -> list[tuple[int, str]]:
    rows = await uow.session.execute(
        select(AuditRow.subject_id, AuditRow.actor_id).where(
            AuditRow.action == "ticket.claimed", AuditRow.subject_type == "ticket"
        )
    )
    return [(int(subject), actor) for subject, actor in rows]


async def _run_workers(database_url: str, agents: list[Actor]) -> dict[str, list[int]]:
    """Start one process per agent, wait until all are connected, start them together, and
    collect what each claimed: agent user id -> ticket ids."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.concurrency.claim_worker",
            database_url,
            agent.id,
            agent.name,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for agent in agents
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            ready = await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT)
            if ready != b"ready\n":
                _, err = await proc.communicate()
                raise AssertionError(f"worker did not start: {ready!r}\n{err.decode()}")
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        outputs = await asyncio.wait_for(
            asyncio.gather(*(proc.communicate() for proc in procs)), RUN_TIMEOUT
        )
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    results: dict[str, list[int]] = {}
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, f"worker failed ({proc.returncode}):\n{err.decode()}"
        answer = json.loads(out.decode().strip().splitlines()[-1])
        results[str(answer["agent"])] = [int(t) for t in answer["taken"]]
    return results


@pytest.mark.slow
async def test_d4_t3_ten_agent_processes_claim_a_thousand_tickets_each_exactly_once(
    tx: Transactor, settings: Settings
) -> None:
    customer = await make_customer(tx)
    agents = [await make_agent(tx) for _ in range(WORKERS)]
    opened = [
        tid for _ in range(TICKETS // 250) for tid in await tx.run(_open_many, customer.id, 250)
    ]

    started = time.monotonic()
    results = await _run_workers(settings.database_url, agents)
    elapsed = time.monotonic() - started

    claims = Counter(tid for taken in results.values() for tid in taken)
    duplicates = sorted(tid for tid, n in claims.items() if n > 1)
    unclaimed = sorted(set(opened) - set(claims))
    assert (len(duplicates), len(unclaimed)) == (0, 0), (duplicates[:10], unclaimed[:10])
    assert set(claims) == set(opened)
    holder = {tid: agent for agent, taken in results.items() for tid in taken}
    tickets = await tx.read(_tickets)
    assert {tid: (status, str(assignee)) for tid, (status, assignee) in tickets.items()} == {
        tid: (TicketStatus.IN_PROGRESS.value, holder[tid]) for tid in opened
    }
    audits = await tx.read(_claim_audits)
    assert sorted(audits) == sorted(holder.items()), "each claim audited once, by its claimer"
    busy = [len(taken) for taken in results.values()]
    assert sum(1 for n in busy if n) > 1, busy  # the work really was shared
    backend = settings.database_url.split(":")[0]
    print(f"{backend}: {TICKETS} claims by {WORKERS} processes in {elapsed:.1f}s, each {busy}")
