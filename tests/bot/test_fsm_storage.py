"""The SQL FSM storage: the row is the truth, the process's copy saves the reads."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.transport.storage import SqlStorage
from support_desk.core.tx import Transactor

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


def counting_reads(tx: Transactor, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    real = tx.read

    async def read(query: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(query.__name__)
        return await real(query, *args, **kwargs)

    monkeypatch.setattr(tx, "read", read)
    return reads


async def test_state_and_data_survive_a_new_process(tx: Transactor) -> None:
    first = SqlStorage(tx)
    await first.set_state(KEY, "flow:reason")
    await first.update_data(KEY, {"invoice": 7})
    await first.update_data(KEY, {"reason": "moved"})

    restarted = SqlStorage(tx)

    assert await restarted.get_state(KEY) == "flow:reason"
    assert await restarted.get_data(KEY) == {"invoice": 7, "reason": "moved"}


async def test_a_known_key_is_read_from_the_copy(
    tx: Transactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = SqlStorage(tx)
    reads = counting_reads(tx, monkeypatch)

    for n in range(3):
        assert await storage.get_state(KEY) is None
        await storage.update_data(KEY, {"n": n})

    assert reads == ["_row"]
    assert await SqlStorage(tx).get_data(KEY) == {"n": 2}


async def test_a_write_that_fails_leaves_the_copy_as_the_row(
    tx: Transactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = SqlStorage(tx)
    await storage.update_data(KEY, {"step": 1})
    real = tx.run

    async def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(tx, "run", failing)
    with pytest.raises(RuntimeError):
        await storage.update_data(KEY, {"step": 2})
    monkeypatch.setattr(tx, "run", real)

    assert await storage.get_data(KEY) == {"step": 1}
    assert await SqlStorage(tx).get_data(KEY) == {"step": 1}
