"""A command that needs no bot does not import it: aiogram alone takes seconds to import, which
made `--help` take 13-22 s. Each command runs in a fresh interpreter, as a person runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import sys
from support_desk.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("imported aiogram:", "aiogram" in sys.modules, "exit:", code)
"""


def _run(args: list[str], tmp_path: Path, stdin: str | None = None) -> str:
    env = os.environ | {
        "SUPPORT_DESK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["--help"], None),
        (["db", "upgrade"], None),
        (["user", "add", "ann", "--password-stdin"], "a long passphrase\n"),
        (["api-key", "create", "billing"], None),
    ],
    ids=["help", "db-upgrade", "user-add", "api-key-create"],
)
def test_a_command_that_needs_no_bot_does_not_import_aiogram(
    args: list[str], stdin: str | None, tmp_path: Path
) -> None:
    assert _run(args, tmp_path, stdin) == "imported aiogram: False exit: 0"


def test_the_bot_is_still_there_for_run() -> None:
    """The lazy import must not hide the bot from `run` (the check above could pass vacuously
    if nothing ever imported aiogram)."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys, support_desk.wiring; print('aiogram' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert done.stdout.strip() == "True"
