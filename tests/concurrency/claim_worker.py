"""D4 helper: one agent claiming tickets in a process of its own, with its own engine.

    python -m tests.concurrency.claim_worker <database_url> <agent_user_id> <agent_name>

It connects, prints `ready`, waits for a line on stdin (so that all workers start together),
then claims with `ticketing.claim_next` until the queue is empty and prints one JSON line:
{"agent": <id>, "taken": [<ticket ids in claim order>]}.
"""

from __future__ import annotations

import asyncio
import json
import sys

from sqlalchemy import text

import ticketing
from support_desk.core.actors import Actor
from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from ticketing.commands import ClaimNext
from ticketing.errors import QueueEmpty


async def claim_all(database_url: str, agent: Actor) -> list[int]:
    engine = make_engine(database_url, pool_size=2, max_overflow=0)
    try:
        tx = Transactor(engine, SystemClock(), Settings(database_url=database_url))
        async with engine.connect() as conn:  # connected before the start signal
            await conn.execute(text("SELECT 1"))
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        taken: list[int] = []
        while True:
            try:
                taken.append((await tx.run(ticketing.claim_next, ClaimNext(agent))).id)
            except QueueEmpty:
                return taken
    finally:
        await engine.dispose()


def main(argv: list[str]) -> None:
    database_url, user_id, name = argv
    taken = asyncio.run(claim_all(database_url, Actor.agent(int(user_id), name)))
    print(json.dumps({"agent": int(user_id), "taken": taken}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
