"""B5: a service's billing period. Billing keeps no period per invoice line: a service is
billed monthly from the day it is invoiced (anniversary billing, as hosting is), and
`period_end` is the last day the latest invoice billing it covers: set when the service is
created, moved on when an invoice billing it is issued (never back; a replacement invoice
issued the same day moves nothing). A termination "at period end" keeps the service through
that day."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta


def period_end_from(start: datetime | date) -> date:
    """The last day of the month-long period starting on `start`'s day: 5 Jan -> 4 Feb,
    1 Jan -> 31 Jan, 31 Jan -> 27 Feb (the next start is clamped to the month's end)."""
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) - timedelta(days=1)


def is_due(terminates_on: date, now: datetime) -> bool:
    """A termination set for a day's end is carried out once that day is over (UTC)."""
    return terminates_on < now.date()
