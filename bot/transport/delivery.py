"""The delivery worker (T8): leases outbox rows, renders them, sends them within Telegram's limits.

- 429: waits `retry_after` and sends the same part again (TG10); a wait longer than the lease
  allows releases the row until then instead, without counting an attempt.
- Network errors and 5xx: the row is released and retried with exponential backoff, up to
  `max_attempts`, then kept as failed.
- Permanent errors (blocked by the user, bad request): the row is failed and kept; a block is
  remembered on the chat so later rows for it are closed without calling Telegram.
- Multi-part rows record each sent part, so a retry resumes instead of repeating.
- A batch shares one lease, but sending it can outlast it (1 message/s per chat, 429 waits,
  multi-part rows), so a part whose lease has lost more than a quarter of its time renews it
  right before it is sent, and the row is dropped if another worker took it over meanwhile: a
  row is never sent twice. A fresher lease needs no renewal: nobody can take the row before it
  passes (the common case, one transaction saved per message).
- "Sent" marks of rows that finish together are one UPDATE (group commit); each row still
  waits for its own mark before its chat's next row is sent.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile

from bot.transport import outbox_store as store
from bot.transport.group_commit import GroupCommit
from bot.transport.ratelimit import RateLimiter, SendingLimiter
from bot.transport.render import Part, Renderer, RenderError
from support_desk.core.tx import Transactor

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    batch: int = 20  # x 1 s per chat stays well under the lease, so renewals rarely find it lost
    lease_seconds: float = 120.0
    max_attempts: int = 8
    backoff_base: float = 2.0
    backoff_cap: float = 600.0
    poll_interval: float = 1.0
    parallel_chats: int = 16  # bounds the database connections one worker holds at once


class Permanent(Exception):
    """Sending this row can never succeed; keep it as failed."""


class LeaseLost(Exception):
    """Another worker took this row over after our lease passed; it is theirs to send."""


class DeliveryWorker:
    """One worker; several may run on one database and never send a row twice."""

    def __init__(
        self,
        tx: Transactor,
        bot: Bot,
        renderer: Renderer,
        limiter: SendingLimiter | None = None,
        policy: DeliveryPolicy | None = None,
        owner: str | None = None,
    ) -> None:
        self.tx, self.bot, self.renderer = tx, bot, renderer
        self.limiter: SendingLimiter = limiter or RateLimiter()
        self.policy = policy or DeliveryPolicy()
        self.owner = owner or f"delivery-{uuid.uuid4().hex[:12]}"
        self.wake = asyncio.Event()
        self._leased_at: dict[int, datetime] = {}  # when this worker last took or renewed each
        self._sent = GroupCommit(self._mark_sent)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; `wake` cuts the idle wait short."""
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:  # a database hiccup must not end delivery
                log.exception("delivery round failed")
                handled = 0
            if handled == 0:
                self.wake.clear()
                waiters = [asyncio.ensure_future(e.wait()) for e in (stop, self.wake)]
                await asyncio.wait(
                    waiters, timeout=self.policy.poll_interval, return_when=asyncio.FIRST_COMPLETED
                )
                for waiter in waiters:
                    waiter.cancel()

    async def run_once(self) -> int:
        """Lease one batch and deliver it: chats in parallel, one chat's rows in order."""
        leased_at = self.tx.clock.now()  # before the lease's own `now`: never later than it
        if not await self.tx.read_statement(store.any_due, leased_at):
            return 0
        batch = await self.tx.run(
            store.lease_due, self.owner, self.policy.batch, self.policy.lease_seconds
        )
        by_chat: dict[int, list[store.Leased]] = defaultdict(list)
        for row in batch:
            by_chat[row.chat_id].append(row)
            self._leased_at[row.id] = leased_at
        slots = asyncio.Semaphore(self.policy.parallel_chats)
        try:
            results = await asyncio.gather(
                *(self._deliver_chat(rows, slots) for rows in by_chat.values()),
                return_exceptions=True,
            )
        finally:
            for row in batch:
                self._leased_at.pop(row.id, None)
        for error in (r for r in results if isinstance(r, BaseException)):
            # the rows stay leased and are retried once the lease passes
            log.error("delivery to a chat failed", exc_info=error)
        return len(batch)

    async def drain(self) -> None:
        """Deliver until nothing is due (tests, the demo, shutdown)."""
        while await self.run_once():
            pass

    async def _deliver_chat(self, rows: list[store.Leased], slots: asyncio.Semaphore) -> None:
        async with slots:
            await self._deliver_rows(rows)

    async def _deliver_rows(self, rows: list[store.Leased]) -> None:
        blocked = False
        for row in rows:
            if blocked:  # the rest of this batch need not ask Telegram again
                await self._fail(row, "Forbidden: bot was blocked by the user")
            else:
                blocked = await self._deliver(row)

    async def _deliver(self, row: store.Leased) -> bool:
        """Send one row and settle it; True when the chat turned out to have blocked the bot."""
        try:
            parts = await self.renderer.render_row(row.kind, row.payload, row.language)
            await self._send_parts(row, parts)
        except LeaseLost:
            log.warning("outbox %s was taken over by another worker; not sending it", row.id)
        except TelegramRetryAfter as exc:
            await self._retry(row, str(exc), exc.retry_after, attempt=False)
        except TelegramForbiddenError as exc:
            await self.tx.run(store.mark_chat_blocked, row.chat_id)
            await self._fail(row, exc.message)
            return True
        except (TelegramBadRequest, RenderError, Permanent) as exc:
            await self._fail(row, str(exc))
        except (TelegramAPIError, TelegramNetworkError, OSError, TimeoutError) as exc:
            await self._transient(row, exc)
        else:
            if not await self._sent.add(row.id):
                log.warning("outbox %s was sent after its lease passed", row.id)
        return False

    async def _mark_sent(self, outbox_ids: list[int]) -> list[int]:
        return await self.tx.run_statement(store.mark_sent_many, outbox_ids, self.owner)

    def _lease_is_fresh(self, outbox_id: int) -> bool:
        """Our lease has more than three quarters of its time left: no worker can have taken
        the row over (they wait for `lease_until` to pass), and the send has most of a lease to
        finish in, so renewing it would be a wasted write."""
        leased_at = self._leased_at.get(outbox_id)
        margin = timedelta(seconds=self.policy.lease_seconds / 4)
        return leased_at is not None and self.tx.clock.now() < leased_at + margin

    async def _send_parts(self, row: store.Leased, parts: list[Part]) -> None:
        for index in range(row.parts_sent, len(parts)):
            await self._send_part(row, parts[index])
            if index + 1 < len(parts):
                await self.tx.run(store.record_progress, row.id, index + 1)

    async def _send_part(self, row: store.Leased, part: Part) -> None:
        chat_id, waited = row.chat_id, 0.0
        for _ in itertools.count():
            await self.limiter.acquire(chat_id)
            if not self._lease_is_fresh(row.id):
                renewed_at = self.tx.clock.now()
                seconds = self.policy.lease_seconds
                if not await self.tx.run(store.renew, row.id, self.owner, seconds):
                    raise LeaseLost(row.id)
                self._leased_at[row.id] = renewed_at
            try:
                await self._call(chat_id, part)
                return
            except TelegramRetryAfter as exc:
                waited += exc.retry_after
                if waited > self.policy.lease_seconds / 2:
                    raise
                log.info("429 for chat %s: waiting %ss", chat_id, exc.retry_after)
                await self.limiter.hold(chat_id, exc.retry_after)

    async def _call(self, chat_id: int, part: Part) -> None:
        if part.document is not None:
            name, content = part.document
            await self.bot.send_document(
                chat_id,
                BufferedInputFile(content, name),
                caption=part.caption,
                parse_mode="HTML" if part.caption else None,
                reply_markup=part.keyboard,
            )
        elif part.text:
            await self.bot.send_message(
                chat_id, part.text, parse_mode="HTML", reply_markup=part.keyboard
            )

    async def _transient(self, row: store.Leased, exc: BaseException) -> None:
        if row.attempts + 1 >= self.policy.max_attempts:
            await self._fail(row, f"gave up after {row.attempts + 1} attempts: {exc}")
            return
        delay = min(self.policy.backoff_base * 2**row.attempts, self.policy.backoff_cap)
        await self._retry(row, str(exc), delay, attempt=True)

    async def _retry(self, row: store.Leased, error: str, delay: float, *, attempt: bool) -> None:
        await self.tx.run(store.reschedule, row.id, self.owner, error, delay, attempt=attempt)

    async def _fail(self, row: store.Leased, error: str) -> None:
        log.info("outbox %s failed for good: %s", row.id, error)
        await self.tx.run(store.mark_failed, row.id, self.owner, error)
