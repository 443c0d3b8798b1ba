"""Imports every package's tables so Alembic and the test schema see the whole metadata."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "support_desk.core.audit",
    "support_desk.core.outbox",
    "support_desk.core.idempotency",
    "billing.models",
    "billing.document_files",
    "web.platform.models",
    "web.console.models",
    "ticketing.models",
    "ticketing.admin_models",
    "bot.models",
    "bot.demo_chat",
    "support_desk.demo.marker",
)


def load_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
