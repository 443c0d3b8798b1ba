"""D7: PostgreSQL serialization failures and deadlocks, provoked for real, are retried (at most
three times) by the Transactor, and each use case still has its effect exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.tx import PG_RETRIES, Transactor, UnitOfWork
from web.platform.keys import CreateApiKey, create_api_key
from web.platform.models import ApiKeyRow

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_tx(tx: Transactor) -> Transactor:
    if tx.engine.dialect.name != "postgresql":
        pytest.skip("serialization failures and deadlocks are PostgreSQL's")
    return tx


async def _two_rows(tx: Transactor) -> tuple[int, int]:
    made = [
        await tx.run(create_api_key, CreateApiKey(name, Actor.system("test")))
        for name in ("a", "b")
    ]
    return made[0].id, made[1].id


async def _append(uow: UnitOfWork, row_id: int, tag: str) -> None:
    await uow.session.execute(
        update(ApiKeyRow).where(ApiKeyRow.id == row_id).values(name=ApiKeyRow.name + tag)
    )


async def _state(tx: Transactor) -> tuple[list[str], int]:
    async def run(uow: UnitOfWork) -> tuple[list[str], int]:
        names = list(await uow.session.scalars(select(ApiKeyRow.name).order_by(ApiKeyRow.id)))
        audits = await uow.session.scalar(
            select(func.count(AuditRow.id)).where(AuditRow.action == "test.d7")
        )
        return names, int(audits or 0)

    return await tx.read(run)


async def test_d7_a_real_deadlock_is_retried_and_each_side_takes_effect_once(
    pg_tx: Transactor,
) -> None:
    a, b = await _two_rows(pg_tx)
    holds = [asyncio.Event(), asyncio.Event()]
    attempts: Counter[str] = Counter()

    async def cross(uow: UnitOfWork, me: int, order: tuple[int, int], tag: str) -> None:
        attempts[tag] += 1
        await _append(uow, order[0], tag)
        if attempts[tag] == 1:  # both hold their first row, then each wants the other's
            holds[me].set()
            await holds[1 - me].wait()
        await _append(uow, order[1], tag)
        uow.audit(Actor.system("test"), "test.d7", subject=("api_key", order[0]))

    await asyncio.gather(pg_tx.run(cross, 0, (a, b), "x"), pg_tx.run(cross, 1, (b, a), "y"))
    names, audits = await _state(pg_tx)

    assert sorted(attempts.values()) == [1, 2]  # PostgreSQL aborted one; it ran again
    assert sorted(names[0][1:]) == sorted(names[1][1:]) == ["x", "y"]
    assert audits == 2


async def test_d7_a_real_serialization_failure_is_retried_and_takes_effect_once(
    pg_tx: Transactor,
) -> None:
    a, _ = await _two_rows(pg_tx)
    read, committed = asyncio.Event(), asyncio.Event()
    attempts = 0

    async def read_then_write(uow: UnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        await uow.session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        await uow.session.scalar(select(ApiKeyRow.name).where(ApiKeyRow.id == a))  # snapshot
        if attempts == 1:
            read.set()
            await committed.wait()  # another transaction changes the row meanwhile
        await _append(uow, a, "r")
        uow.audit(Actor.system("test"), "test.d7", subject=("api_key", a))

    async def other_writer() -> None:
        await read.wait()
        await pg_tx.run(_append, a, "o")
        committed.set()

    await asyncio.gather(pg_tx.run(read_then_write), other_writer())
    names, audits = await _state(pg_tx)

    assert attempts == 2
    assert names[0] == "aor"
    assert audits == 1


@pytest.mark.parametrize("code", ["40001", "40P01"])
async def test_d7_retries_stop_after_three_and_the_error_surfaces(
    pg_tx: Transactor, code: str
) -> None:
    attempts = 0

    async def always_conflicts(uow: UnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        uow.audit(Actor.system("test"), "test.d7", subject=("none", 0))
        await uow.session.execute(
            text(f"DO $$ BEGIN RAISE EXCEPTION 'provoked' USING ERRCODE = '{code}'; END $$")
        )

    with pytest.raises(DBAPIError, match="provoked"):
        await pg_tx.run(always_conflicts)

    assert attempts == 1 + PG_RETRIES
    assert (await _state(pg_tx))[1] == 0


async def test_d7_an_error_that_is_not_a_conflict_is_not_retried(pg_tx: Transactor) -> None:
    attempts = 0

    async def divides_by_zero(uow: UnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        await uow.session.execute(text("SELECT 1 / 0"))

    with pytest.raises(DBAPIError):
        await pg_tx.run(divides_by_zero)

    assert attempts == 1
