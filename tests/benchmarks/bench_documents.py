"""CPU per credit-note document (PDF and HTML), beside fpdf2's cheapest PDF in the same run.

Why the ceiling: a credit note's PDF is one A4 page of text and a table. The cheapest page the same
library draws is that page's text in a core font (nothing to embed); the ratio says what the
document's own work (the Unicode font, the layout) costs on top of the library's floor. The
medians are a running process's cost; "first PDF in a process" adds the fonts' one-time parse.

    python -m tests.benchmarks.bench_documents --renders 30
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fpdf import FPDF

import billing
from billing import documents
from billing.commands import CancelInvoice, CreateCustomer, IssueInvoice, NewLine
from billing.document_files import credit_note_pdf_once
from billing.documents import CreditNoteDocument
from support_desk.core.actors import Actor
from support_desk.core.clock import SystemClock
from support_desk.core.db import make_engine
from support_desk.core.settings import Settings
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor
from support_desk.migrations import upgrade

STAFF = Actor.system("bench")


async def a_credit_note(url: str) -> CreditNoteDocument:
    """A cancelled two-line invoice's credit note, written through billing (setup)."""
    engine = make_engine(url)
    try:
        tx = Transactor(engine, SystemClock(), Settings(database_url=url))
        customer = await tx.run(
            billing.create_customer,
            CreateCustomer(external_id="bench-doc", name="Алексей Бенч", actor=STAFF),
        )
        lines = (
            NewLine(name="VPS S", quantity=1, unit_price_minor=1_000, tax_rate_bp=2_000),
            NewLine(name="Резервная копия", quantity=2, unit_price_minor=250, tax_rate_bp=825),
        )
        invoice = await tx.run(
            billing.issue_invoice,
            IssueInvoice(customer_id=customer.id, currency="EUR", lines=lines, actor=STAFF),
        )
        cancel = CancelInvoice(invoice_id=invoice.id, reason="bench", actor=STAFF)
        note = (await tx.run(billing.cancel_invoice, cancel)).credit_note
        return await tx.read(documents.credit_note_document, note.id)
    finally:
        await engine.dispose()


def floor_pdf(text_lines: list[str]) -> bytes:
    """The same amount of text on one A4 page in core Helvetica: fpdf2's own floor."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    for line in text_lines:
        pdf.cell(
            0,
            5,
            line.encode("latin-1", "replace").decode("latin-1"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())


def cpu_ms(renders: int, make: Callable[[], object]) -> tuple[float, float]:
    """Median and worst process CPU of one call, in milliseconds."""
    samples = []
    for _ in range(renders):
        start = time.process_time()
        make()
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples), max(samples)


async def kept_pdf_ms(url: str, note_id: int, renders: int) -> float:
    """Median CPU of a send after the first: the kept PDF read back (one read transaction)."""
    engine = make_engine(url)
    tx = Transactor(engine, SystemClock(), Settings(database_url=url))
    texts = Texts()
    try:
        await credit_note_pdf_once(tx, texts, note_id, "ru")  # the one rendering
        samples = []
        for _ in range(renders):
            start = time.process_time()
            await credit_note_pdf_once(tx, texts, note_id, "ru")
            samples.append((time.process_time() - start) * 1000)
        return statistics.median(samples)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        doc = asyncio.run(a_credit_note(url))
        kept = asyncio.run(kept_pdf_ms(url, doc.credit_note.id, args.renders))
    texts = Texts()
    page = documents.page(doc, texts, "ru")
    text_lines = [page.title, *(str(row) for row in page.rows), *map(str, page.labels.values())]
    cases = {
        "credit note PDF (ru)": lambda: documents.credit_note_pdf(doc, texts, "ru"),
        "credit note HTML (ru)": lambda: documents.credit_note_html(doc, texts, "ru"),
        "ceiling: same text, core font": lambda: floor_pdf(text_lines),
    }
    documents._parsed_font.cache_clear()  # the kept-PDF run above drew one already
    start = time.process_time()
    documents.credit_note_pdf(doc, texts, "ru")  # warm caches, as a running process has them
    first = (time.process_time() - start) * 1000  # with the fonts' parse, once per process
    floor = cpu_ms(args.renders, cases["ceiling: same text, core font"])[0]
    print(f"{'case':34} {'median ms':>10} {'max ms':>8} {'ceiling/case':>13}")
    for name, make in cases.items():
        median, worst = cpu_ms(args.renders, make)
        print(f"{name:34} {median:10.1f} {worst:8.1f} {floor / median:13.3f}")
    print(f"{'first PDF in a process (ru)':34} {first:10.1f} {'':8} {floor / first:13.3f}")
    print(f"{'kept PDF, every later send (ru)':34} {kept:10.1f} {'':8} {floor / kept:13.3f}")


if __name__ == "__main__":
    main()
