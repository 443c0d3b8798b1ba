"""The offline demo's chat, kept in the database: a restarted demo shows the conversation and
answers the next message (the emulator numbers updates on from the last one it made, or from the
inbox's last one if that is later, so the inbox never drops a new message as a repeat).

The table is the demo's only (one row, a JSON document made by bot.emulator.saved); the emulator
itself stays free of any database, as the tests use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Integer, func, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.models import InboxRow
from support_desk.core.db import Base, JSONType, UTCDateTime
from support_desk.core.tx import Transactor, UnitOfWork

if TYPE_CHECKING:
    from bot.emulator import BotApiEmulator

log = logging.getLogger(__name__)
SAVE_DELAY = 0.3  # seconds: a burst of changes (a message and its edits) is saved once


class DemoChatState(Base):
    """The emulator's chats and numbering, as one document."""

    __tablename__ = "demo_chat_state"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())


async def _load(uow: UnitOfWork) -> tuple[dict[str, Any] | None, int]:
    row = await uow.session.get(DemoChatState, 1)
    last_in_inbox = await uow.session.scalar(select(func.max(InboxRow.update_id)))
    return (None if row is None else row.state), int(last_in_inbox or 0)


async def _save(uow: UnitOfWork, state: dict[str, Any]) -> None:
    row = await uow.session.get(DemoChatState, 1)
    if row is None:
        uow.session.add(DemoChatState(id=1, state=state, saved_at=uow.now))
    else:
        row.state, row.saved_at = state, uow.now


class ChatKeeper:
    """Restores the emulator's chats at start, saves them after each change and at the end."""

    def __init__(self, tx: Transactor, emulator: BotApiEmulator) -> None:
        self.tx = tx
        self.emulator = emulator
        self._saved: dict[str, Any] | None = None

    async def restore(self) -> None:
        from bot.emulator.saved import restore

        state, last_in_inbox = await self.tx.read(_load)
        e = self.emulator
        if state is not None:
            restore(e.world, e.webchat, e.feed, state)
            self._saved = state
        if last_in_inbox >= e.world.last_update_id:
            e.world.continue_update_ids_from(last_in_inbox + 1)

    async def save(self) -> None:
        from bot.emulator.saved import snapshot

        e = self.emulator
        state = snapshot(e.world, e.webchat, e.feed)
        if state != self._saved:
            await self.tx.run(_save, state)
            self._saved = state

    async def _changed(self, stop: asyncio.Event) -> None:
        world = self.emulator.world
        seen = world.version
        with contextlib.suppress(TimeoutError):
            await world.wait_until(lambda: world.version != seen or stop.is_set(), 3600)

    async def run(self, stop: asyncio.Event) -> None:
        """Save after every change until `stop`; then once more."""
        try:
            while not stop.is_set():
                await self._changed(stop)
                await asyncio.sleep(SAVE_DELAY)
                await self.save()
        finally:
            await self.save()
