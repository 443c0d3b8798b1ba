"""The credit note as a document the customer keeps (B2, B3): printable HTML and an A4 PDF.

`credit_note_document` gathers everything a document shows in one read transaction and returns
a frozen DTO, so the renderers are pure functions of (document, texts, locale): they never touch
the database, and the HTML and the PDF cannot disagree because both are built from the same
formatted rows and the same gettext labels. Money is formatted from integer minor units only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import FontFace, SubsetMap, TTFFont

from billing import repo
from billing.models import CreditNoteStatus
from billing.money import BASIS_POINTS, format_minor
from billing.read_models import CreditNoteView, CustomerView, InvoiceView
from support_desk.core.texts import TEMPLATES_DIR, Texts
from support_desk.core.tx import UnitOfWork

TEMPLATE = "documents/credit_note.html"


class AttachesCreditNote:
    """Marks a customer message that carries its credit note as the document the customer keeps
    (B3): the bot attaches the PDF of `credit_note_id` when it sends the message."""

    credit_note_id: int


# Unicode fonts let Cyrillic (and any other script a customer's name is in) print as written.
# Debian/Ubuntu (fonts-dejavu-core), Fedora, Arch and Alpine paths, in that order.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu-sans-fonts"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts/dejavu"),
)

# msgids, translated per locale by the catalog in templates/locale/<lang>/LC_MESSAGES.
# One table serves both renderers so the HTML and the PDF always say the same thing.
LABELS = {
    "title": "Credit note %(number)s",
    "title_unnumbered": "Credit note (not yet numbered)",
    "credit_for": "Credit for invoice %(invoice)s of %(date)s",
    "date": "Date: %(date)s",
    "seller": "Seller",
    "customer": "Customer",
    "tax_id": "Tax ID: %(tax_id)s",
    "customer_no": "Customer no. %(number)s",
    "reason": "Reason",
    "amounts_in": "Amounts in %(currency)s",
    "item": "Item",
    "qty": "Qty",
    "unit_price": "Unit price",
    "tax_rate": "Tax rate",
    "net": "Net",
    "tax": "Tax",
    "total": "Total",
    "total_credited": "Total credited",
    "applied": "How the credit is applied",
    "settled": "Settled against the invoice",
    "refunded": "Refunded",
    "account_credit": "Added to account credit",
    "void": "VOID",
    "pending": "Awaiting approval",
    "rejected": "Rejected",
}


@dataclass(frozen=True, slots=True)
class Seller:
    """Who issues the document, copied from settings when the document is read."""

    name: str
    address: str
    tax_id: str


@dataclass(frozen=True, slots=True)
class CreditNoteDocument:
    """Everything a credit note document shows, read in one transaction."""

    credit_note: CreditNoteView
    invoice: InvoiceView
    customer: CustomerView
    seller: Seller


async def credit_note_document(uow: UnitOfWork, credit_note_id: int) -> CreditNoteDocument:
    """The credit note with its invoice, customer and seller; run it with `tx.read(...)`."""
    note = await repo.credit_note_view(uow.session, credit_note_id)
    invoice = await repo.invoice_view(uow.session, note.invoice_id)
    customer = repo.customer_view(await repo.get_customer(uow.session, note.customer_id))
    s = uow.settings.billing.seller
    return CreditNoteDocument(note, invoice, customer, Seller(s.name, s.address, s.tax_id))


@dataclass(frozen=True, slots=True)
class Row:
    """One reversed line, formatted; amounts negative because they are taken back."""

    name: str
    quantity: str
    unit_price: str
    tax_rate: str
    net: str
    tax: str
    total: str


@dataclass(frozen=True, slots=True)
class Page:
    """The document as strings: what both renderers lay out, so they cannot drift apart."""

    labels: dict[str, str]
    title: str
    date: str
    credit_for: str
    amounts_in: str
    stamp: str | None
    rows: tuple[Row, ...]
    totals: tuple[tuple[str, str], ...]
    applied: tuple[tuple[str, str], ...]


def format_rate(rate_bp: int) -> str:
    """2000 bp -> '20 %', 825 bp -> '8.25 %' (integers only, no float rounding)."""
    whole, frac = divmod(rate_bp, BASIS_POINTS // 100)
    return f"{whole}.{frac:02d}".rstrip("0").rstrip(".") + " %"


def _date(moment: datetime | None, locale: str) -> str:
    return "" if moment is None else format_date(moment.date(), format="long", locale=locale)


def page(doc: CreditNoteDocument, texts: Texts, locale: str) -> Page:
    """Translate the labels and format every amount of `doc` for `locale`."""
    t = {key: texts.gettext(msgid, locale) for key, msgid in LABELS.items()}
    note, cur = doc.credit_note, doc.credit_note.currency

    def neg(minor: int) -> str:
        return format_minor(-minor, cur)

    def bare(minor: int) -> str:  # the table names its currency once, in its caption
        return format_minor(minor, cur).removesuffix(f" {cur}")

    rows = tuple(
        Row(ln.name, str(ln.quantity), bare(ln.unit_price_minor), format_rate(ln.tax_rate_bp),
            bare(-ln.net_minor), bare(-ln.tax_minor), bare(-ln.total_minor))
        for ln in sorted(note.lines, key=lambda ln: ln.position)
    )  # fmt: skip
    invoice_date = _date(doc.invoice.issued_at or doc.invoice.created_at, locale)
    stamps = {
        CreditNoteStatus.VOID: t["void"],
        CreditNoteStatus.PENDING_APPROVAL: t["pending"],
        CreditNoteStatus.REJECTED: t["rejected"],
    }
    return Page(
        labels=t,
        title=t["title"] % {"number": note.number} if note.number else t["title_unnumbered"],
        date=t["date"] % {"date": _date(note.issued_at or note.created_at, locale)},
        credit_for=t["credit_for"] % {"invoice": doc.invoice.number, "date": invoice_date},
        amounts_in=t["amounts_in"] % {"currency": cur},
        stamp=stamps.get(CreditNoteStatus(note.status)),
        rows=rows,
        totals=(
            (t["net"], neg(note.net_minor)),
            (t["tax"], neg(note.tax_minor)),
            (t["total_credited"], neg(note.total_minor)),
        ),
        applied=(
            (t["settled"], format_minor(note.settled_minor, cur)),
            (t["refunded"], format_minor(note.refund_minor, cur)),
            (t["account_credit"], format_minor(note.account_credit_minor, cur)),
        ),
    )


def credit_note_html(doc: CreditNoteDocument, texts: Texts, locale: str) -> str:
    """A self-contained printable page (inline CSS, no external assets), autoescaped."""
    return texts.render(TEMPLATE, locale, doc=doc, page=page(doc, texts, locale))


# --- PDF -------------------------------------------------------------------------------------

MARGIN = 15.0
WIDTH = 210.0 - 2 * MARGIN
COLUMNS = (53, 14, 22, 19, 24, 22, 26)  # mm; sums to WIDTH
GREY = (110, 110, 110)


FONTS_DIR = TEMPLATES_DIR / "fonts"
FONT_FAMILY = "DejaVu"
SHIPPED_FONTS = (FONTS_DIR / "DejaVuSans-subset.ttf", FONTS_DIR / "DejaVuSans-Bold-subset.ttf")


@cache
def unicode_font() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold: the project's own copies cut to Latin, Cyrillic and the
    punctuation and currency signs documents print (a sixth of the full font, so parsing and
    embedding it costs a fraction), else the system's full fonts (fonts-dejavu-core)."""
    if all(path.is_file() for path in SHIPPED_FONTS):
        return SHIPPED_FONTS
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


