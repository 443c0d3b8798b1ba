"""T7, T8, TG12: every customer message type billing and ticketing send has its own template in
every language and renders to a short Telegram-HTML message with the figures the customer needs
and nothing unescaped."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, DictLoader

import billing
import ticketing
from billing.messages import (
    CancellationUndone,
    CreditNoteIssued,
    InvoiceDelivered,
    InvoiceSplit,
    LineSummary,
    NewInvoice,
    PaymentReceived,
    ServiceKept,
    ServiceTerminated,
    ServiceTerminationScheduled,
)
from bot.transport.render import Renderer
from support_desk.core.messages import CustomerMessage, message_types
from support_desk.core.texts import LOCALES, TEMPLATES_DIR, Texts
from ticketing.messages import (
    RatingRequest,
    TicketOpened,
    TicketRejected,
    TicketReply,
    TicketResolved,
    TicketStatusChanged,
)

assert billing.messages and ticketing.messages  # every kind is registered once both are imported
TEXTS = Texts()
ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "tg-spoiler", "blockquote"}
CREDIT_NOTE = CreditNoteIssued(
    credit_note_id=7,
    credit_note_number="CN-000007",
    credit_note_kind="cancellation",
    invoice_id=3,
    invoice_number="INV-000003",
    total_minor=123456,
    settled_minor=123456,
    refund_minor=0,
    account_credit_minor=0,
    currency="EUR",
    reason="<not needed>",
    undo_until=datetime(2026, 11, 23, 10, 20, tzinfo=UTC),
)
SAMPLES: dict[str, CustomerMessage] = {
    m.kind: m
    for m in (
        CREDIT_NOTE,
        CancellationUndone(
            credit_note_id=7,
            credit_note_number="CN-000007",
            invoice_id=3,
            invoice_number="INV-000003",
            balance_minor=1200,
            currency="EUR",
        ),
        InvoiceDelivered(
            invoice_id=3,
            invoice_number="INV-000003",
            status="unpaid",
            description="VPS & backups",
            currency="USD",
            total_minor=26236,
            tax_minor=2000,
            balance_minor=26236,
            is_compound=False,
            due_date=date(2026, 12, 1),
            lines=(LineSummary(name="VPS S", quantity=2, total_minor=2400),),
            more_lines=0,
        ),
        PaymentReceived(
            invoice_id=3,
            invoice_number="INV-000003",
            amount_minor=500,
            balance_minor=700,
            currency="EUR",
            from_account_credit=False,
        ),
        ServiceTerminated(
            service_id=1,
            service_name="VPS S",
            cancelled_invoice_ids=(3,),
            cancelled_invoice_numbers=("INV-000003",),
        ),
        ServiceTerminationScheduled(
            service_id=1, service_name="Hosting S", terminates_on=date(2027, 1, 31)
        ),
        ServiceKept(service_id=1, service_name="Hosting S", was_to_stop_on=date(2027, 1, 31)),
        InvoiceSplit(
            invoice_id=3,
            invoice_number="INV-000003",
            credit_note_id=7,
            credit_note_number="CN-000007",
            new_invoice_ids=(4,),
            new_invoices=(NewInvoice(number="INV-000004", total_minor=6000),),
            currency="EUR",
        ),
        TicketOpened(ticket_id=12, ticket_kind="refund"),
        TicketStatusChanged(ticket_id=12, status="waiting_on_customer"),
        TicketReply(ticket_id=12, text="<script>alert(1)</script> & thanks"),
        TicketResolved(ticket_id=12, ticket_kind="refund", resolution={}),
        TicketRejected(ticket_id=12, reason="duplicate"),
        RatingRequest(ticket_id=12),
    )
}


def test_every_message_type_has_a_sample_and_every_template_a_type() -> None:
    templates = {p.stem for p in (TEMPLATES_DIR / "bot").glob("*.html")} - {"generic", "start"}

    assert set(message_types()) == set(SAMPLES), "a message type needs a sample here"
    untyped = templates - set(message_types())
    assert not untyped, (
        f"bot/<kind>.html with no message type: {sorted(untyped)}; define a CustomerMessage "
        "dataclass beside the use case that sends it (support_desk/core/messages.py)"
    )


@pytest.mark.parametrize("locale", [locale for locale in LOCALES if locale != "en"])
@pytest.mark.parametrize("kind", sorted(message_types()))
def test_every_message_type_has_its_template_in_every_language(kind: str, locale: str) -> None:
    """Every sentence of the kind's template, in every branch, is translated."""
    environment = TEXTS.environment(locale)
    source = (TEMPLATES_DIR / "bot" / f"{kind}.html").read_text(encoding="utf-8")
    found = environment.extract_translations(source)  # type: ignore[attr-defined]
    msgids = [m[0] if isinstance(m, tuple) else m for _, _, m in found]

    assert msgids, f"bot/{kind}.html says nothing through gettext"
    untranslated = [m for m in msgids if TEXTS.gettext(m, locale) == m]
    assert not untranslated, untranslated


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_t8_each_message_type_renders_short_telegram_html(kind: str, locale: str) -> None:
    text = Renderer(TEXTS).text(SAMPLES[kind], locale)

    tags = {t.lstrip("/").split()[0] for t in re.findall(r"<(/?[a-z-]+)[^>]*>", text)}
    assert tags <= ALLOWED_TAGS
    assert "<script>" not in text and 0 < len(text) < 4096
    assert "%(" not in text and "{{" not in text


