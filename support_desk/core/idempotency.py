"""Idempotency keys (B13): the same request twice has the effect of one.

The key is reserved at the start of the transaction with an INSERT that conflicts on the unique
key; on PostgreSQL a concurrent twin blocks on that index until the first commits, on SQLite
BEGIN IMMEDIATE serialises them. The result is stored in the same transaction as the work, so a
replay returns exactly what the first call returned.

Every keyed use case declares it with `@idempotent`: the replay and the remembering are done
once, here, around the use case's own body.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast, get_type_hints

from pydantic import TypeAdapter
from sqlalchemy import String, Table, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from support_desk.core.db import Base, JSONType, UTCDateTime
from support_desk.core.errors import IdempotencyKeyReused, RequestInProgress

T = TypeVar("T")
C = TypeVar("C")
W = TypeVar("W", bound="HasIdempotency")


@functools.cache
def _adapter(result_type: type[Any]) -> TypeAdapter[Any]:
    """Building a TypeAdapter costs milliseconds; one per result type is plenty."""
    return TypeAdapter(result_type)


class IdempotencyRow(Base):
    """One remembered request: its key, what it asked (fingerprint) and what it answered."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    result: Mapped[Any] = mapped_column(JSONType, nullable=True)


def fingerprint(command: Any) -> str:
    """A stable hash of what the command asks for, the key itself left out."""
    body = (
        dataclasses.asdict(command)
        if dataclasses.is_dataclass(command) and not isinstance(command, type)
        else dict(command)
    )
    body.pop("idempotency_key", None)
    text = json.dumps({"op": type(command).__name__, "body": body}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Idempotency:
    """Reserve, replay and remember idempotency keys inside one unit of work."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self._session = session
        self._now = now
        self._reserved: set[str] = set()  # nested keyed use cases each reserve their own

    async def replay(self, command: Any, result_type: type[T]) -> T | None:
        """The first result for this key, or None after reserving the key for this call."""
        key = getattr(command, "idempotency_key", None)
        if not key:
            return None
        print_ = fingerprint(command)
        values = {
            "key": key,
            "operation": type(command).__name__,
            "fingerprint": print_,
            "created_at": self._now,
            "result": None,
        }
        reserve = _RESERVE[self._session.get_bind().dialect.name]
        if (await self._session.execute(reserve, values)).rowcount == 1:  # type: ignore[attr-defined]
            self._reserved.add(key)
            return None
        row = (
            await self._session.execute(select(IdempotencyRow).where(IdempotencyRow.key == key))
        ).scalar_one()
        if row.fingerprint != print_:
            raise IdempotencyKeyReused(key=key)
        if row.result is None:
            raise RequestInProgress(key=key)
        adapter: TypeAdapter[T] = _adapter(result_type)  # type: ignore[arg-type]
        return adapter.validate_python(row.result)

    async def remember(self, command: Any, result: T) -> T:
        """Store the result under the key reserved by `replay` (a no-op without a key)."""
        key = getattr(command, "idempotency_key", None)
        if key and key in self._reserved:
            dumped = _adapter(type(result)).dump_python(result, mode="json")  # type: ignore[arg-type]
            await self._session.execute(_REMEMBER, {"b_key": key, "result": dumped})
        return result


_KEYS = cast(Table, IdempotencyRow.__table__)
# Core statements, built once: no ORM compilation, no identity-map synchronisation per request
_RESERVE = {
    "postgresql": pg_insert(_KEYS).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(_KEYS).on_conflict_do_nothing(),
}
_REMEMBER = update(_KEYS).where(_KEYS.c.key == bindparam("b_key", type_=_KEYS.c.key.type))


class HasIdempotency(Protocol):
    """What `idempotent` needs of a unit of work."""

    @property
    def idempotency(self) -> Idempotency: ...


def idempotent(use_case: Callable[[W, C], Awaitable[T]]) -> Callable[[W, C], Awaitable[T]]:
    """B13 for a use case `f(uow, command) -> result`: a command whose key was answered gets
    the stored answer (of the type `f` declares it returns) and `f` does not run; otherwise the
    key is reserved, `f` runs, and its result is stored in the same transaction."""

    _KEYED.append(use_case)

    @functools.wraps(use_case)
    async def run(uow: W, cmd: C) -> T:
        result_type: type[T] = _result_type(use_case)
        if (earlier := await uow.idempotency.replay(cmd, result_type)) is not None:
            return earlier
        return await uow.idempotency.remember(cmd, await use_case(uow, cmd))

    return run


@functools.cache
def _result_type(use_case: Callable[..., Any]) -> Any:
    return get_type_hints(use_case)["return"]


_KEYED: list[Callable[..., Any]] = []  # every use case `idempotent` wraps


def prepare_answers() -> int:
    """Build every keyed use case's TypeAdapter now, at start-up: each costs a millisecond or
    more the first time, which the first customer to cancel would otherwise wait for."""
    for use_case in _KEYED:
        _adapter(_result_type(use_case))
    return len(_KEYED)


async def purge_expired(session: AsyncSession, before: datetime) -> int:
    """Forget answered keys older than `before` (M6: kept well past any client's
    retry window; money stays safe after that through each use case's state checks)."""
    result = await session.execute(
        delete(IdempotencyRow)
        .where(IdempotencyRow.created_at < before, IdempotencyRow.result.is_not(None))
        .returning(IdempotencyRow.key)
    )
    return len(result.all())
