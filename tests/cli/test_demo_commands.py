"""The demo's safety from the command line: with no bot token, `run` refuses a database that
holds someone else's data; `demo-data` loads the company into an empty database of any kind and
only once; `demo reset` starts the demo afresh and refuses anyone else's database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import billing
from billing.commands import CreateCustomer
from billing.models import Customer
from support_desk.cli import main
from support_desk.core.actors import Actor
from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor, UnitOfWork
from support_desk.demo.marker import DatabaseKind, database_kind
from support_desk.demo.start import DEMO_FILE

T = TypeVar("T")


async def _customers(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(select(func.count(Customer.id))) or 0)


async def _kind(uow: UnitOfWork) -> DatabaseKind:
    return await database_kind(uow)


def _in(url: str, use_case: Callable[..., Awaitable[T]], *args: Any, write: bool = False) -> T:
    """One transaction on the database, from this (synchronous) test, on its own engine."""

    async def once() -> T:
        engine = make_engine(url)
        try:
            tx = Transactor(engine, SystemClock(), Settings(database_url=url))
            return await (tx.run if write else tx.read)(use_case, *args)
        finally:
            await engine.dispose()

    return asyncio.run(once())


def _add_customer(url: str, external_id: str) -> None:
    cmd = CreateCustomer(external_id=external_id, name="A real customer", actor=Actor.system("t"))
    _in(url, billing.create_customer, cmd, write=True)


@pytest.fixture
def no_token(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: AsyncEngine) -> str:
    """The database (truncated after the test by `engine`) and no bot token."""
    monkeypatch.delenv("SUPPORT_DESK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("SUPPORT_DESK_DATABASE_URL", database_url)
    monkeypatch.setenv("SUPPORT_DESK_HTTP_PORT", "0")
    monkeypatch.setenv("SUPPORT_DESK_DEMO_CHAT_PORT", "0")
    return database_url


@pytest.fixture
def someone_elses(no_token: str) -> str:
    _add_customer(no_token, "real-7")
    return no_token


def test_the_demo_refuses_a_database_that_is_not_a_demo_database(
    someone_elses: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run"])

    said = capsys.readouterr().err
    assert code == 2
    assert "the offline demo will not use" in said and "holds data that is not the demo's" in said
    assert "SUPPORT_DESK_BOT_TOKEN" in said
    assert _in(someone_elses, _customers) == 1
    assert _in(someone_elses, _kind) is DatabaseKind.OTHER


def test_demo_data_loads_the_company_into_an_empty_database_once(
    no_token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-data"]) == 0
    assert "loaded the demo company" in capsys.readouterr().out
    customers = _in(no_token, _customers)

    assert main(["demo-data"]) == 0
    assert "already" in capsys.readouterr().out
    assert _in(no_token, _customers) == customers >= 6
    assert _in(no_token, _kind) is DatabaseKind.DEMO


def test_demo_data_and_reset_refuse_someone_elses_database(
    someone_elses: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-data"]) == 2
    assert main(["demo", "reset"]) == 2
    assert "will not" in capsys.readouterr().err
    assert _in(someone_elses, _customers) == 1


def test_demo_reset_starts_the_demo_database_afresh(
    no_token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-data"]) == 0
    demo_customers = _in(no_token, _customers)
    _add_customer(no_token, "tried-in-the-demo")

    assert main(["demo", "reset"]) == 0

    assert "starts afresh" in capsys.readouterr().out
    assert _in(no_token, _customers) == demo_customers
    assert _in(no_token, _kind) is DatabaseKind.DEMO


def test_with_no_token_and_no_database_url_the_demo_has_a_file_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUPPORT_DESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("SUPPORT_DESK_BOT_TOKEN", raising=False)

    assert main(["demo", "reset"]) == 0

    assert (tmp_path / DEMO_FILE).exists() and not (tmp_path / "support_desk.db").exists()
    assert str(tmp_path / DEMO_FILE) in capsys.readouterr().out
