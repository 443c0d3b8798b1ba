"""How a worker takes due rows, the same for the inbox and the outbox: a conditional UPDATE of
the candidates, oldest first. On PostgreSQL the candidate SELECT skips rows another worker has
locked (FOR UPDATE SKIP LOCKED compiles to nothing on SQLite, where BEGIN IMMEDIATE serialises
workers), and the UPDATE re-checks the condition, so a row is never taken twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from support_desk.core.tx import UnitOfWork


async def take_due(
    uow: UnitOfWork,
    key: InstrumentedAttribute[int],
    due: ColumnElement[bool],
    limit: int,
    values: dict[str, Any],
    returning: Sequence[Any] = (),
) -> list[tuple[Any, ...]]:
    """Up to `limit` rows that are `due`, set to `values`: (key, *returning) of each, in key
    order; a row another worker took meanwhile is left out."""
    candidates = (
        select(key).where(due).order_by(key).limit(limit).with_for_update(skip_locked=True)
    )
    ids = list((await uow.session.scalars(candidates)).all())
    if not ids:
        return []
    taken = await uow.session.execute(
        update(key.class_)
        .where(key.in_(ids), due)
        .values(**values)
        .returning(key, *returning)
        .execution_options(synchronize_session=False)
    )
    return sorted((tuple(row) for row in taken), key=lambda row: row[0])


def release_held(table: Table, held: str, moment: str, **values: Any) -> Update:
    """One prebuilt Core UPDATE (the workers' group commit) that ends the leases of the rows
    still `held` by their owner, stamping the `moment` column and setting `values`; `released`
    runs it."""
    key = table.primary_key.columns.values()[0]
    return (
        update(table)
        .where(
            key.in_(bindparam("ids", expanding=True)),
            table.c.lease_owner == bindparam("owner"),
            table.c.status == held,
        )
        .values({moment: bindparam("at"), **values, "lease_owner": None, "lease_until": None})
        .returning(key)
    )


async def released(
    connection: AsyncConnection, statement: Update, now: datetime, ids: list[int], owner: str
) -> list[int]:
    """Run a `release_held` statement for the rows `ids` at `now`; the ids that were still
    `owner`'s."""
    result = await connection.execute(statement, {"ids": ids, "owner": owner, "at": now})
    return [row[0] for row in result.all()]