def test_t7_the_customer_reads_the_numbers_and_amounts_in_their_language() -> None:
    renderer = Renderer(TEXTS)

    english = renderer.text(CREDIT_NOTE, "en")
    russian = renderer.text(CREDIT_NOTE, "ru")

    assert "INV-000003" in english and "CN-000007" in english and "€1,234.56" in english
    assert "nothing left to pay" in english and "&lt;not needed&gt;" in english
    assert "Счёт" in russian and "1\xa0234,56\xa0€" in russian


async def test_b3_the_keyboard_and_the_document_are_chosen_by_the_type() -> None:
    seen: list[str] = []

    async def loader(message: CustomerMessage, locale: str) -> tuple[str, bytes] | None:
        seen.append(message.kind)
        return None

    renderer = Renderer(TEXTS, loader)
    undo = (await renderer.render(CREDIT_NOTE, "en"))[-1].keyboard
    invoice = (await renderer.render(SAMPLES["invoice_delivered"], "en"))[-1].keyboard
    reply = (await renderer.render(SAMPLES["ticket_reply"], "en"))[-1].keyboard
    none = (await renderer.render(SAMPLES["ticket_resolved"], "en"))[-1].keyboard

    assert undo is not None and [b.text for row in undo.inline_keyboard for b in row] == [
        "Undo cancellation"
    ]
    assert invoice is not None and len(invoice.inline_keyboard) == 2  # cancel, talk to a person
    assert reply is not None and [b.text for row in reply.inline_keyboard for b in row] == [
        "Reply",
        "Open ticket",
    ]
    assert none is None
    assert seen == ["credit_note_issued", "invoice_delivered", "ticket_reply", "ticket_resolved"]


def test_a_kind_no_type_claims_renders_by_its_own_template_with_its_payload() -> None:
    """The transitional path for rows queued by old-style calls: the template its name gives."""
    texts = Texts()
    environment = texts.environment("en")
    own = DictLoader({"bot/ticket_reopened.html": "Ticket #{{ ticket_id }} is open again."})
    environment.loader = ChoiceLoader([own, environment.loader])  # type: ignore[list-item]
    renderer = Renderer(texts)

    assert renderer.untyped_text("ticket_reopened", {"ticket_id": 4}, "en") == (
        "Ticket #4 is open again."
    )
    assert renderer.untyped_text("ticket_reopened", {}, "en") == (
        "You have a new message from Support Desk."
    )
    assert renderer.untyped_text("../start", {"name": "x"}, "en") == (
        "You have a new message from Support Desk."
    )


def test_a_renamed_field_fails_where_the_message_is_made() -> None:
    with pytest.raises(TypeError):
        TicketReply(ticket_id=12, body="hello")  # type: ignore[call-arg]


def test_every_russian_message_is_translated() -> None:
    for path in (Path(TEMPLATES_DIR) / "locale/ru/LC_MESSAGES").glob("*.po"):
        po = path.read_text()
        assert 'msgstr ""\n\n' not in po.split("\n\n", 1)[1] + "\n\n", path.name
