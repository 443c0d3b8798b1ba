"""A credit note as a PDF document (B3), drawn with fpdf2 from billing's read model.

DejaVu Sans is used when installed so Cyrillic and other names print; otherwise the core font
with unprintable characters replaced, so a name can never make the document fail.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from billing.money import format_minor
from billing.views import CreditNoteView
from support_desk.core.settings import SellerSettings

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _pdf() -> tuple[FPDF, bool]:
    pdf = FPDF(format="A4")
    pdf.add_page()
    if FONT.exists():
        pdf.add_font("DejaVu", "", str(FONT))
        pdf.set_font("DejaVu", size=10)
        return pdf, True
    pdf.set_font("Helvetica", size=10)
    return pdf, False


def credit_note_pdf(note: CreditNoteView, seller: SellerSettings) -> bytes:
    """The document the customer receives; every figure comes from the credit note."""
    pdf, unicode_ok = _pdf()

    def line(text: str, height: float = 6) -> None:
        safe = text if unicode_ok else text.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, height, safe, new_x="LMARGIN", new_y="NEXT")

    line(f"{seller.name}\n{seller.address}\nTax id: {seller.tax_id}")
    pdf.ln(4)
    line(f"Credit note {note.number or '(pending)'} ({note.status})", 8)
    line(f"For invoice {note.invoice_number or note.invoice_id}; reason: {note.reason}")
    issued = note.issued_at.date().isoformat() if note.issued_at else "-"
    line(f"Issued: {issued}")
    pdf.ln(4)
    for item in note.lines:
        line(
            f"{item.name}  x{item.quantity}  net {format_minor(item.net_minor, note.currency)}"
            f"  tax {format_minor(item.tax_minor, note.currency)}"
            f"  total {format_minor(item.total_minor, note.currency)}"
        )
    pdf.ln(4)
    line(
        f"Net {format_minor(note.net_minor, note.currency)}; "
        f"tax {format_minor(note.tax_minor, note.currency)}; "
        f"total {format_minor(note.total_minor, note.currency)}"
    )
    return bytes(pdf.output())
