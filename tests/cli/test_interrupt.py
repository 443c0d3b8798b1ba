"""Ctrl-C stops the demo as a person stops it: no traceback, the exit status of an interrupt,
and the chat saved on the way out (the cleanup ran to its end)."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _wait_for(pattern: str, log: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if re.search(pattern, log.read_text()):
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"support-desk run did not start:\n{log.read_text()}")


@pytest.mark.parametrize(
    ("stop", "status"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM)],
    ids=["ctrl-c", "sigterm"],
)
def test_ctrl_c_stops_the_demo_without_a_traceback(
    tmp_path: Path, stop: signal.Signals, status: int
) -> None:
    database = tmp_path / "demo.db"
    env = os.environ | {
        "SUPPORT_DESK_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "SUPPORT_DESK_HTTP_PORT": "0",
        "SUPPORT_DESK_DEMO_CHAT_PORT": "0",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    env.pop("SUPPORT_DESK_BOT_TOKEN", None)
    log = tmp_path / "run.log"
    command = [
        sys.executable,
        "-c",
        "import sys; from support_desk.cli import main; sys.exit(main(['run']))",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(r"as a customer at http://", log, process)
        process.send_signal(stop)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    printed = log.read_text()
    assert code == status, printed
    assert "Traceback" not in printed and "support-desk: stopped" in printed
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM demo_chat_state").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM demo_database").fetchone() == (1,)
