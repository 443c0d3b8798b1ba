"""`support-desk run` refuses to serve real Telegram customers with the built-in secret key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


async def test_run_freezes_what_start_up_made_once_it_serves(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """gc.freeze() after start-up (docs/performance.md): the collections under load then walk
    only what updates and requests create."""
    import asyncio

    from support_desk import wiring
    from support_desk.cli import _serve_app
    from support_desk.core.settings import Settings
    from support_desk.migrations import upgrade

    frozen: list[str] = []
    prepared: list[Any] = []
    monkeypatch.setattr(wiring, "freeze_start_up_objects", lambda: frozen.append("frozen"))
    real_prepare = wiring.prepare_for_traffic
    monkeypatch.setattr(
        wiring, "prepare_for_traffic", lambda app: (prepared.append(app), real_prepare(app))
    )
    url = f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
    await asyncio.to_thread(upgrade, url)
    runtime = wiring.build_runtime(Settings(database_url=url, http_port=0))
    serving = asyncio.create_task(_serve_app(runtime, None))
    while "serving on" not in capsys.readouterr().out and not serving.done():  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    serving.cancel()
    await asyncio.gather(serving, return_exceptions=True)
    await runtime.engine.dispose()

    assert frozen == ["frozen"]
    # the first customer waits for no template compiling and no answer type being built
    (app,) = prepared
    russian = app[wiring.TEXTS].environment("ru")
    assert "bot/money/invoice_page.html" in {t.name for t in russian.cache.values()}
    from support_desk.core import idempotency

    answer_types = {idempotency._result_type(use_case) for use_case in idempotency._KEYED}
    assert idempotency._adapter.cache_info().currsize >= len(answer_types) > 5
