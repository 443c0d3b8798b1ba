"""Periodic work that no user action triggers: expired idempotency keys (M6), and the jobs the
composition root adds (billing's due terminations at period end, B5)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from support_desk.core.idempotency import purge_expired
from support_desk.core.tx import Transactor, UnitOfWork

log = logging.getLogger(__name__)
Job = Callable[[Transactor], Awaitable[int]]  # one round of a periodic job: how much it did


async def purge_idempotency_keys(uow: UnitOfWork) -> int:
    retention = timedelta(hours=uow.settings.idempotency_retention_hours)
    return await purge_expired(uow.session, uow.now - retention)


async def run_housekeeping(
    tx: Transactor, stop: asyncio.Event, every: float = 3600, jobs: Sequence[Job] = ()
) -> None:
    """Purge and run `jobs` now and then every `every` seconds until `stop` is set; a failure
    is logged, and the next round tries again."""
    while not stop.is_set():
        try:
            purged = await tx.run(purge_idempotency_keys)
            if purged:
                log.info("purged %d expired idempotency keys", purged)
        except Exception:
            log.exception("housekeeping failed")
        for job in jobs:
            try:
                if done := await job(tx):
                    log.info("%s: %d done", getattr(job, "__name__", "job"), done)
            except Exception:
                log.exception("housekeeping job failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
