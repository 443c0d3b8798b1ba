"""B2, B3: the credit note document the customer receives, as printable HTML and as a PDF."""

from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.dates import format_date
from fpdf import FPDF
from fpdf.fonts import TTFFont

import billing
from billing import documents
from billing.commands import CancelInvoice, IssueCreditNote, UndoCancellation
from billing.documents import CreditNoteDocument
from billing.read_models import CustomerView
from support_desk.core.actors import Actor
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from tests.factories import AGENT, line, make_customer, make_invoice

TEXTS = Texts()


async def cancelled(
    tx: Transactor, customer: CustomerView | None = None, *, by: Actor = AGENT
) -> CreditNoteDocument:
    """Cancel a two-line invoice (one line at 8.25 %) and read its credit note document."""
    customer = customer or await make_customer(tx, company="Acme GmbH", email="ops@acme.test")
    invoice = await make_invoice(
        tx, customer, line(1000, 2, name="VPS S"), line(555, rate_bp=825, name="Daily backup")
    )
    cmd = CancelInvoice(invoice_id=invoice.id, reason="ordered by mistake", actor=by)
    result = await tx.run(billing.cancel_invoice, cmd)
    return await tx.read(documents.credit_note_document, result.credit_note.id)


def pdf_text(data: bytes) -> str:
    """The text an uncompressed fpdf2 PDF draws, glyph ids mapped back through each font's
    ToUnicode CMap (pypdf is not a dependency; this reads only what fpdf2 itself writes)."""
    maps: dict[bytes, dict[int, str] | None] = {}
    for name, obj in re.findall(rb"/(F\d+) (\d+) 0 R", data):
        font = _object(data, obj)
        unicode = re.search(rb"/ToUnicode (\d+) 0 R", font)
        maps[name] = None if unicode is None else _cmap(_object(data, unicode.group(1)))
    out, current = [], None
    for m in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", data, re.S):
        if m.group(1):
            current = maps.get(m.group(1))
            continue
        raw = re.sub(rb"\\(.)", lambda e: b"\r" if e.group(1) == b"r" else e.group(1), m.group(2))
        if current is None:
            out.append(raw.decode("latin-1"))
        else:
            codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
            out.append("".join(current.get(c, "?") for c in codes))
    return "\n".join(out)


def _object(data: bytes, number: bytes) -> bytes:
    found = re.search(rb"\n" + number + rb" 0 obj\n(.*?)endobj", data, re.S)
    assert found is not None
    return found.group(1)


def _cmap(stream: bytes) -> dict[int, str]:
    pairs = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]+)>", stream)
    return {int(code, 16): bytes.fromhex(u.decode()).decode("utf-16-be") for code, u in pairs}


async def test_b2_html_shows_parties_numbers_lines_taxes_totals_and_reason(
    tx: Transactor,
) -> None:
    doc = await cancelled(tx)
    html = documents.credit_note_html(doc, TEXTS, "en")

    assert html.startswith("<!DOCTYPE html>")
    issued = doc.invoice.issued_at
    assert issued is not None
    for expected in (
        "Support Desk Hosting Ltd",
        "EX-000000",
        doc.customer.name,
        "Acme GmbH",
        "ops@acme.test",
        "Credit note CN-000001",
        f"Credit for invoice {doc.invoice.number} of {format_date(issued.date(), 'long', 'en')}",
        "Reason: ordered by mistake",
        "VPS S",
        "Daily backup",
        "20 %",
        "8.25 %",
        "-20.00",  # VPS S net: 2 x 10.00
        "-4.00",  # its 20 % tax
        "-0.46",  # 5.55 at 8.25 % = 0.457875, half-up
        "-25.55 EUR",  # net total
        "-4.46 EUR",  # tax total
        "-30.01 EUR",  # total credited
        "Settled against the invoice",
        "30.01 EUR",
    ):
        assert expected in html, expected
    assert "http" not in html  # no external assets: it prints offline
    assert "VOID" not in html


async def test_html_escapes_a_hostile_customer_name(tx: Transactor) -> None:
    customer = await make_customer(tx, name="<script>alert(1)</script> & Co")
    doc = await cancelled(tx, customer)

    html = documents.credit_note_html(doc, TEXTS, "en")

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


async def test_russian_locale_translates_the_labels(tx: Transactor) -> None:
    doc = await cancelled(tx)

    html = documents.credit_note_html(doc, TEXTS, "ru")

    assert '<html lang="ru">' in html
    for label in ("Кредит-нота CN-000001", "Продавец", "Покупатель", "Причина", "Налог"):
        assert label in html, label
    assert "Credit note" not in html
    assert "января 2026" in html  # the invoice date in Russian


def test_every_document_label_has_a_russian_translation() -> None:
    untranslated = [m for m in documents.LABELS.values() if TEXTS.gettext(m, "ru") == m]
    assert untranslated == []


async def test_pdf_is_an_a4_pdf_with_the_number_lines_and_total(tx: Transactor) -> None:
    doc = await cancelled(tx)

    data = documents.credit_note_pdf(doc, TEXTS, "en", compress=False)

    assert data.startswith(b"%PDF-")
    assert b"/MediaBox [0 0 595.28 841.89]" in data  # A4 in points
    text = pdf_text(data)
    for expected in (
        "Credit note CN-000001",
        "VPS S",
        "-30.01 EUR",
        "Settled against the invoice",
    ):
        assert expected in text, expected
    assert documents.credit_note_pdf(doc, TEXTS, "en").startswith(b"%PDF-")


