"""Documents that travel with a notification: the credit note PDF (B3).

The PDF is drawn the first time it is sent and kept (billing.document_files), not when the outbox
row is written: PDFs stay out of the outbox table, and a resend or a download costs no rendering.
"""

from __future__ import annotations

from billing.document_files import credit_note_pdf_once
from billing.documents import AttachesCreditNote
from bot.transport.render import DocumentLoader
from support_desk.core.messages import CustomerMessage
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor


def credit_note_loader(tx: Transactor, texts: Texts) -> DocumentLoader:
    """A loader for the delivery worker: the PDF of the credit note a message carries (the
    message types that carry one say so by `AttachesCreditNote`)."""

    async def load(message: CustomerMessage, locale: str) -> tuple[str, bytes] | None:
        if not isinstance(message, AttachesCreditNote):
            return None
        credit_note_id = message.credit_note_id
        number, pdf = await credit_note_pdf_once(tx, texts, credit_note_id, locale)
        return f"credit-note-{number or credit_note_id}.pdf", pdf

    return load
