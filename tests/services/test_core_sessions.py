"""D6: sessions are never shared between tasks, and no model can lazy-load at render time."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from support_desk.core.tx import Transactor, UnitOfWork

ROOT = Path(__file__).resolve().parents[2]


async def test_d6_a_session_used_from_a_second_task_fails_loudly(tx: Transactor) -> None:
    async def shares(uow: UnitOfWork) -> None:
        await uow.session.flush()
        await asyncio.create_task(uow.session.flush())

    with pytest.raises(AssertionError, match="shared between tasks"):
        await tx.run(shares)


def test_d6_no_model_declares_a_relationship_that_could_lazy_load() -> None:
    models = [
        *ROOT.glob("billing/**/*.py"),
        *ROOT.glob("ticketing/**/*.py"),
        *ROOT.glob("bot/**/*.py"),
        *ROOT.glob("support_desk/core/*.py"),
    ]

    offenders = [str(p) for p in models if re.search(r"\brelationship\(", p.read_text())]

    assert offenders == []
