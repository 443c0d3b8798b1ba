"""D9: no network call happens while a database transaction is open."""

from __future__ import annotations

import aiohttp
import pytest

from support_desk.core.tx import Transactor, UnitOfWork, in_transaction


async def test_d9_a_request_inside_a_unit_of_work_fails_loudly(tx: Transactor) -> None:
    async def chatty(uow: UnitOfWork) -> None:
        async with aiohttp.ClientSession() as http:
            await http.get("http://127.0.0.1:9/")

    with pytest.raises(AssertionError, match="network call inside a database transaction"):
        await tx.run(chatty)
    assert not in_transaction()
