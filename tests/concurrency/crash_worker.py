"""M12 helper: runs money operations in child processes that are SIGKILLed at chosen points.

    python -m tests.concurrency.crash_worker <database_url>

The process imports everything once, then reads one JSON job a line from stdin and forks a
child per job (a fork is fast, a fresh interpreter on two cores is not). The child opens its own
engine and runs the job's use case in one unit of work; it is killed with SIGKILL

- `stmt:N`: just before its N-th SQL statement (BEGIN counted) of the unit of work,
- `commit`: when SQLAlchemy is about to send COMMIT,
- `after`: right after COMMIT returned, before it could answer anybody,
- `none`: never (it prints how many statements the unit of work ran).

The parent prints one JSON line per job: {"status": "killed" | "done" | "error", ...}.
Jobs: {"op": "cancel" | "refund" | "split", "key": ..., "crash": ..., plus the op's ids}.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import traceback
from typing import Any

from sqlalchemy import event

import billing
from billing.commands import CancelInvoice, IssueCreditNote, Remainder, SplitInvoice
from support_desk.core.actors import Actor
from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor

ADMIN = Actor.admin(10, "Ada Admin")


def command(job: dict[str, Any]) -> tuple[Any, Any]:
    """The use case and command a job names."""
    key, op = job["key"], job["op"]
    if op == "cancel":
        actor = Actor.customer(job["customer_id"])
        return billing.cancel_invoice, CancelInvoice(job["invoice_id"], "crash", actor, key)
    if op == "refund":
        cmd = IssueCreditNote(
            job["invoice_id"],
            "crash",
            ADMIN,
            key,
            amount_minor=job["amount_minor"],
            remainder=Remainder.REFUND,
        )
        return billing.issue_credit_note, cmd
    if op == "split":
        keep = tuple(tuple(group) for group in job["keep"])
        return billing.split_invoice, SplitInvoice(job["invoice_id"], "crash", keep, ADMIN, key)
    raise ValueError(op)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(engine: Any, crash: str, seen: list[int]) -> None:
    """Count the unit of work's statements; kill the process at the chosen one."""
    target = int(crash.split(":")[1]) if crash.startswith("stmt:") else None

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _statement(*_args: Any) -> None:
        seen[0] += 1
        if seen[0] == target:
            _die()

    if crash == "commit":
        event.listen(engine.sync_engine, "commit", lambda _conn: _die())


async def _run(database_url: str, job: dict[str, Any]) -> dict[str, Any]:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        tx = Transactor(engine, SystemClock(), Settings(database_url=database_url))
        async with engine.connect():  # connect (and its PRAGMAs) before counting
            pass
        seen = [0]
        _arm(engine, job["crash"], seen)
        use_case, cmd = command(job)
        await tx.run(use_case, cmd)
        if job["crash"] == "after":
            _die()
        return {"status": "done", "statements": seen[0]}
    finally:
        await engine.dispose()


def _child(database_url: str, job: dict[str, Any]) -> None:
    try:
        line = json.dumps(asyncio.run(_run(database_url, job)))
        code = 0
    except Exception as exc:  # a refusal or a bug: the parent reports it
        line = json.dumps({"status": "error", "error": repr(exc), "trace": traceback.format_exc()})
        code = 1
    os.write(1, (line + "\n").encode())
    os._exit(code)


def main(database_url: str) -> None:
    print("ready", flush=True)
    for raw in sys.stdin:
        job = json.loads(raw)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(database_url, job)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            print(json.dumps({"status": "killed", "signal": os.WTERMSIG(status)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
