"""T7, T8, TG12: every outbox kind billing and ticketing write renders to a short Telegram-HTML
message, in English and Russian, with the figures the customer needs and nothing unescaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.transport.render import Renderer
from support_desk.core.texts import LOCALES, TEMPLATES_DIR, Texts

ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "tg-spoiler", "blockquote"}
SAMPLES: dict[str, dict[str, object]] = {
    "credit_note_issued": {
        "credit_note_id": 7,
        "credit_note_number": "CN-000007",
        "credit_note_kind": "cancellation",
        "invoice_id": 3,
        "invoice_number": "INV-000003",
        "total_minor": 123456,
        "settled_minor": 123456,
        "refund_minor": 0,
        "account_credit_minor": 0,
        "currency": "EUR",
        "reason": "<not needed>",
        "undo_until": "2026-11-23T10:20:00+00:00",
    },
    "cancellation_undone": {
        "credit_note_id": 7,
        "credit_note_number": "CN-000007",
        "invoice_id": 3,
        "invoice_number": "INV-000003",
        "balance_minor": 1200,
        "currency": "EUR",
    },
    "invoice_delivered": {
        "invoice_id": 3,
        "invoice_number": "INV-000003",
        "status": "unpaid",
        "description": "VPS & backups",
        "currency": "USD",
        "total_minor": 26236,
        "tax_minor": 2000,
        "balance_minor": 26236,
        "is_compound": False,
        "due_date": "2026-12-01",
        "lines": [{"name": "VPS S", "quantity": 2, "total_minor": 2400}],
        "more_lines": 0,
    },
    "payment_received": {
        "invoice_id": 3,
        "invoice_number": "INV-000003",
        "amount_minor": 500,
        "balance_minor": 700,
        "currency": "EUR",
        "from_account_credit": False,
    },
    "service_terminated": {
        "service_id": 1,
        "service_name": "VPS S",
        "cancelled_invoice_ids": [3],
        "cancelled_invoice_numbers": ["INV-000003"],
    },
    "invoice_split": {
        "invoice_id": 3,
        "invoice_number": "INV-000003",
        "credit_note_id": 7,
        "credit_note_number": "CN-000007",
        "new_invoice_ids": [4],
        "new_invoices": [{"number": "INV-000004", "total_minor": 6000}],
        "currency": "EUR",
    },
    "ticket_opened": {"ticket_id": 12, "ticket_kind": "refund"},
    "ticket_status_changed": {"ticket_id": 12, "status": "waiting_on_customer"},
    "ticket_reply": {"ticket_id": 12, "text": "<script>alert(1)</script> & thanks"},
    "ticket_resolved": {"ticket_id": 12, "ticket_kind": "refund", "resolution": {}},
    "ticket_rejected": {"ticket_id": 12, "reason": "duplicate"},
    "rating_request": {"ticket_id": 12},
}


def test_every_bot_template_has_a_sample() -> None:
    kinds = {p.stem for p in (TEMPLATES_DIR / "bot").glob("*.html")} - {"generic", "start"}

    assert kinds == set(SAMPLES)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_t8_each_outbox_kind_renders_short_telegram_html(kind: str, locale: str) -> None:
    text = Renderer(Texts()).text(kind, SAMPLES[kind], locale)

    tags = {t.lstrip("/").split()[0] for t in re.findall(r"<(/?[a-z-]+)[^>]*>", text)}
    assert tags <= ALLOWED_TAGS
    assert "<script>" not in text and 0 < len(text) < 4096
    assert "%(" not in text and "{{" not in text


def test_t7_the_customer_reads_the_numbers_and_amounts_in_their_language() -> None:
    renderer = Renderer(Texts())

    english = renderer.text("credit_note_issued", SAMPLES["credit_note_issued"], "en")
    russian = renderer.text("credit_note_issued", SAMPLES["credit_note_issued"], "ru")

    assert "INV-000003" in english and "CN-000007" in english and "€1,234.56" in english
    assert "nothing left to pay" in english and "&lt;not needed&gt;" in english
    assert "Счёт" in russian and "1\xa0234,56\xa0€" in russian


def test_every_russian_message_is_translated() -> None:
    for path in (Path(TEMPLATES_DIR) / "locale/ru/LC_MESSAGES").glob("*.po"):
        po = path.read_text()
        assert 'msgstr ""\n\n' not in po.split("\n\n", 1)[1] + "\n\n", path.name
