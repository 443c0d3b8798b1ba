"""How days and moments read in a customer's message: a due date is a day (no midnight time),
an undo deadline is a minute in UTC, both in the customer's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from support_desk.core.texts import format_day


@pytest.mark.parametrize(
    ("value", "locale", "shown"),
    [
        ("2026-12-14", "en", "Dec 14, 2026"),
        (date(2026, 12, 14), "en", "Dec 14, 2026"),
        ("2026-12-14", "ru", "14 дек. 2026 г."),
        ("2026-12-14T15:37:12+00:00", "en", "Dec 14, 2026, 3:37 PM UTC"),
        ("2026-12-14T15:37:12+00:00", "ru", "14 дек. 2026 г., 15:37 UTC"),
        (datetime(2026, 12, 14, 15, 37, tzinfo=UTC), "en", "Dec 14, 2026, 3:37 PM UTC"),
        (
            datetime(2026, 12, 14, 18, 37, tzinfo=timezone(timedelta(hours=3))),
            "en",
            "Dec 14, 2026, 3:37 PM UTC",
        ),
    ],
)
def test_days_and_moments_read_naturally(value: object, locale: str, shown: str) -> None:
    text = format_day(value, locale=locale)  # type: ignore[arg-type]
    assert text.replace("\u202f", " ").replace("\xa0", " ") == shown  # CLDR's no-break spaces
