"""The inbox's database steps (TG3/TG4/O5): an update is stored, by `update_id`, before we answer.

The primary key is the de-duplication: a repeated update is an INSERT that does nothing. A new
row is stored already leased to the process that received it; when its handler actually starts
(it may first wait behind the same user's earlier updates or for a slot) and a quarter of the
lease has passed, the lease is renewed by `begin`, which fails if another process took the row
over meanwhile (before that, nobody can have: the common case costs no extra write).
A row whose lease runs out (the process died) or whose handler failed is picked up again by the
sweeper.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import InboxRow, InboxStatus
from bot.transport.leasing import release_held, released, take_due
from support_desk.core.tx import UnitOfWork

Raw = dict[str, Any]
UPDATE_ID_RANGE = range(-(2**63), 2**63)  # the column is a BIGINT on both backends


def fits(update_id: object) -> bool:
    """Whether `update_id` can be the inbox's key (Telegram's are far smaller)."""
    return (
        isinstance(update_id, int)
        and not isinstance(update_id, bool)
        and (update_id in UPDATE_ID_RANGE)
    )


INBOX = cast(Table, InboxRow.__table__)
_INSERTS = {
    "postgresql": pg_insert(INBOX).on_conflict_do_nothing(index_elements=["update_id"]),
    "sqlite": sqlite_insert(INBOX).on_conflict_do_nothing(index_elements=["update_id"]),
}
_FINISH = release_held(INBOX, InboxStatus.PROCESSING, "processed_at", status=InboxStatus.DONE)


async def store_new(
    connection: AsyncConnection,
    now: datetime,
    updates: list[Raw],
    owner: str,
    lease_seconds: float,
) -> list[Raw]:
    """`record` as one prebuilt Core statement per update on a bare connection (the webhook's
    hot path, `Transactor.run_core`): the same rows, no ORM session."""
    statement = _INSERTS[connection.dialect.name]
    until = now + timedelta(seconds=lease_seconds)
    new: list[Raw] = []
    for raw in updates:
        row = {
            "update_id": raw["update_id"],
            "raw": raw,
            "received_at": now,
            "status": InboxStatus.PROCESSING,
            "attempts": 0,
            "next_attempt_at": now,
            "lease_owner": owner,
            "lease_until": until,
        }
        if (await connection.execute(statement, row)).rowcount:
            new.append(raw)
    return new


async def finish_many(
    connection: AsyncConnection, now: datetime, update_ids: list[int], owner: str
) -> list[int]:
    """`finish` for many updates in one UPDATE (the inbox's group commit); returns the ids that
    were still ours."""
    return await released(connection, _FINISH, now, update_ids, owner)


async def record(
    uow: UnitOfWork, updates: list[Raw], owner: str, lease_seconds: float
) -> list[Raw]:
    """Store updates not seen before, leased to `owner`; returns those that were new."""
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    until = uow.now + timedelta(seconds=lease_seconds)
    new: list[Raw] = []
    for raw in updates:
        statement = (
            insert(InboxRow)
            .values(
                update_id=raw["update_id"],
                raw=raw,
                received_at=uow.now,
                status=InboxStatus.PROCESSING,
                attempts=0,
                next_attempt_at=uow.now,
                lease_owner=owner,
                lease_until=until,
            )
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        if (await uow.session.execute(statement)).rowcount:  # type: ignore[attr-defined]
            new.append(raw)
    return new


def _claimable(uow: UnitOfWork) -> Any:
    waiting = and_(InboxRow.status == InboxStatus.PENDING, InboxRow.next_attempt_at <= uow.now)
    abandoned = and_(InboxRow.status == InboxStatus.PROCESSING, InboxRow.lease_until < uow.now)
    return or_(waiting, abandoned)


async def claim_due(uow: UnitOfWork, owner: str, limit: int, lease_seconds: float) -> list[Raw]:
    """Lease updates that wait for a retry or whose process died, oldest first."""
    values = {
        "status": InboxStatus.PROCESSING,
        "lease_owner": owner,
        "lease_until": uow.now + timedelta(seconds=lease_seconds),
    }
    taken = await take_due(uow, InboxRow.update_id, _claimable(uow), limit, values, [InboxRow.raw])
    return [dict(row[1]) for row in taken]


def _mine(update_id: int, owner: str) -> Any:
    return and_(
        InboxRow.update_id == update_id,
        InboxRow.lease_owner == owner,
        InboxRow.status == InboxStatus.PROCESSING,
    )


async def begin(uow: UnitOfWork, update_id: int, owner: str, lease_seconds: float) -> bool:
    """Renew the lease as the handler starts; False when the row is no longer ours (another
    process took it over after our lease passed, or it was handled): then it must not run."""
    result = await uow.session.execute(
        update(InboxRow)
        .where(_mine(update_id, owner))
        .values(lease_until=uow.now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def finish(uow: UnitOfWork, update_id: int, owner: str) -> None:
    await uow.session.execute(
        update(InboxRow)
        .where(_mine(update_id, owner))
        .values(status=InboxStatus.DONE, processed_at=uow.now, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def fail_attempt(
    uow: UnitOfWork, update_id: int, owner: str, error: str, max_attempts: int, delay: float
) -> None:
    """The handler raised: retry later, or give up after `max_attempts` (the row is kept)."""
    row = await uow.session.get(InboxRow, update_id)
    if row is None or row.lease_owner != owner or row.status != InboxStatus.PROCESSING:
        return
    row.attempts += 1
    row.error = error[:2000]
    row.lease_owner, row.lease_until = None, None
    row.status = InboxStatus.FAILED if row.attempts >= max_attempts else InboxStatus.PENDING
    row.next_attempt_at = uow.now + timedelta(seconds=delay * 2 ** (row.attempts - 1))


async def purge(uow: UnitOfWork, older_than: timedelta) -> int:
    """Forget handled updates once Telegram can no longer re-send them (it keeps them 24 h)."""
    result = await uow.session.execute(
        delete(InboxRow).where(
            InboxRow.status == InboxStatus.DONE, InboxRow.received_at < uow.now - older_than
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
