"""`support-desk user add`: the password from a flag or standard input; without one and without a
terminal, a polite refusal (it used to end in a traceback), and nothing created."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ticketing
from support_desk.cli import main
from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'users.db'}"
    monkeypatch.setenv("SUPPORT_DESK_DATABASE_URL", url)
    monkeypatch.delenv("SUPPORT_DESK_NEW_PASSWORD", raising=False)
    return url


async def _signs_in(url: str, login: str, password: str) -> str:
    engine = make_engine(url)
    try:
        tx = Transactor(engine, SystemClock(), Settings(database_url=url))
        return str((await ticketing.authenticate(tx, login, password)).role)
    finally:
        await engine.dispose()


def test_the_password_comes_from_standard_input(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))

    code = main(["user", "add", "Ann", "--role", "admin", "--password-stdin"])

    assert code == 0 and "created admin 'ann'" in capsys.readouterr().out
    assert asyncio.run(_signs_in(database, "ann", "correct horse battery")) == "admin"


def test_without_a_password_or_a_terminal_it_refuses_politely_and_creates_nothing(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    code = main(["user", "add", "ann"])

    assert code == 1
    assert "--password-stdin" in capsys.readouterr().err
    assert not Path(database.removeprefix("sqlite+aiosqlite:///")).exists()


def test_an_empty_password_on_standard_input_is_refused(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))

    assert main(["user", "add", "ann", "--password-stdin"]) == 1
    assert "empty" in capsys.readouterr().err


def test_run_as_a_script_with_no_terminal_it_ends_without_a_traceback(database: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from support_desk.cli import main; "
            "sys.exit(main(['user', 'add', 'ann']))",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )

    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "nothing was created" in done.stderr
