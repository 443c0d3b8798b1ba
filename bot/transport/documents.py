"""Documents that travel with a notification: the credit note PDF (B3).

The PDF is drawn the first time it is sent and kept (billing.document_files), not when the outbox
row is written: PDFs stay out of the outbox table, and a resend or a download costs no rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing.document_files import credit_note_pdf_once
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
        document, pdf = await credit_note_pdf_once(tx, texts, credit_note_id, locale)
        return f"credit-note-{document.credit_note.number or credit_note_id}.pdf", pdf

    return load
