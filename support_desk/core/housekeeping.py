"""Periodic clean-up that no user action triggers: expired idempotency keys (M6)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from support_desk.core.idempotency import purge_expired
from support_desk.core.tx import Transactor, UnitOfWork

log = logging.getLogger(__name__)


async def purge_idempotency_keys(uow: UnitOfWork) -> int:
    retention = timedelta(hours=uow.settings.idempotency_retention_hours)
    return await purge_expired(uow.session, uow.now - retention)


async def run_housekeeping(tx: Transactor, stop: asyncio.Event, every: float = 3600) -> None:
    """Purge now and then every `every` seconds until `stop` is set; a failure is logged, and
    the next round tries again."""
    while not stop.is_set():
        try:
            purged = await tx.run(purge_idempotency_keys)
            if purged:
                log.info("purged %d expired idempotency keys", purged)
        except Exception:
            log.exception("housekeeping failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