@dataclass(frozen=True, slots=True)
class _ParsedFont:
    """What fpdf2 reads from a font file, read once per process and never changed after."""

    template: TTFFont  # metrics, character widths, cmap: shared by every document
    data: bytes  # the file, for each document's own fontTools copy
    glyph_order: tuple[str, ...]


@cache
def _parsed_font(path: Path, style: str) -> _ParsedFont:
    """fpdf2's `add_font` parses the font with fontTools (cmap, widths, glyph names): a
    quarter of a PDF's cost when done for every document, and the same every time."""
    scratch = FPDF()
    scratch.add_font(FONT_FAMILY, style, path)
    template = scratch.fonts[_fontkey(style)]
    assert isinstance(template, TTFFont)
    glyph_order = tuple(template.ttfont.getGlyphOrder())
    template.ttfont.close()  # each document opens its own copy, below
    return _ParsedFont(template, path.read_bytes(), glyph_order)


def _fontkey(style: str) -> str:
    return f"{FONT_FAMILY.lower()}{style}"  # as `FPDF.add_font` names it


def _document_font(pdf: FPDF, path: Path, style: str) -> TTFFont:
    """What `pdf.add_font(FONT_FAMILY, style, path)` adds, from the parse made once.

    Shared with the template: what fpdf2 only reads after `add_font` (metrics, cmap, glyph ids;
    its own `TTFFont.__deepcopy__` shares them too). The document's own: the glyphs it uses
    (`subset`, `missing_glyphs`), the widths table (a defaultdict that records unknown
    characters when measured), the font descriptor (`output` numbers it and hangs the
    document's font file on it, so two documents written at once in two threads must not share
    it), and the fontTools font, which `output` cuts down in place to the used glyphs.
    That copy is opened lazily from bytes in memory with the glyph names already known, and
    with `recalcBBoxes=False` as fontTools' own subsetter opens fonts: the outlines are written
    back as read instead of being decoded and re-encoded only to recompute bounding boxes the
    file already holds."""
    parsed = _parsed_font(path, style)
    font = copy.copy(parsed.template)
    font.i = len(pdf.fonts) + 1
    font.ttfont = TTFont(
        BytesIO(parsed.data), lazy=True, recalcTimestamp=False, recalcBBoxes=False
    )
    font.ttfont.setGlyphOrder(list(parsed.glyph_order))
    font.cw = parsed.template.cw.copy()  # a defaultdict still, with the same default width
    font.desc = copy.copy(parsed.template.desc)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    return font


