"""Documents that travel with a notification: the credit note PDF (B3), rendered at send time.

Rendering at send time, not when the row is written, keeps PDFs out of the outbox table; the
credit note is immutable once issued, so the PDF is the same whenever it is made.
"""

from __future__ import annotations

import asyncio

from billing.documents import AttachesCreditNote, credit_note_document, credit_note_pdf
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
        document = await tx.read(credit_note_document, credit_note_id)
        pdf = await asyncio.to_thread(credit_note_pdf, document, texts, locale)  # CPU-bound
        return f"credit-note-{document.credit_note.number or credit_note_id}.pdf", pdf

    return load
