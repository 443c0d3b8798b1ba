"""Credit-note PDFs rendered once and kept: a document is a function of its credit note's status
and the reader's language, so each (note, status, language) is drawn the first time it is asked
for, off the event loop, and every later send or download reads the stored bytes."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import cast

from sqlalchemy import ForeignKey, LargeBinary, String, Table, and_, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from billing.documents import CreditNoteDocument, credit_note_document, credit_note_pdf
from billing.models import CreditNote, Customer
from billing.read_models import document_number
from support_desk.core.db import Base, UTCDateTime
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork


class CreditNoteFile(Base):
    """One rendered PDF of a credit note, as it stood (status) in one language."""

    __tablename__ = "credit_note_files"

    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime())


_NOTES = cast(Table, CreditNote.__table__)
_CUSTOMERS = cast(Table, Customer.__table__)
_FILES = cast(Table, CreditNoteFile.__table__)
_LOCALE = bindparam("b_locale", type_=String())
# What a send needs first: the note's number, and its kept PDF for the status it is in now and
# the language asked for (the customer's when none is): one statement, no document built.
KEPT_PDF = (
    select(
        _NOTES.c.series,
        _NOTES.c.number,
        func.coalesce(_LOCALE, _CUSTOMERS.c.language).label("locale"),
        _FILES.c.pdf,
    )
    .select_from(_NOTES)
    .join(_CUSTOMERS, _CUSTOMERS.c.id == _NOTES.c.customer_id)
    .outerjoin(
        _FILES,
        and_(
            _FILES.c.credit_note_id == _NOTES.c.id,
            _FILES.c.status == _NOTES.c.status,
            _FILES.c.locale == func.coalesce(_LOCALE, _CUSTOMERS.c.language),
        ),
    )
    .where(_NOTES.c.id == bindparam("b_note_id", type_=_NOTES.c.id.type))
)


async def _kept_with_number(
    uow: UnitOfWork, credit_note_id: int, locale: str | None
) -> tuple[str | None, bytes] | None:
    conn = await uow.session.connection()
    params = {"b_note_id": credit_note_id, "b_locale": locale}
    row = (await conn.execute(KEPT_PDF, params)).one_or_none()
    if row is None or row.pdf is None:
        return None
    return document_number(row.series, row.number), row.pdf


async def _document_and_file(
    uow: UnitOfWork, credit_note_id: int, locale: str | None
) -> tuple[CreditNoteDocument, str, bytes | None]:
    document = await credit_note_document(uow, credit_note_id)
    locale = locale or document.customer.language
    stored = await uow.session.scalar(
        select(CreditNoteFile.pdf).where(
            CreditNoteFile.credit_note_id == credit_note_id,
            CreditNoteFile.status == document.credit_note.status,
            CreditNoteFile.locale == locale,
        )
    )
    return document, locale, stored


async def _keep(uow: UnitOfWork, document: CreditNoteDocument, locale: str, pdf: bytes) -> None:
    """The first rendering wins; a concurrent one that lost changes nothing."""
    dialect = uow.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    row = {
        "credit_note_id": document.credit_note.id,
        "status": str(document.credit_note.status),
        "locale": locale,
        "pdf": pdf,
        "rendered_at": uow.now,
    }
    await uow.session.execute(insert(CreditNoteFile).values(**row).on_conflict_do_nothing())


async def credit_note_pdf_once(
    tx: Transactor, texts: Texts, credit_note_id: int, locale: str | None = None
) -> tuple[str | None, bytes]:
    """The credit note's document number and its PDF in `locale` (the customer's language when
    None), drawn at most once per status and language across every process. A kept PDF is found
    by one statement (note, status, language) before any document is built."""
    kept = await tx.read(_kept_with_number, credit_note_id, locale)
    if kept is not None:
        return kept
    document, language, stored = await tx.read(_document_and_file, credit_note_id, locale)
    if stored is not None:
        return document.credit_note.number, stored
    pdf = await asyncio.to_thread(credit_note_pdf, document, texts, language)  # CPU-bound
    await tx.run(_keep, document, language, pdf)
    return document.credit_note.number, pdf