class _Pdf(FPDF):
    """An A4 page in DejaVu Sans, or in core Helvetica with latin-1 text when it is absent."""

    def __init__(self) -> None:
        super().__init__(format="A4", unit="mm")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + 5)
        fonts = unicode_font()
        self.unicode = fonts is not None
        if fonts is not None:
            for style, path in zip(("", "B"), fonts, strict=True):
                self.fonts[_fontkey(style)] = _document_font(self, path, style)
        self.family = FONT_FAMILY if self.unicode else "Helvetica"
        self.footer_text = ""

    def normalize_text(self, text: str) -> str:
        """Core fonts only know latin-1: unknown characters print as '?' (no transliteration)."""
        if not self.unicode:
            text = text.encode("latin-1", "replace").decode("latin-1")
        return str(super().normalize_text(text))

    def style(
        self, size: float, bold: bool = False, colour: tuple[int, int, int] = (0, 0, 0)
    ) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*colour)

    def footer(self) -> None:
        """The seller's identity at the foot of every page, as printed documents carry it."""
        self.set_y(-MARGIN + 2)
        self.style(7.5, colour=GREY)
        self.cell(0, 4, self.footer_text, align="C")

    def lines(self, width: float, texts: list[str], align: str = "L", height: float = 5) -> None:
        for text in texts:
            self.cell(width, height, text, align=align, new_x="LEFT", new_y="NEXT")


def credit_note_pdf(
    doc: CreditNoteDocument, texts: Texts, locale: str, *, compress: bool = True
) -> bytes:
    """The same content as the HTML on an A4 page; `compress=False` only helps tests read it."""
    p = page(doc, texts, locale)
    pdf = _Pdf()
    pdf.set_compression(compress)
    pdf.set_title(p.title)
    pdf.set_author(doc.seller.name)
    tax_id = p.labels["tax_id"] % {"tax_id": doc.seller.tax_id}
    pdf.footer_text = " · ".join((doc.seller.name, doc.seller.address, tax_id))
    pdf.add_page()
    _header(pdf, p)
    _parties(pdf, doc, p)
    _intro(pdf, doc, p)
    _table(pdf, p)
    _totals(pdf, p)
    if p.stamp is not None:
        _stamp(pdf, p.stamp, watermark=doc.credit_note.status == CreditNoteStatus.VOID)
    return bytes(pdf.output())


def _header(pdf: _Pdf, p: Page) -> None:
    pdf.style(18, bold=True)
    pdf.cell(WIDTH, 9, p.title, new_x="LMARGIN", new_y="NEXT")
    pdf.style(10, colour=GREY)
    pdf.lines(WIDTH, [p.date])
    pdf.ln(6)


