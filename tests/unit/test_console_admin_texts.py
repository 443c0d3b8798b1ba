"""The admin pages speak Russian too: every text of their templates and of the chart has its
translation in console_admin.po, and the register's chart reads in the admin's language."""

from __future__ import annotations

from datetime import date

from babel.messages.extract import extract_from_dir

from support_desk.core.texts import TEMPLATES_DIR, load_translations
from ticketing.register_totals import Bucket, Granularity, RegisterTotals
from web.console.admin.register_chart import charts

CHART_TEXTS = (
    "Issued per week, %(currency)s",
    "Issued per month, %(currency)s",
    "%(period)s: %(amount)s, %(count)s credit notes",
    "Bars start at zero; the table below gives the same numbers.",
)


def admin_msgids() -> tuple[set[str], set[tuple[str, str]]]:
    found = extract_from_dir(
        TEMPLATES_DIR / "console" / "admin",
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    ids: set[str] = set(CHART_TEXTS)
    plurals: set[tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in found:
        if isinstance(message, str):
            ids.add(message)
        else:
            plurals.add((message[0], message[1]))
    return ids, plurals


def test_every_admin_text_has_a_russian_translation() -> None:
    russian = load_translations("ru")

    ids, plurals = admin_msgids()

    assert {"Approvals", "Credit notes", "Audit log", "People"} <= ids
    assert sorted(m for m in ids if russian.gettext(m) == m) == []
    assert sorted(p for p in plurals if russian.ngettext(*p, 5) == p[1]) == []


def test_the_chart_reads_in_the_admins_language_one_chart_per_currency() -> None:
    russian = load_translations("ru")
    buckets = (
        Bucket(date(2026, 1, 5), "EUR", 14000, 2),
        Bucket(date(2026, 1, 5), "USD", 0, 0),
        Bucket(date(2026, 1, 12), "EUR", 0, 0),
        Bucket(date(2026, 1, 12), "USD", 500, 1),
    )
    totals = RegisterTotals(Granularity.WEEK, False, (), buckets, 3)

    drawn = charts(totals, "ru", russian.gettext)

    assert [c.currency for c in drawn] == ["EUR", "USD"]
    eur = drawn[0]
    assert "Выставлено по неделям, EUR" in eur.svg
    assert eur.rows[0] == ("5 янв.", "140,00\xa0€", 2)
    assert "5 янв.: 140,00\xa0€, кредит-нот: 2" in eur.svg
