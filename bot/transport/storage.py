"""aiogram FSM storage in our database, so a conversation survives a restart (no Redis needed).

`update_data` is one transaction (read, merge, write under the row lock or SQLite's write lock),
unlike BaseStorage's default read-modify-write in two steps, which loses a field when two updates
of one user race (TG8; event isolation prevents that race within one FSM key, this
keeps it safe even without).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import FsmRow
from support_desk.core.tx import Transactor, UnitOfWork


def _upsert(uow: UnitOfWork, key: str, values: dict[str, Any]) -> Any:
    """One statement that writes `values` into the key's row, creating the row if need be."""
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    row = {"key": key, "state": None, "data": {}, **values, "updated_at": uow.now}
    statement = insert(FsmRow).values(**row)
    return statement.on_conflict_do_update(
        index_elements=["key"], set_={**values, "updated_at": uow.now}
    )


FSM = cast(Table, FsmRow.__table__)


def _prebuilt_upsert(insert: Any, column: str) -> Any:
    """INSERT the whole row, or on conflict set only `column` (and `updated_at`)."""
    statement = insert(FSM)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={column: excluded[column], "updated_at": excluded.updated_at},
    )


_UPSERTS = {
    (dialect, column): _prebuilt_upsert(insert, column)
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
    for column in ("state", "data")
}


async def _write(
    connection: AsyncConnection, now: datetime, key: str, column: str, value: Any
) -> None:
    """`_upsert` of one column as a prebuilt Core statement on a bare connection (aiogram
    writes state or data on most updates): the same row, no ORM session."""
    row = {"key": key, "state": None, "data": {}, column: value, "updated_at": now}
    await connection.execute(_UPSERTS[connection.dialect.name, column], row)


async def _merge(uow: UnitOfWork, key: str, data: dict[str, Any]) -> dict[str, Any]:
    """Read, merge and write under the row lock (SQLite's write lock): used when this process
    does not know the row yet."""
    query = select(FsmRow.data).where(FsmRow.key == key).with_for_update()
    merged = {**dict(await uow.session.scalar(query) or {}), **data}
    await uow.session.execute(_upsert(uow, key, {"data": merged}))
    return merged


async def _row(uow: UnitOfWork, key: str) -> tuple[str | None, dict[str, Any]]:
    row = (
        await uow.session.execute(select(FsmRow.state, FsmRow.data).where(FsmRow.key == key))
    ).first()
    return (None, {}) if row is None else (row[0], dict(row[1] or {}))


class SqlStorage(BaseStorage):
    """FSM state and data per key in the `tg_fsm` table, with a write-through copy in memory.

    This storage serves a bot run by one process (several processes share Redis' storage, see
    `bot.app.build_storage`), so the copy of a key this process wrote or read last is the row:
    reading state and data then costs no transaction (aiogram reads the state on every update),
    and a merge is one statement. A copy is updated only after its transaction committed.
    """

    def __init__(
        self, tx: Transactor, key_builder: KeyBuilder | None = None, cache_size: int = 10_000
    ) -> None:
        self.tx = tx
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self._copies: OrderedDict[str, tuple[str | None, dict[str, Any]]] = OrderedDict()
        self._cache_size = cache_size

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    def _keep(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        self._copies[key] = (state, data)
        self._copies.move_to_end(key)
        if len(self._copies) > self._cache_size:
            self._copies.popitem(last=False)

    async def _copy(self, key: str) -> tuple[str | None, dict[str, Any]]:
        copy = self._copies.get(key)
        if copy is None:
            copy = await self.tx.read(_row, key)
            self._keep(key, *copy)
        return copy

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name, value = self._key(key), state.state if isinstance(state, State) else state
        await self.tx.run_statement(_write, name, "state", value)
        copy = self._copies.get(name)
        if copy is not None:
            self._keep(name, value, copy[1])

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._copy(self._key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name, value = self._key(key), dict(data)
        await self.tx.run_statement(_write, name, "data", value)
        copy = self._copies.get(name)
        if copy is not None:
            self._keep(name, copy[0], value)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._copy(self._key(key)))[1])

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        name = self._key(key)
        copy = self._copies.get(name)
        if copy is None:
            return dict(await self.tx.run(_merge, name, dict(data)))
        merged = {**copy[1], **data}
        await self.tx.run_statement(_write, name, "data", merged)
        self._keep(name, copy[0], merged)
        return dict(merged)

    async def close(self) -> None:
        """The engine belongs to the wiring; nothing to close here."""
