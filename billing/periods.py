"""B5: a service's billing period. Billing keeps no period per invoice line; a service's period
is the calendar month (UTC), and `period_end` is the last day of the latest month invoiced:
set to the month it was created in, and moved on to the month an invoice billing it is issued
in (never back). A termination "at period end" keeps the service through that day."""

from __future__ import annotations

import calendar
from datetime import date, datetime


def month_end(moment: datetime | date) -> date:
    """The last day of `moment`'s month."""
    return date(moment.year, moment.month, calendar.monthrange(moment.year, moment.month)[1])


def is_due(terminates_on: date, now: datetime) -> bool:
    """A termination set for a day's end is carried out once that day is over (UTC)."""
    return terminates_on < now.date()