def _parties(pdf: _Pdf, doc: CreditNoteDocument, p: Page) -> None:
    """Seller on the left, customer on the right, both with a small grey caption."""
    top, half = pdf.get_y(), WIDTH / 2
    c = doc.customer
    blocks = (
        (p.labels["seller"], doc.seller.name,
         [doc.seller.address, p.labels["tax_id"] % {"tax_id": doc.seller.tax_id}]),
        (p.labels["customer"], c.name,
         [*_present(c.company, c.email, c.phone),
          p.labels["customer_no"] % {"number": c.external_id}]),
    )  # fmt: skip
    bottom = top
    for i, (caption, name, rest) in enumerate(blocks):
        pdf.set_xy(MARGIN + i * half, top)
        pdf.style(8, bold=True, colour=GREY)
        pdf.lines(half - 4, [caption.upper()], height=4.5)
        pdf.style(11, bold=True)
        pdf.multi_cell(half - 4, 5.5, name, new_x="LEFT", new_y="NEXT")
        pdf.style(9.5)
        for text in rest:
            pdf.multi_cell(half - 4, 5, text, new_x="LEFT", new_y="NEXT")
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(MARGIN, bottom + 6)


def _present(*values: str | None) -> Iterator[str]:
    return (v for v in values if v)


def _intro(pdf: _Pdf, doc: CreditNoteDocument, p: Page) -> None:
    pdf.style(10.5, bold=True)
    pdf.multi_cell(WIDTH, 6, p.credit_for, new_x="LMARGIN", new_y="NEXT")
    pdf.style(10)
    reason = f"{p.labels['reason']}: {doc.credit_note.reason}"
    pdf.multi_cell(WIDTH, 5.5, reason, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)


def _table(pdf: _Pdf, p: Page) -> None:
    """The reversed lines; long item names wrap inside their cell."""
    t = p.labels
    heads = [t["item"], t["qty"], t["unit_price"], t["tax_rate"], t["net"], t["tax"], t["total"]]
    pdf.style(8, colour=GREY)
    pdf.cell(WIDTH, 4.5, p.amounts_in, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.style(9)
    pdf.set_draw_color(200, 200, 200)
    with pdf.table(
        col_widths=COLUMNS,
        width=WIDTH,
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        borders_layout="HORIZONTAL_LINES",
        line_height=4.8,
        padding=1.2,
        headings_style=FontFace(emphasis="BOLD", fill_color=(238, 238, 238)),
    ) as table:
        table.row(heads)
        for r in p.rows:
            table.row([r.name, r.quantity, r.unit_price, r.tax_rate, r.net, r.tax, r.total])
    pdf.ln(4)


def _totals(pdf: _Pdf, p: Page) -> None:
    """Totals right-aligned under the table, then how the credit was applied."""
    label_w, value_w = 60.0, 32.0
    x = MARGIN + WIDTH - label_w - value_w
    for i, (label, value) in enumerate(p.totals):
        last = i == len(p.totals) - 1
        pdf.set_x(x)
        pdf.style(10.5 if last else 9.5, bold=last)
        pdf.cell(label_w, 6, label)
        pdf.cell(value_w, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.style(9, bold=True, colour=GREY)
    pdf.cell(WIDTH, 5, p.labels["applied"].upper(), new_x="LMARGIN", new_y="NEXT")
    pdf.style(9.5)
    for label, value in p.applied:
        pdf.cell(70, 5.5, label)
        pdf.cell(32, 5.5, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _stamp(pdf: _Pdf, text: str, *, watermark: bool) -> None:
    """VOID across the page; a status banner in the corner for notes not (yet) issued."""
    if watermark:
        pdf.style(100, bold=True, colour=(200, 30, 30))
        size = min(100.0, 100 * 170 / pdf.get_string_width(text))  # fits the diagonal
        with pdf.local_context(fill_opacity=0.18), pdf.rotation(35, 105, 150):
            pdf.style(size, bold=True, colour=(200, 30, 30))
            pdf.set_xy(105 - 100, 150 - size * 0.35 / 2)
            pdf.cell(200, size * 0.35, text, align="C")
        return
    with pdf.local_context(draw_color=(200, 120, 0), line_width=0.6):
        pdf.style(11, bold=True, colour=(200, 120, 0))
        width = pdf.get_string_width(text) + 8
        pdf.set_xy(MARGIN + WIDTH - width, MARGIN)
        pdf.cell(width, 8, text, border=1, align="C")
