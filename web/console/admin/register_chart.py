"""The register's totals drawn as one bar chart per currency (amounts of different currencies
never share an axis), with the same numbers as a table beside it. Words come from the catalog
in the admin's language; amounts and dates are formatted the locale's way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from babel.dates import format_date
from markupsafe import Markup

from support_desk.core.texts import format_money
from ticketing.register_totals import Bucket, Granularity, RegisterTotals
from web.console.admin.chart import Bar, bar_chart


@dataclass(frozen=True, slots=True)
class CurrencyChart:
    currency: str
    svg: Markup
    rows: tuple[tuple[str, str, int], ...]  # (period, amount, count), the chart's numbers


def period_label(bucket: Bucket, granularity: Granularity, locale: str) -> str:
    pattern = "d MMM" if granularity is Granularity.WEEK else "MMM yyyy"
    return format_date(bucket.start, pattern, locale=locale)


def charts(
    totals: RegisterTotals, locale: str, gettext: Callable[[str], str]
) -> tuple[CurrencyChart, ...]:
    """One chart per currency that has issued credit notes in the period."""
    week = totals.granularity is Granularity.WEEK
    title = gettext("Issued per week, %(currency)s" if week else "Issued per month, %(currency)s")
    bar_title = gettext("%(period)s: %(amount)s, %(count)s credit notes")
    out = []
    for currency in sorted({b.currency for b in totals.buckets}):
        mine = [b for b in totals.buckets if b.currency == currency]
        rows = tuple(
            (
                period_label(b, totals.granularity, locale),
                format_money(b.total_minor, currency, locale=locale),
                b.count,
            )
            for b in mine
        )
        bars = [
            Bar(
                period, b.total_minor, bar_title % {"period": period, "amount": amount, "count": n}
            )
            for b, (period, amount, n) in zip(mine, rows, strict=True)
        ]
        svg = bar_chart(
            bars,
            title=title % {"currency": currency},
            description=gettext("Bars start at zero; the table below gives the same numbers."),
            axis_label=partial(format_money, currency=currency, locale=locale),
            ident=f"chart-{currency.lower()}",
        )
        out.append(CurrencyChart(currency, svg, rows))
    return tuple(out)
