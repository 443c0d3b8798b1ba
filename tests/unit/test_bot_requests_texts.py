"""The requests' and My tickets' texts exist in Russian too (every msgid their templates and
buttons use), and their buttons fit Telegram's 64 bytes with the largest ids (TG12)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiogram.filters.callback_data import CallbackData
from jinja2.ext import babel_extract

from bot import keyboards_requests
from bot.callbacks_requests import (
    AskAct,
    AskCD,
    RefundAct,
    RefundCD,
    ServiceAct,
    ServiceCD,
    SplitAct,
    SplitCD,
    TicketAct,
    TicketCD,
    TicketsCD,
    When,
)
from bot.handlers import services, split
from support_desk.core.texts import TEMPLATES_DIR, Texts

MAX = 2**31 - 1
FORMAT_ONLY = re.compile(r"^[✓\s]*%\(\w+\)s · %\(\w+\)s$")


def template_msgids() -> list[str]:
    found: list[str] = []
    paths = sorted((TEMPLATES_DIR / "bot/requests").glob("*.html"))
    paths += [TEMPLATES_DIR / f"bot/refusals/{n}.html" for n in ("not_your_service",)]
    for path in paths:
        with Path(path).open("rb") as template:
            for _line, _function, message, _comments in babel_extract(
                template, ("_", "gettext", "ngettext"), [], {}
            ):
                found += [message] if isinstance(message, str) else []  # plurals: below
    return found


def button_msgids() -> list[str]:
    source = Path(keyboards_requests.__file__).read_text()
    found = re.findall(r'\.add\(\s*"([^"]+)"', source)
    for table in (
        keyboards_requests.REASONS,
        keyboards_requests.REFUND_TO,
        keyboards_requests.KINDS,
        keyboards_requests.STATUSES,
        keyboards_requests.ASK_LABELS,
        services.REASONS,
    ):
        found += list(table.values())
    found += re.findall(r'"(Please drop[^"]+)"', Path(split.__file__).read_text())
    found += ["At period end", "Now", "✓ %(line)s · %(amount)s"]
    return found


TEXTS = Texts()


@pytest.mark.parametrize("msgid", sorted(set(template_msgids() + button_msgids())))
def test_every_request_text_has_a_russian_translation(msgid: str) -> None:
    russian = TEXTS.gettext(msgid, "ru")

    assert russian != msgid or FORMAT_ONLY.match(msgid)
    assert re.findall(r"%\(\w+\)s", russian) == re.findall(r"%\(\w+\)s", msgid)


@pytest.mark.parametrize(
    ("count", "words"), [(1, "сообщение"), (3, "сообщения"), (5, "сообщений")]
)
def test_earlier_messages_are_counted_in_russian_plurals(count: int, words: str) -> None:
    ticket = {"id": 3, "amount_minor": 0, "currency": "EUR"}
    page = TEXTS.render(
        "bot/requests/ticket_page.html",
        "ru",
        ticket=ticket,
        label="#3",
        number=None,
        entries=[],
        earlier=count,
    )

    assert f"ещё {count} {words} ранее" in page


BIGGEST: list[CallbackData] = [
    AskCD(act=AskAct.SERVICES, invoice_id=MAX),
    RefundCD(act=RefundAct.WHY, invoice_id=MAX, value="broken"),
    RefundCD(act=RefundAct.TO, invoice_id=MAX, value="account_credit"),
    SplitCD(act=SplitAct.OFF, invoice_id=MAX, line_id=MAX),
    ServiceCD(act=ServiceAct.WHEN, service_id=MAX, invoice_id=MAX, value=When.PERIOD_END),
    TicketCD(act=TicketAct.REPLY, ticket_id=MAX),
    TicketsCD(after=MAX),
]


@pytest.mark.parametrize("data", BIGGEST, ids=lambda d: type(d).__name__)
def test_tg12_request_buttons_fit_telegrams_64_bytes(data: CallbackData) -> None:
    packed = data.pack()

    assert len(packed.encode()) <= 64
    assert type(data).unpack(packed) == data


ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "tg-spoiler", "blockquote"}
LINE = SimpleNamespace(id=1, name="Hosting <S>", total_minor=4800)
INVOICE = SimpleNamespace(
    id=3,
    number="INV-000003",
    currency="EUR",
    paid_minor=6000,
    refunded_minor=1000,
    lines=[LINE, SimpleNamespace(id=2, name="IP", total_minor=600)],
)
TICKET = SimpleNamespace(
    id=12, kind="refund", status="open", joined=False, amount_minor=5000, currency="EUR"
)
ENTRY = SimpleNamespace(kind="reply", created_at=datetime(2026, 12, 1, tzinfo=UTC), text="<ok>")
SAMPLE: dict[str, object] = {
    "invoice": INVOICE,
    "ticket": TICKET,
    "service": SimpleNamespace(name="VPS & co"),
    "services": [SimpleNamespace(name="VPS")],
    "cancels": [INVOICE],
    "ticked": [LINE],
    "credit": 4000,
    "refundable": 5000,
    "reason": "I was charged twice",
    "words": "x" * 500,
    "to": "account_credit",
    "when": "now",
    "text": "<script>alert(1)</script>" + "y" * 4000,
    "tickets": [TICKET],
    "first": True,
    "label": "#12 Refund · Open",
    "number": "INV-000003",
    "entries": [ENTRY] * 5,
    "earlier": 7,
}


@pytest.mark.parametrize("locale", ["en", "ru"])
@pytest.mark.parametrize(
    "name", sorted(p.name for p in (TEMPLATES_DIR / "bot/requests").glob("[!_]*.html"))
)
def test_every_request_template_renders_short_telegram_html(name: str, locale: str) -> None:
    text = TEXTS.render(f"bot/requests/{name}", locale, **SAMPLE)

    tags = {t.lstrip("/").split()[0] for t in re.findall(r"<(/?[a-z-]+)[^>]*>", text)}
    assert tags <= ALLOWED_TAGS
    assert "<script>" not in text and "<S>" not in text and 0 < len(text) < 4096
    assert "%(" not in text and "{{" not in text
