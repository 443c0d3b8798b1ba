"""M12: a cancellation, a refund and a split SIGKILLed before a chosen statement, at COMMIT
and right after it, on SQLite and PostgreSQL: after a restart every invariant holds by SQL,
and a retry with the same key takes effect exactly once. This is the suite's short run;
`python -m tests.benchmarks.crash_points` runs every statement of each operation, many times."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from support_desk.core.tx import Transactor
from tests.concurrency.crash_points import OPS, CrashWorker, scenario, statements
from tests.model_billing import start_clean

# "last": the operation's last statement before COMMIT, counted by an uncrashed run, so the point
# stays inside the operation however many statements it takes; likewise a numbered statement
# past an operation's end (a cancellation on PostgreSQL writes in one statement) is its middle one
SHORT_POINTS = ("stmt:2", "stmt:8", "last", "commit", "after")


def inside(point: str, count: int) -> str:
    """`point` as a crash point within an operation of `count` statements."""
    if point == "last":
        return f"stmt:{count}"
    if point.startswith("stmt:") and int(point.removeprefix("stmt:")) > count:
        return f"stmt:{(count + 1) // 2}"
    return point


@pytest.mark.slow
async def test_m12_killed_anywhere_nothing_is_half_done_and_a_retry_acts_once(
    tx: Transactor, engine: AsyncEngine
) -> None:
    await start_clean(engine)
    outcomes = {}
    async with CrashWorker(tx.settings.database_url) as worker:
        for op in OPS:
            count = await statements(worker, tx, op)
            for point in SHORT_POINTS:
                outcomes[(op, point)] = await scenario(worker, tx, op, inside(point, count))

    assert all(outcome == "killed" for outcome in outcomes.values()), outcomes
