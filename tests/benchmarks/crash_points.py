"""M12, the long run: every operation killed before each of its statements, at COMMIT and
right after, many rounds, on SQLite and PostgreSQL; every invariant checked after each kill and
each retry. The suite runs a short version (tests/concurrency/test_crash_points.py).

    python -m tests.benchmarks.crash_points --rounds 5 --backends sqlite,postgresql

PostgreSQL uses the database SUPPORT_DESK_TEST_PG_DB (its schema is reset first).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from tests import backends
from tests.concurrency.crash_points import OPS, CrashWorker, scenario, statements


def _database(backend: str, directory: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{backends.prepare_sqlite_template(directory)}"
    return backends.prepare_postgres()


async def run_backend(url: str, rounds: int) -> Counter[str]:
    engine = make_engine(url)
    tx = Transactor(engine, SystemClock(), Settings(database_url=url))
    outcomes: Counter[str] = Counter()
    try:
        async with CrashWorker(url) as worker:
            for op in OPS:
                total = await statements(worker, tx, op)
                points = [f"stmt:{n}" for n in range(1, total + 1)] + ["commit", "after"]
                print(f"  {op}: {total} statements, {len(points)} crash points x {rounds}")
                for _ in range(rounds):
                    for point in points:
                        outcomes[await scenario(worker, tx, op, point)] += 1
    finally:
        await engine.dispose()
    return outcomes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        for backend in args.backends.split(","):
            print(f"{backend}:")
            started = time.monotonic()
            outcomes = asyncio.run(run_backend(_database(backend, Path(directory)), args.rounds))
            seconds = time.monotonic() - started
            print(f"  {dict(outcomes)} in {seconds:.0f} s; every invariant held, retries once")


if __name__ == "__main__":
    main()
