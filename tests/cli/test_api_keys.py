"""`support-desk api-key create|list|revoke`, and that these commands load no aiogram."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support_desk.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("SUPPORT_DESK_DATABASE_URL", url)
    return url


def test_keys_are_created_listed_and_revoked(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["api-key", "create", "billing"]) == 0
    assert main(["api-key", "create", "ops", "--admin"]) == 0
    assert main(["api-key", "create", "acme", "--signing"]) == 0
    created = capsys.readouterr().out
    assert main(["api-key", "revoke", "1"]) == 0
    assert main(["api-key", "revoke", "1"]) == 0  # already revoked: nothing changes
    revoked = capsys.readouterr().out
    assert main(["api-key", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()

    assert "(id 1)" in created and "admin API bearer key for 'ops'" in created
    assert revoked.count("revoked: 1\trevoked ") == 2
    assert [line.split("\t")[:4] for line in listed] == [
        ["1", listed[0].split("\t")[1], "bearer", "billing"],
        ["2", "live", "bearer admin", "ops"],
        ["3", "live", "signing", "acme"],
    ]
    assert listed[0].split("\t")[1].startswith("revoked ")
    assert "merchant=acme key_id=" in listed[2]
    assert "sdk_" not in "\n".join(listed)


def test_revoking_an_unknown_key_is_refused(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["api-key", "revoke", "42"]) == 1
    assert "There is no API key 42." in capsys.readouterr().out


def test_the_api_key_commands_do_not_import_aiogram(database: str) -> None:
    script = (
        "import sys\n"
        "from support_desk.cli import main\n"
        "assert main(['api-key', 'create', 'x']) == 0\n"
        "assert main(['api-key', 'list']) == 0\n"
        "assert main(['api-key', 'revoke', '1']) == 0\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'aiogram')\n"
        "assert not loaded, loaded\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
