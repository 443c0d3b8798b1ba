"""Documents that travel with a notification: the credit note PDF (B3), rendered at send time.

Rendering at send time, not when the row is written, keeps PDFs out of the outbox table; the
credit note is immutable once issued, so the PDF is the same whenever it is made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from billing.documents import credit_note_document, credit_note_pdf
from bot.transport.render import DocumentLoader
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor

KINDS_WITH_CREDIT_NOTE = frozenset({"credit_note_issued", "invoice_split"})


def credit_note_loader(tx: Transactor, texts: Texts) -> DocumentLoader:
    """A loader for the delivery worker: the PDF of `payload["credit_note_id"]`."""

    async def load(kind: str, payload: Mapping[str, Any], locale: str) -> tuple[str, bytes] | None:
        credit_note_id = payload.get("credit_note_id")
        if kind not in KINDS_WITH_CREDIT_NOTE or not isinstance(credit_note_id, int):
            return None
        document = await tx.read(credit_note_document, credit_note_id)
        pdf = await asyncio.to_thread(credit_note_pdf, document, texts, locale)  # CPU-bound
        return f"credit-note-{document.credit_note.number or credit_note_id}.pdf", pdf

    return load
