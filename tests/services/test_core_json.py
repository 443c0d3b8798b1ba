"""Client-controlled text with a NUL character is stored on both backends (jsonb refuses it)."""

from __future__ import annotations

from sqlalchemy import select

from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.tx import Transactor, UnitOfWork


async def test_a_nul_in_a_json_document_is_kept_as_a_replacement_character(
    tx: Transactor,
) -> None:
    async def write(uow: UnitOfWork) -> None:
        uow.audit(
            Actor.system(),
            "refused",
            subject=("callback", "x"),
            after={"data\x00": ["inv:c:1\x00", {"k": "\x00"}]},
        )

    await tx.run(write)

    async def read(uow: UnitOfWork) -> object:
        return (await uow.session.scalars(select(AuditRow.after))).one()

    assert await tx.read(read) == {"data\ufffd": ["inv:c:1\ufffd", {"k": "\ufffd"}]}
