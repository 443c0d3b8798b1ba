"""The delivery worker's database steps, each run as its own unit of work (D9: the network call
happens between them, never inside one).

A row is leased (bot.transport.leasing) only if it is still pending and nobody holds an
unexpired lease.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.chats import CHAT_LINK_LOCK
from bot.models import DeliveryProgress, TelegramChat
from bot.transport.leasing import release_held, released, take_due
from support_desk.core.db import serialize_on
from support_desk.core.outbox import OutboxRow, OutboxStatus
from support_desk.core.tx import UnitOfWork


@dataclass(frozen=True, slots=True)
class Leased:
    """An outbox row this worker may send until `lease_until`, with where it goes."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    chat_id: int
    language: str
    parts_sent: int


def _due(uow: UnitOfWork) -> Any:
    return _due_at(uow.now)


def _due_at(now: Any) -> Any:
    """Pending, its time come, and nobody's unexpired lease on it (`now`: a time or a bind)."""
    return and_(
        OutboxRow.status == OutboxStatus.PENDING,
        OutboxRow.next_attempt_at <= now,
        or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
    )


async def lease_due(uow: UnitOfWork, owner: str, limit: int, seconds: float) -> list[Leased]:
    """Take up to `limit` due rows; rows with no linked or a blocked chat are closed here."""
    until = uow.now + timedelta(seconds=seconds)
    values = {"lease_owner": owner, "lease_until": until}
    taken = await take_due(uow, OutboxRow.id, _due(uow), limit, values)
    return await _resolve(uow, [row[0] for row in taken])


async def _resolve(uow: UnitOfWork, ids: list[int]) -> list[Leased]:
    rows = await _with_chats(uow, ids)
    unlinked = sorted({r.customer_id for r, chat, _ in rows if chat is None} - {None})
    if unlinked:
        # Wait for any link of these customers in flight, then look again: a row closed as
        # undeliverable after its customer linked would never be revived (link_chat).
        for customer_id in unlinked:
            await serialize_on(uow.session, CHAT_LINK_LOCK, customer_id)
        rows = await _with_chats(uow, ids)
    leased: list[Leased] = []
    for row, chat, parts_sent in rows:
        if chat is None:
            _close(uow, row, OutboxStatus.UNDELIVERABLE, "no linked Telegram chat")
        elif chat.blocked_at is not None:
            _close(uow, row, OutboxStatus.FAILED, "Forbidden: bot was blocked by the user")
        else:
            leased.append(
                Leased(
                    row.id,
                    row.kind,
                    dict(row.payload),
                    row.attempts,
                    chat.chat_id,
                    chat.language,
                    parts_sent or 0,
                )
            )
    return leased


async def _with_chats(uow: UnitOfWork, ids: list[int]) -> list[Any]:
    query = (
        select(OutboxRow, TelegramChat, DeliveryProgress.parts_sent)
        .outerjoin(TelegramChat, TelegramChat.customer_id == OutboxRow.customer_id)
        .outerjoin(DeliveryProgress, DeliveryProgress.outbox_id == OutboxRow.id)
        .where(OutboxRow.id.in_(ids))
        .order_by(OutboxRow.id)
        .execution_options(populate_existing=True)
    )
    return list((await uow.session.execute(query)).all())


def _close(uow: UnitOfWork, row: OutboxRow, status: str, error: str) -> None:
    row.status, row.last_error = status, error
    row.lease_owner, row.lease_until = None, None


def _mine(outbox_id: int, owner: str) -> Any:
    return and_(
        OutboxRow.id == outbox_id,
        OutboxRow.lease_owner == owner,
        OutboxRow.status == OutboxStatus.PENDING,
    )


async def _set(uow: UnitOfWork, outbox_id: int, owner: str, **values: Any) -> bool:
    result = await uow.session.execute(
        update(OutboxRow)
        .where(_mine(outbox_id, owner))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def renew(uow: UnitOfWork, outbox_id: int, owner: str, seconds: float) -> bool:
    """Extend our lease right before a part is sent; False when the row is no longer ours (our
    lease passed while it waited and another worker took it, or it was settled): do not send."""
    result = await uow.session.execute(
        update(OutboxRow)
        .where(_mine(outbox_id, owner))
        .values(lease_until=uow.now + timedelta(seconds=seconds))
        .returning(OutboxRow.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


async def mark_sent(uow: UnitOfWork, outbox_id: int, owner: str) -> bool:
    return await _set(
        uow,
        outbox_id,
        owner,
        status=OutboxStatus.SENT,
        sent_at=uow.now,
        lease_owner=None,
        lease_until=None,
        last_error=None,
    )


OUTBOX = cast(Table, OutboxRow.__table__)
_MARK_SENT = release_held(
    OUTBOX, OutboxStatus.PENDING, "sent_at", status=OutboxStatus.SENT, last_error=None
)


async def mark_sent_many(
    connection: AsyncConnection, now: datetime, outbox_ids: list[int], owner: str
) -> list[int]:
    """`mark_sent` for many rows in one prebuilt Core UPDATE on a bare connection (the delivery
    worker's group commit); returns the ids that were still ours."""
    return await released(connection, _MARK_SENT, now, outbox_ids, owner)


async def mark_failed(uow: UnitOfWork, outbox_id: int, owner: str, error: str) -> bool:
    """Give up for good (blocked, bad request, too many attempts); the row is kept."""
    return await _set(
        uow,
        outbox_id,
        owner,
        status=OutboxStatus.FAILED,
        last_error=error[:2000],
        lease_owner=None,
        lease_until=None,
    )


async def reschedule(
    uow: UnitOfWork, outbox_id: int, owner: str, error: str, delay: float, *, attempt: bool
) -> bool:
    """Release the lease and try again after `delay` seconds."""
    return await _set(
        uow,
        outbox_id,
        owner,
        attempts=OutboxRow.attempts + (1 if attempt else 0),
        next_attempt_at=uow.now + timedelta(seconds=delay),
        last_error=error[:2000],
        lease_owner=None,
        lease_until=None,
    )


async def record_progress(uow: UnitOfWork, outbox_id: int, parts_sent: int) -> None:
    progress = await uow.session.get(DeliveryProgress, outbox_id)
    if progress is None:
        uow.session.add(DeliveryProgress(outbox_id=outbox_id, parts_sent=parts_sent))
    else:
        progress.parts_sent = parts_sent


async def mark_chat_blocked(uow: UnitOfWork, chat_id: int) -> None:
    await uow.session.execute(
        update(TelegramChat)
        .where(TelegramChat.chat_id == chat_id, TelegramChat.blocked_at.is_(None))
        .values(blocked_at=uow.now)
        .execution_options(synchronize_session=False)
    )


_ANY_DUE = select(OutboxRow.id).where(_due_at(bindparam("now"))).limit(1)


async def any_due(conn: AsyncConnection, now: datetime) -> bool:
    """Whether a lease would take anything. A read: an idle worker's poll, and the last round
    of a drain, find nothing without taking SQLite's write lock or PostgreSQL's row locks."""
    return (await conn.execute(_ANY_DUE, {"now": now})).first() is not None
