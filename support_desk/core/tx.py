"""The unit of work: one user action is one transaction, committed here and nowhere else."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar, overload

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow, audit_values
from support_desk.core.clock import Clock
from support_desk.core.db import READ_ONLY, SINGLE_STATEMENT, is_transient
from support_desk.core.errors import DomainError
from support_desk.core.idempotency import Idempotency
from support_desk.core.messages import CustomerMessage, read_message
from support_desk.core.outbox import OutboxRow, OutboxStatus
from support_desk.core.settings import Settings

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")
_IN_TRANSACTION: ContextVar[bool] = ContextVar("support_desk_in_transaction", default=False)


def in_transaction() -> bool:
    """True inside a unit of work: network calls are forbidden there (D9)."""
    return _IN_TRANSACTION.get()


@dataclass(slots=True)
class UnitOfWork:
    """One open transaction and what a use case needs around it; it never commits."""

    session: AsyncSession
    now: datetime
    settings: Settings
    idempotency: Idempotency
    clock: Clock
    notified: list[OutboxRow] = field(default_factory=list)

    def audit(
        self,
        actor: Actor,
        action: str,
        *,
        subject: tuple[str, object],
        before: Any = None,
        after: Any = None,
    ) -> None:
        """Record a change (T6) in the same transaction as the change itself."""
        values = audit_values(self.now, actor, action, subject=subject, before=before, after=after)
        self.session.add(AuditRow(**values))

    @overload
    def notify(self, customer_id: int, message: CustomerMessage, /) -> None: ...

    @overload
    def notify(self, customer_id: int, message: str, /, **payload: Any) -> None: ...

    def notify(self, customer_id: int, message: CustomerMessage | str, /, **payload: Any) -> None:
        """Queue a message to the customer (T8) in this transaction; the bot delivers it later.

        Transitional: a kind given as a string with its payload as keywords (the form before
        messages were typed) is still accepted, for branches written against it. A string that
        names a typed kind is read through its type, so a payload that does not fit fails here,
        not in the customer's chat; any other kind is written as given and rendered by its name.
        """
        if isinstance(message, CustomerMessage):
            if payload:
                raise TypeError("a typed message carries its own fields")
            kind, body = message.kind, message.payload()
        elif (typed := read_message(message, payload)) is not None:
            kind, body = typed.kind, typed.payload()
        else:
            kind, body = message, payload
        row = OutboxRow(
            customer_id=customer_id,
            kind=kind,
            payload=body,
            created_at=self.now,
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=self.now,
        )
        self.notified.append(row)
        self.session.add(row)


PG_RETRIES = 3  # D7: a serialization failure or deadlock is retried at most this many times


class Transactor:
    """Runs a use case in its own transaction, retrying transient lock errors; commits once.

    A retry runs the whole use case again in a new transaction, after the failed one rolled
    back, so it has its effect once (D7): SQLite's "database is locked" (another process held
    the write lock past the busy timeout) and PostgreSQL's serialization failures (40001) and
    deadlocks (40P01, the one transaction PostgreSQL chose to abort), at most PG_RETRIES times.
    """

    def __init__(
        self, engine: AsyncEngine, clock: Clock, settings: Settings, attempts: int = 8
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.settings = settings
        self._attempts = attempts
        self._writer = async_sessionmaker(engine, expire_on_commit=False)
        self._reader = async_sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        # SQLite has one writer at a time. Writers of this process queue here, in order, instead
        # of in SQLite's busy handler, whose sleeps make the slowest waits seconds long; other
        # processes are still held off by BEGIN IMMEDIATE and the busy timeout.
        self._write_turn = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._single = engine.execution_options(
            **({SINGLE_STATEMENT: True} if self._write_turn else {"isolation_level": "AUTOCOMMIT"})
        )

    async def run(
        self,
        use_case: Callable[Concatenate[UnitOfWork, P], Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """One write transaction (BEGIN IMMEDIATE on SQLite); whole or nothing."""

        async def once() -> T:
            async with self._writer() as session, session.begin():
                return await use_case(self._uow(session), *args, **kwargs)

        try:
            return await self._retrying(use_case.__name__, once)
        except DomainError as refusal:
            if refusal.audited:
                await self._audit_refusal(use_case.__name__, args, refusal)
            raise

    async def _retrying(self, name: str, once: Callable[[], Awaitable[T]]) -> T:
        """`once()` in the write turn with the D9 flag set, run again in a new transaction
        after a transient lock error (D7), after a growing random pause."""
        attempt = 0
        while True:
            attempt += 1
            token = _IN_TRANSACTION.set(True)
            try:
                async with self._turn():
                    return await once()
            except DBAPIError as exc:
                if not is_transient(exc) or attempt > self._retries():
                    raise
                log.info("retrying %s after %s (attempt %d)", name, exc.orig, attempt)
            finally:
                _IN_TRANSACTION.reset(token)
            await asyncio.sleep(random.uniform(0.005, 0.02) * 2**attempt)  # noqa: S311

    async def _audit_refusal(
        self, action: str, args: tuple[Any, ...], refusal: DomainError
    ) -> None:
        """A refused attempt to act beyond one's rights is kept (T6, TG5, M13), in a transaction
        of its own, since the refused one rolled back."""
        actors = (getattr(arg, "actor", None) for arg in args)  # the command, or the API caller
        actor = next((a for a in actors if isinstance(a, Actor)), Actor.system("unknown"))
        details = {k: str(v) for k, v in refusal.details.items()}
        async with self._turn(), self._writer() as session, session.begin():
            session.add(
                AuditRow(
                    at=self.clock.now(),
                    actor_kind=actor.kind.value,
                    actor_id=actor.id,
                    action="refused",
                    subject_type="use_case",
                    subject_id=action,
                    before=None,
                    after={"code": refusal.code, "details": details},
                )
            )

    async def run_core(
        self,
        statements: Callable[Concatenate[AsyncConnection, datetime, P], Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """One write transaction on a bare connection, for a hot path written as Core statements
        (the bot's inbox and delivery marks): no ORM session and no unit of work, otherwise as
        `run`: the same write turn, BEGIN IMMEDIATE on SQLite, retries of transient errors, and
        no network call inside (D9). `statements(connection, now, ...)` must not commit."""

        async def once() -> T:
            async with self.engine.begin() as connection:
                return await statements(connection, self.clock.now(), *args, **kwargs)

        return await self._retrying(statements.__name__, once)

    async def run_statement(
        self,
        statement: Callable[Concatenate[AsyncConnection, datetime, P], Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`run_core` for a function that runs exactly ONE write statement, which is atomic by
        itself: no BEGIN and COMMIT around it (SQLite's COMMIT round trip to its thread, two of
        PostgreSQL's network ones). The same write turn, retries and D9 flag."""

        async def once() -> T:
            async with self._single.begin() as connection:
                return await statement(connection, self.clock.now(), *args, **kwargs)

        return await self._retrying(statement.__name__, once)

    async def read(
        self,
        query: Callable[Concatenate[UnitOfWork, P], Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """A read-only transaction (BEGIN DEFERRED on SQLite): it never takes the write lock."""
        token = _IN_TRANSACTION.set(True)
        try:
            async with self._reader() as session, session.begin():
                return await query(self._uow(session), *args, **kwargs)
        finally:
            _IN_TRANSACTION.reset(token)

    async def read_statement(
        self,
        query: Callable[Concatenate[AsyncConnection, P], Awaitable[T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`read` for a function that runs exactly ONE SELECT, consistent by itself: on a bare
        connection, no ORM session, no BEGIN and COMMIT around it (SQLite's COMMIT round trip to
        its thread, two of PostgreSQL's network ones), no write turn. The D9 flag is set."""
        token = _IN_TRANSACTION.set(True)
        try:
            async with self._single.connect() as connection:
                return await query(connection, *args, **kwargs)
        finally:
            _IN_TRANSACTION.reset(token)

    def _retries(self) -> int:
        if self.engine.dialect.name == "postgresql":
            return min(PG_RETRIES, self._attempts - 1)
        return self._attempts - 1

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if self._write_turn is None:
            yield
            return
        async with self._write_turn:
            yield

    def _uow(self, session: AsyncSession) -> UnitOfWork:
        now = self.clock.now()
        return UnitOfWork(
            session=session,
            now=now,
            settings=self.settings,
            idempotency=Idempotency(session, now),
            clock=self.clock,
        )
