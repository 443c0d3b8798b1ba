"""M12: the crash-point harness shared by the suite's short run and the long-run script.

A `CrashWorker` forks a child per job (tests/concurrency/crash_worker.py) and the child is
SIGKILLed at a chosen point. `scenario` prepares an operation's invoice in the parent, kills
the operation at one point, checks every invariant by SQL on a fresh engine (the restart),
retries with the same key, and checks it took effect exactly once.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from billing.models import CreditNote, Invoice
from support_desk.core.audit import AuditRow
from support_desk.core.db import make_engine
from support_desk.core.idempotency import IdempotencyRow
from support_desk.core.outbox import OutboxRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import line, make_customer, make_invoice, make_service, pay
from tests.model_billing import numbering_problems, problems, snapshot

ROOT = Path(__file__).resolve().parents[2]
OPS = ("cancel", "refund", "split")


class CrashWorker:
    """One worker process per database; `job` runs one job in a forked child."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> CrashWorker:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.concurrency.crash_worker",
            self.database_url,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        ready = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        assert ready.strip() == b"ready", ready
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.close()
        await asyncio.wait_for(self.proc.wait(), 30)

    async def job(self, **job: Any) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        await self.proc.stdin.drain()
        answer = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        return json.loads(answer)  # type: ignore[no-any-return]


async def prepare(tx: Transactor, op: str) -> dict[str, Any]:
    """A fresh invoice for `op`, and the job fields naming it."""
    customer = await make_customer(tx)
    if op == "cancel":
        invoice = await make_invoice(tx, customer, line(1000))
        return {"invoice_id": invoice.id, "customer_id": customer.id}
    if op == "refund":
        invoice = await make_invoice(tx, customer, line(1000))
        await pay(tx, invoice, invoice.total_minor)
        return {"invoice_id": invoice.id, "amount_minor": 500}
    services = [await make_service(tx, customer, name=n) for n in ("VPS", "Desk", "Mail")]
    invoice = await make_invoice(tx, customer, *(line(900, service=s) for s in services))
    keep = [[invoice.lines[0].id], [invoice.lines[2].id]]
    return {"invoice_id": invoice.id, "keep": keep}


async def _crash_problems(uow: UnitOfWork) -> list[str]:
    """The invariants beyond the money auditor's: what a crash could leave half-done."""
    s = uow.session
    found: list[str] = []
    invoices = list(await s.scalars(select(Invoice)))
    notes = {n.id: n for n in await s.scalars(select(CreditNote))}
    audited = set(
        (await s.execute(select(AuditRow.subject_type, AuditRow.subject_id).distinct())).all()
    )
    outbox = [(o.kind, o.payload) for o in await s.scalars(select(OutboxRow))]
    for inv in invoices:
        note = notes.get(inv.cancelled_with_id or 0)
        if inv.status == "canceled" and (note is None or note.status != "issued"):
            found.append(f"invoice {inv.id} is canceled without an issued credit note")
        if ("invoice", str(inv.id)) not in audited:
            found.append(f"invoice {inv.id} has no audit row")
    for note in notes.values():
        if ("credit_note", str(note.id)) not in audited:
            found.append(f"credit note {note.id} has no audit row")
        told = any(
            p.get("credit_note_id") == note.id
            or (kind == "invoice_split" and p.get("invoice_id") == note.invoice_id)
            for kind, p in outbox
        )
        if note.status == "issued" and not told:
            found.append(f"credit note {note.id} has no outbox row")
    numbers = [i.number for i in invoices if i.number is not None and i.series == "INV"]
    next_inv = await s.scalar(text("SELECT next_number FROM document_series WHERE series='INV'"))
    found += numbering_problems(numbers, int(next_inv or 1), "INV")
    stuck = await s.scalar(
        select(func.count()).select_from(IdempotencyRow).where(IdempotencyRow.result.is_(None))
    )
    if stuck:
        found.append(f"{stuck} idempotency keys reserved with no answer")
    if s.get_bind().dialect.name == "sqlite":
        check = await s.scalar(text("PRAGMA integrity_check"))
        if check != "ok":
            found.append(f"integrity_check: {check}")
    return found


async def invariants(tx: Transactor) -> list[str]:
    """Every invariant, read on a fresh engine, as a restarted process would."""
    engine = make_engine(tx.settings.database_url, pool_size=1, max_overflow=0)
    try:
        fresh = Transactor(engine, tx.clock, tx.settings)
        return problems(await snapshot(fresh)) + await fresh.read(_crash_problems)
    finally:
        await engine.dispose()


async def effects(tx: Transactor, invoice_id: int) -> tuple[int, int]:
    """Credit notes on the invoice, and invoices split from it."""

    async def q(uow: UnitOfWork) -> tuple[int, int]:
        notes = await uow.session.scalar(
            select(func.count(CreditNote.id)).where(CreditNote.invoice_id == invoice_id)
        )
        children = await uow.session.scalar(
            select(func.count(Invoice.id)).where(Invoice.split_from_id == invoice_id)
        )
        return int(notes or 0), int(children or 0)

    return await tx.read(q)


EXPECTED = {"cancel": (1, 0), "refund": (1, 0), "split": (1, 2)}


async def statements(worker: CrashWorker, tx: Transactor, op: str) -> int:
    """How many SQL statements one uncrashed run of `op` sends (BEGIN counted on SQLite)."""
    fields = await prepare(tx, op)
    done = await worker.job(
        op=op, key=f"m12-count-{op}-{fields['invoice_id']}", crash="none", **fields
    )
    assert done["status"] == "done", done
    return int(done["statements"])


async def scenario(worker: CrashWorker, tx: Transactor, op: str, crash: str) -> str:
    """Kill `op` at `crash`, check, retry with the same key, check exactly once. Returns
    what the crashed run did ("killed" or "done", when the point lies beyond its end)."""
    fields = await prepare(tx, op)
    key = f"m12-{op}-{crash}-{fields['invoice_id']}"
    crashed = await worker.job(op=op, key=key, crash=crash, **fields)
    assert crashed["status"] in ("killed", "done"), crashed
    assert await invariants(tx) == [], (op, crash)
    assert await effects(tx, fields["invoice_id"]) in ((0, 0), EXPECTED[op]), (op, crash)
    again = await worker.job(op=op, key=key, crash="none", **fields)
    assert again["status"] == "done", again
    assert await effects(tx, fields["invoice_id"]) == EXPECTED[op], (op, crash)
    assert await invariants(tx) == [], (op, crash)
    return str(crashed["status"])
