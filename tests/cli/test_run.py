"""`support-desk run` refuses to serve real Telegram customers with the built-in secret key."""

from __future__ import annotations

from pathlib import Path

import pytest

from support_desk.cli import main


def test_run_with_a_real_bot_token_and_the_default_secret_key_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUPPORT_DESK_BOT_TOKEN", "123456:real-token")
    monkeypatch.setenv("SUPPORT_DESK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.delenv("SUPPORT_DESK_SECRET_KEY", raising=False)

    code = main(["run"])

    assert code == 2
    assert "SUPPORT_DESK_SECRET_KEY" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()
