"""A credit note's PDF is drawn once per status and language, then read back (kept bytes)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

import billing
from billing import document_files, documents
from billing.commands import UndoCancellation
from billing.document_files import CreditNoteFile, credit_note_pdf_once
from support_desk.core.actors import Actor
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import make_customer
from tests.services.billing.test_documents import cancelled, pdf_text

TEXTS = Texts()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the PDFs actually drawn, keeping the real rendering."""
    drawn: list[str] = []

    def counting(doc: documents.CreditNoteDocument, texts: Texts, locale: str) -> bytes:
        drawn.append(f"{doc.credit_note.status}/{locale}")
        return documents.credit_note_pdf(doc, texts, locale, compress=False)

    monkeypatch.setattr(document_files, "credit_note_pdf", counting)
    return drawn


async def _files(tx: Transactor) -> int:
    async def count(uow: UnitOfWork) -> int:
        return int(await uow.session.scalar(select(func.count()).select_from(CreditNoteFile)))

    return await tx.read(count)


async def test_b3_the_second_send_reads_the_kept_pdf(tx: Transactor, renders: list[str]) -> None:
    doc = await cancelled(tx)

    _, first = await credit_note_pdf_once(tx, TEXTS, doc.credit_note.id)
    _, again = await credit_note_pdf_once(tx, TEXTS, doc.credit_note.id)

    assert first == again and "Credit note CN-000001" in pdf_text(first)
    assert renders == ["issued/en"]


async def test_each_language_and_a_void_are_documents_of_their_own(
    tx: Transactor, renders: list[str]
) -> None:
    customer = await make_customer(tx)
    me = Actor.customer(customer.id)
    doc = await cancelled(tx, customer, by=me)
    await credit_note_pdf_once(tx, TEXTS, doc.credit_note.id, "ru")
    await tx.run(
        billing.undo_cancellation, UndoCancellation(credit_note_id=doc.credit_note.id, actor=me)
    )

    _, void = await credit_note_pdf_once(tx, TEXTS, doc.credit_note.id, "en")

    assert "VOID" in pdf_text(void)
    assert renders == ["issued/ru", "void/en"]


async def test_two_first_sends_at_once_keep_one_file(tx: Transactor, renders: list[str]) -> None:
    doc = await cancelled(tx)

    both = await asyncio.gather(
        *(credit_note_pdf_once(tx, TEXTS, doc.credit_note.id) for _ in range(2))
    )

    assert all(pdf.startswith(b"%PDF-") for _, pdf in both)
    assert await _files(tx) == 1


async def test_a_kept_pdf_is_found_without_building_the_document(
    tx: Transactor, renders: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send of a kept PDF looks it up by (note, status, language) first: no document view is
    read, in the customer's language (None) or an explicit one, until the status changes."""
    doc = await cancelled(tx)
    number, _ = await credit_note_pdf_once(tx, TEXTS, doc.credit_note.id)
    built: list[int] = []
    real = document_files.credit_note_document

    async def counting(uow: UnitOfWork, credit_note_id: int) -> documents.CreditNoteDocument:
        built.append(credit_note_id)
        return await real(uow, credit_note_id)

    monkeypatch.setattr(document_files, "credit_note_document", counting)

    again = await credit_note_pdf_once(tx, TEXTS, doc.credit_note.id)
    explicit = await credit_note_pdf_once(tx, TEXTS, doc.credit_note.id, "en")

    assert number == doc.credit_note.number == again[0] == explicit[0] == "CN-000001"
    assert built == [] and renders == ["issued/en"]
    await credit_note_pdf_once(tx, TEXTS, doc.credit_note.id, "ru")  # not kept yet: built once
    assert built == [doc.credit_note.id] and renders == ["issued/en", "issued/ru"]
