"""M6: answered idempotency keys are kept for the retention period, then forgotten; a key whose
request is still running is never purged."""

from __future__ import annotations

from sqlalchemy import select

import billing
from billing.commands import RecordPayment
from support_desk.core.clock import FrozenClock
from support_desk.core.housekeeping import purge_idempotency_keys
from support_desk.core.idempotency import IdempotencyRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import STAFF, make_customer, make_invoice


async def keys(uow: UnitOfWork) -> list[str]:
    return list((await uow.session.scalars(select(IdempotencyRow.key))).all())


async def test_m6_keys_are_replayed_within_retention_and_purged_after(
    tx: Transactor, clock: FrozenClock
) -> None:
    invoice = await make_invoice(tx, await make_customer(tx))
    cmd = RecordPayment(invoice.id, 100, STAFF, idempotency_key="pay-old")
    first = await tx.run(billing.record_payment, cmd)
    clock.advance(hours=71)
    assert await tx.run(purge_idempotency_keys) == 0
    assert await tx.run(billing.record_payment, cmd) == first
    await tx.run(billing.record_payment, RecordPayment(invoice.id, 100, STAFF, "pay-new"))

    clock.advance(hours=2)
    purged = await tx.run(purge_idempotency_keys)

    assert purged == 1 and await tx.read(keys) == ["pay-new"]