@pytest.mark.skipif(documents.unicode_font() is None, reason="no DejaVu Sans on this system")
async def test_pdf_prints_cyrillic_names_and_russian_labels(tx: Transactor) -> None:
    customer = await make_customer(tx, name="Иван Петров")
    doc = await cancelled(tx, customer)

    text = pdf_text(documents.credit_note_pdf(doc, TEXTS, "ru", compress=False))

    assert "Иван Петров" in text
    assert "Кредит-нота CN-000001" in text
    assert "Итого по кредит-ноте" in text


async def test_b4_a_voided_credit_note_is_marked_void(tx: Transactor) -> None:
    customer = await make_customer(tx)
    me = Actor.customer(customer.id)
    doc = await cancelled(tx, customer, by=me)
    cmd = UndoCancellation(credit_note_id=doc.credit_note.id, actor=me)
    await tx.run(billing.undo_cancellation, cmd)
    void = await tx.read(documents.credit_note_document, doc.credit_note.id)

    assert 'class="watermark">VOID<' in documents.credit_note_html(void, TEXTS, "en")
    assert "VOID" in pdf_text(documents.credit_note_pdf(void, TEXTS, "en", compress=False))
    assert void.credit_note.number == "CN-000001"  # B10: the number stays


async def test_b11_a_note_awaiting_approval_says_so_and_has_no_number(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(20000))
    cmd = IssueCreditNote(
        invoice_id=invoice.id, reason="goodwill", actor=AGENT, amount_minor=15000
    )
    pending = await tx.run(billing.issue_credit_note, cmd)
    doc = await tx.read(documents.credit_note_document, pending.id)

    html = documents.credit_note_html(doc, TEXTS, "en")
    text = pdf_text(documents.credit_note_pdf(doc, TEXTS, "en", compress=False))

    for rendered in (html, text):
        assert "Awaiting approval" in rendered
        assert "Credit note (not yet numbered)" in rendered


class _SameDate(documents._Pdf):
    """A fixed creation date, so that two drawings of one document can be compared byte by byte."""

    def __init__(self) -> None:
        super().__init__()
        self.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))


def _add_font(pdf: FPDF, path: Path, style: str) -> TTFFont:
    """fpdf2's own way: parse the file for this document (as fontTools' subsetter opens fonts)."""
    pdf.add_font(documents.FONT_FAMILY, style, path)
    font = pdf.fonts[documents._fontkey(style)]
    assert isinstance(font, TTFFont)
    font.ttfont.recalcBBoxes = False
    return font


@pytest.mark.skipif(documents.unicode_font() is None, reason="no DejaVu Sans on this system")
async def test_pdf_from_the_font_parsed_once_is_byte_for_byte_what_add_font_draws(
    tx: Transactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The font is parsed once per process and shared by every document; each document still
    embeds only the glyphs it prints, and nothing of the documents drawn before it."""
    monkeypatch.setattr(documents, "_Pdf", _SameDate)
    docs = [
        await cancelled(tx, await make_customer(tx, name="Жанна Щукина")),
        await cancelled(tx, await make_customer(tx, name="Zoë Quaxley")),
    ]
    drawings = [(d, locale) for d in docs for locale in ("ru", "en")]
    shared = [documents.credit_note_pdf(d, TEXTS, loc, compress=False) for d, loc in drawings]
    monkeypatch.setattr(documents, "_document_font", _add_font)
    own = [documents.credit_note_pdf(d, TEXTS, loc, compress=False) for d, loc in drawings]

    assert shared == own
    assert "Жанна Щукина" in pdf_text(shared[0])
    assert "Zoë Quaxley" in pdf_text(shared[3])
    printed = {ch for data in shared[2:] for ch in _printable(data)}
    assert not {"Ж", "Щ"} & printed  # the second customer's documents carry no glyph of the first


def _printable(data: bytes) -> set[str]:
    """Every character a PDF's fonts can print (their ToUnicode CMaps)."""
    streams = re.findall(rb"/ToUnicode (\d+) 0 R", data)
    return {ch for n in streams for ch in _cmap(_object(data, n)).values()}


@pytest.mark.skipif(documents.unicode_font() is None, reason="no DejaVu Sans on this system")
async def test_documents_drawn_at_once_in_threads_are_each_what_it_is_drawn_alone(
    tx: Transactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Documents are drawn off the event loop: the font shared between them must not carry one
    document's state into another drawn at the same time."""
    monkeypatch.setattr(documents, "_Pdf", _SameDate)
    docs = [
        await cancelled(tx, await make_customer(tx, name=name))
        for name in ("Ёжиков Пётр", "Ada Lovelace", "Эмиль Öztürk")
    ]
    long = replace(docs[1].credit_note, lines=docs[1].credit_note.lines * 30)
    docs[1] = replace(docs[1], credit_note=long)  # two pages: its objects are numbered apart

    def draw(doc: CreditNoteDocument) -> bytes:
        return documents.credit_note_pdf(doc, TEXTS, "ru")

    alone = [draw(d) for d in docs]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns every few bytecodes: drawings overlap
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            at_once = list(pool.map(lambda i: draw(docs[i % 3]), range(24)))
    finally:
        sys.setswitchinterval(interval)

    assert at_once == [alone[i % 3] for i in range(24)]


def test_tax_rates_print_without_float_rounding() -> None:
    assert [documents.format_rate(bp) for bp in (2000, 825, 0, 5, 1950)] == [
        "20 %",
        "8.25 %",
        "0 %",
        "0.05 %",
        "19.5 %",
    ]


async def test_without_a_unicode_font_the_pdf_falls_back_to_latin_1(
    tx: Transactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = await make_customer(tx, name="Иван Smith")
    doc = await cancelled(tx, customer)
    monkeypatch.setattr(documents, "unicode_font", lambda: None)

    text = pdf_text(documents.credit_note_pdf(doc, TEXTS, "en", compress=False))

    assert "???? Smith" in text  # unprintable letters become '?', never a crash
    assert "Credit note CN-000001" in text
