"""Group commit: marks that many tasks want written go out together, one transaction for all.

Each caller waits until its own mark is committed, exactly as if it had written it alone, so
nothing about a crash changes: a task that went on had its mark in the database. A mark that
arrives while a batch is being written waits for the next batch, which takes every mark that
arrived meanwhile. At low load a mark is written at once (a batch of one); under load the
transactions, and SQLite's turns at its one write lock, grow fewer instead of queueing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from typing import Generic, TypeVar

K = TypeVar("K")


class GroupCommit(Generic[K]):
    """`add(key)` returns once `write` committed a batch holding `key`; True when the write
    said `key` took effect (the row was still ours), False otherwise. A failed write fails
    every caller of its batch with its exception."""

    def __init__(self, write: Callable[[list[K]], Awaitable[Collection[K]]]) -> None:
        self._write = write
        self._pending: list[tuple[K, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, key: K) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((key, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._flush())
        return await asyncio.shield(future)  # a cancelled caller leaves its batch alone

    async def idle(self) -> None:
        """Wait until nothing is pending or being written."""
        while self._writer is not None:
            await asyncio.wait([self._writer])

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    done = set(await self._write([key for key, _ in batch]))
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for key, future in batch:
                    if not future.done():
                        future.set_result(key in done)
        finally:
            self._writer = None
