"""Processes stored updates through the aiogram Dispatcher: once each, one user's in order.

Updates reach `accept` from the webhook or the poller. Each new update is chained behind the
previous one of the same user, so a user's updates enter the Dispatcher in the order we stored
them (aiogram's event isolation then serialises their handlers, across processes with Redis).
The sweeper re-runs updates whose handler failed and those a dead process left behind (O5).
An update already in flight here is never started a second time: its lease may pass while it
waits for its turn, and the sweeper would otherwise claim and start it again.
The webhook's insert is one prebuilt Core statement on a bare connection, and the "done" marks
of updates that end together are one UPDATE (group commit); each update still waits for its own
mark before the same user's next update starts, so a crash leaves exactly what it left before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.transport import inbox_store as store
from bot.transport.group_commit import GroupCommit
from support_desk.core.tx import Transactor

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InboxPolicy:
    lease_seconds: float = 120.0
    max_attempts: int = 5
    retry_delay: float = 2.0
    sweep_interval: float = 5.0
    sweep_batch: int = 100
    keep_done: timedelta = timedelta(hours=48)
    parallel: int = 16  # updates in handlers at once: bounds connections and lock contention


def user_key(raw: store.Raw) -> int:
    """Whose update this is: the key that orders it behind that user's earlier updates."""
    for value in raw.values():
        if isinstance(value, dict):
            sender = value.get("from") or value.get("chat") or {}
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return int(sender["id"])
    return 0


def _storable(raw: store.Raw) -> bool:
    if store.fits(raw.get("update_id")):
        return True
    log.warning("update dropped: update_id %.40r does not fit the inbox", raw.get("update_id"))
    return False


class InboxProcessor:
    """Accepts raw updates, stores them, and feeds each one to the Dispatcher exactly once."""

    def __init__(
        self,
        tx: Transactor,
        dispatcher: Dispatcher,
        bot: Bot,
        policy: InboxPolicy | None = None,
        owner: str | None = None,
        **feed_kwargs: Any,
    ) -> None:
        self.tx, self.dispatcher, self.bot = tx, dispatcher, bot
        self.policy = policy or InboxPolicy()
        self.owner = owner or f"inbox-{uuid.uuid4().hex[:12]}"
        self.feed_kwargs = feed_kwargs
        self._tails: dict[int, asyncio.Task[None]] = {}
        self._in_flight: set[int] = set()  # update ids with a task here, from submit to settle
        self._leased_at: dict[int, datetime] = {}  # when this process took each lease
        self._slots = asyncio.Semaphore(self.policy.parallel)
        self._done = GroupCommit(self._finish)  # "done" marks of updates that end together

    async def accept(self, updates: list[store.Raw]) -> int:
        """Store `updates` (one transaction) and start the new ones; returns how many were new.

        An update whose id the inbox cannot store is dropped and logged: failing the batch
        would answer 500 (or fail the poll) and Telegram would send it again forever."""
        leased_at = self.tx.clock.now()
        updates = [raw for raw in updates if _storable(raw)]
        # one update (the webhook's) is one INSERT, atomic by itself; a poll's batch is one
        # transaction
        run = self.tx.run_statement if len(updates) == 1 else self.tx.run_core
        new = await run(store.store_new, updates, self.owner, self.policy.lease_seconds)
        for raw in new:
            self._submit(raw, leased_at)
        return len(new)

    def _submit(self, raw: store.Raw, leased_at: datetime) -> bool:
        """Start `raw` behind its user's earlier updates, unless it is already in flight here."""
        update_id = int(raw["update_id"])
        if update_id in self._in_flight:
            return False
        self._in_flight.add(update_id)
        self._leased_at[update_id] = leased_at
        key = user_key(raw)
        previous = self._tails.get(key)
        task = asyncio.create_task(self._after(previous, raw))
        self._tails[key] = task
        task.add_done_callback(lambda done: self._forget(key, update_id, done))
        return True

    def _forget(self, key: int, update_id: int, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(update_id)
        self._leased_at.pop(update_id, None)
        if self._tails.get(key) is task:
            del self._tails[key]

    async def _after(self, previous: asyncio.Task[None] | None, raw: store.Raw) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        async with self._slots:
            await self._process(raw)

    def _lease_is_fresh(self, update_id: int) -> bool:
        """Our lease has more than three quarters of its time left: no process can have taken
        the update over (they wait for `lease_until` to pass), and the handler still has most of
        a lease to run in, so renewing it would be a wasted write."""
        leased_at = self._leased_at.get(update_id)
        margin = timedelta(seconds=self.policy.lease_seconds / 4)
        return leased_at is not None and self.tx.clock.now() < leased_at + margin

    async def _process(self, raw: store.Raw) -> None:
        update_id = int(raw["update_id"])
        if not self._lease_is_fresh(update_id) and not await self.tx.run(
            store.begin, update_id, self.owner, self.policy.lease_seconds
        ):
            log.info("update %s was taken over by another process; not handling it", update_id)
            return
        try:
            update = Update.model_validate(raw, context={"bot": self.bot})
            await self.dispatcher.feed_update(self.bot, update, **self.feed_kwargs)
        except Exception as exc:  # the update stays in the inbox and is retried (TG4)
            log.exception("update %s failed", update_id)
            await self.tx.run(
                store.fail_attempt,
                update_id,
                self.owner,
                f"{type(exc).__name__}: {exc}",
                self.policy.max_attempts,
                self.policy.retry_delay,
            )
        else:
            await self._done.add(update_id)

    async def _finish(self, update_ids: list[int]) -> list[int]:
        return await self.tx.run_statement(store.finish_many, update_ids, self.owner)

    async def sweep(self) -> int:
        """Take over due and abandoned updates; returns how many were started."""
        leased_at = self.tx.clock.now()
        due = await self.tx.run(
            store.claim_due, self.owner, self.policy.sweep_batch, self.policy.lease_seconds
        )
        return sum(self._submit(raw, leased_at) for raw in due)

    async def idle(self) -> None:
        """Wait until every started update has been handled (tests, shutdown)."""
        while self._tails:
            await asyncio.wait(list(self._tails.values()))

    async def run_sweeper(self, stop: asyncio.Event) -> None:
        """Sweep at start (recovery after a restart) and then every `sweep_interval`."""
        while not stop.is_set():
            try:
                await self.sweep()
                await self.tx.run(store.purge, self.policy.keep_done)
            except Exception:
                log.exception("inbox sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.policy.sweep_interval)
