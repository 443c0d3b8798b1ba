"""The admin pages' filters: one parser for the page and its CSV; bad values are dropped and
named, never a failure."""

from __future__ import annotations

from datetime import date

from billing.models import CreditNoteStatus
from ticketing.register import Origin, RegisterFilter
from ticketing.register_totals import Granularity
from web.console.admin.filters import audit_query, preset, register_query

TODAY = date(2026, 5, 20)


def test_named_periods_cover_whole_days_up_to_today() -> None:
    assert preset("this_month", TODAY) == (date(2026, 5, 1), TODAY)
    assert preset("last_month", TODAY) == (date(2026, 4, 1), date(2026, 4, 30))
    assert preset("last_month", date(2026, 1, 9)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert preset("this_quarter", TODAY) == (date(2026, 4, 1), TODAY)
    assert preset("custom", TODAY) == (None, None)


def test_every_register_filter_is_read_and_bad_ones_are_named() -> None:
    good = register_query(
        {
            "period": "custom",
            "start": "2026-01-01",
            "end": "2026-01-31",
            "agent": "3",
            "origin": "ticket",
            "status": "issued",
            "currency": "eur",
            "by": "month",
            "pending": "1",
            "before": "99",
        },
        TODAY,
    )
    bad = register_query(
        {"start": "yesterday", "agent": "-1", "origin": "x", "currency": "€€€", "by": "day"}, TODAY
    )

    assert good.filter == RegisterFilter(
        date(2026, 1, 1), date(2026, 1, 31), 3, Origin.TICKET, CreditNoteStatus.ISSUED, "EUR"
    )
    assert (good.granularity, good.include_pending, good.before, good.ignored) == (
        Granularity.MONTH,
        True,
        99,
        (),
    )
    assert bad.filter == RegisterFilter()
    assert set(bad.ignored) == {"start", "agent", "origin", "currency", "by"}
    assert register_query({"period": "this_month", "start": "2020-01-01"}, TODAY).filter.start == (
        date(2026, 5, 1)
    )


def test_the_audit_filter_splits_actor_and_object() -> None:
    f, before, ignored = audit_query(
        {"actor": "agent:3", "object": "credit_note:7", "action": "credit_note.", "end": "x"}
    )

    assert (f.actor_kind, f.actor_id, f.subject_type, f.subject_id) == (
        "agent",
        "3",
        "credit_note",
        "7",
    )
    assert (f.action, f.end, before, ignored) == ("credit_note.", None, None, ("end",))
