"""aiogram FSM storage in our database, so a conversation survives a restart (no Redis needed).

`update_data` is one transaction (read, merge, write under the row lock or SQLite's write lock),
unlike BaseStorage's default read-modify-write in two steps, which loses a field when two updates
of one user race (TG8; event isolation prevents that race within one FSM key, this
keeps it safe even without).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.models import FsmRow
from support_desk.core.tx import Transactor, UnitOfWork


async def _ensure(uow: UnitOfWork, key: str) -> None:
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await uow.session.execute(
        insert(FsmRow)
        .values(key=key, state=None, data={}, updated_at=uow.now)
        .on_conflict_do_nothing(index_elements=["key"])
    )


async def _write(uow: UnitOfWork, key: str, /, **values: Any) -> None:
    await _ensure(uow, key)
    await uow.session.execute(
        update(FsmRow)
        .where(FsmRow.key == key)
        .values(updated_at=uow.now, **values)
        .execution_options(synchronize_session=False)
    )


async def _merge(uow: UnitOfWork, key: str, data: dict[str, Any]) -> dict[str, Any]:
    await _ensure(uow, key)
    query = select(FsmRow.data).where(FsmRow.key == key).with_for_update()
    merged = {**dict(await uow.session.scalar(query) or {}), **data}
    await uow.session.execute(
        update(FsmRow)
        .where(FsmRow.key == key)
        .values(data=merged, updated_at=uow.now)
        .execution_options(synchronize_session=False)
    )
    return merged


async def _row(uow: UnitOfWork, key: str) -> tuple[str | None, dict[str, Any]]:
    row = (
        await uow.session.execute(select(FsmRow.state, FsmRow.data).where(FsmRow.key == key))
    ).first()
    return (None, {}) if row is None else (row[0], dict(row[1] or {}))


class SqlStorage(BaseStorage):
    """FSM state and data per key in the `tg_fsm` table."""

    def __init__(self, tx: Transactor, key_builder: KeyBuilder | None = None) -> None:
        self.tx = tx
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self.tx.run(_write, self._key(key), state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self.tx.read(_row, self._key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.tx.run(_write, self._key(key), data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await self.tx.read(_row, self._key(key)))[1]

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        return await self.tx.run(_merge, self._key(key), dict(data))

    async def close(self) -> None:
        """The engine belongs to the wiring; nothing to close here."""
