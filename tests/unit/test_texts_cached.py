"""Texts a tap renders cost no repeated work (issue 13): a template is loaded once per process
(no stat() of its file, nor of each file it includes, per render), and money and dates are
formatted once per value, with the same result as formatting them afresh."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from support_desk.core import texts
from support_desk.core.texts import Texts, format_day, format_money


def test_a_loaded_template_is_not_checked_against_its_file_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown = Texts()
    env = shown.environment("en")
    first = env.get_template("bot/money/invoice_list.html")
    stats: list[str] = []
    real = os.stat

    def counting(path: object, *args: object, **kwargs: object) -> os.stat_result:
        stats.append(str(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", counting)
    monkeypatch.setattr(os.path, "getmtime", lambda p: stats.append(str(p)) or 0.0)

    assert env.get_template("bot/money/invoice_list.html") is first
    assert [p for p in stats if Path(p).suffix == ".html"] == []


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_cached_formatting_answers_what_babel_answers(locale: str) -> None:
    for minor, currency in [(0, "EUR"), (123456, "EUR"), (-995, "USD"), (100, "JPY")]:
        fresh = format_money.__wrapped__(minor, currency, locale=locale)
        assert format_money(minor, currency, locale=locale) == fresh
        assert format_money(minor, currency, locale=locale) == fresh  # from the cache
    moment = datetime(2026, 12, 14, 15, 37, tzinfo=UTC)
    same_instant = moment.astimezone(timezone(timedelta(hours=3)))
    for value in (date(2026, 12, 14), moment, same_instant, moment.replace(tzinfo=None),
                  "2026-12-14", "2026-12-14T15:37:00+00:00"):  # fmt: skip
        assert format_day(value, locale=locale) == format_day.__wrapped__(value, locale=locale)
    assert texts.format_day(same_instant, locale=locale) == texts.format_day(moment, locale=locale)
