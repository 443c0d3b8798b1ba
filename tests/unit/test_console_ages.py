"""Every age and due time the console shows reads "2 d 21 h" / "3 h 5 min", in English and
Russian (it read "waiting 4140 min" on the approvals page)."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest

from support_desk.core.texts import Texts
from web.console.ages import span

TEXTS = Texts("en")


@pytest.mark.parametrize(
    ("delta", "en", "ru"),
    [
        (timedelta(minutes=4140), "2 d 21 h", "2 д 21 ч"),
        (timedelta(hours=3, minutes=5, seconds=59), "3 h 5 min", "3 ч 5 мин"),
        (timedelta(days=3), "3 d", "3 д"),
        (timedelta(hours=2), "2 h", "2 ч"),
        (timedelta(minutes=59, seconds=59), "59 min", "59 мин"),
        (timedelta(seconds=20), "under a minute", "меньше минуты"),
    ],
)
def test_an_age_shows_its_two_largest_units(delta: timedelta, en: str, ru: str) -> None:
    assert span(delta, gettext=functools.partial(TEXTS.gettext, locale="en")) == en
    assert span(delta, gettext=functools.partial(TEXTS.gettext, locale="ru")) == ru


def test_a_due_time_says_whether_it_is_ahead_or_past() -> None:
    en = functools.partial(TEXTS.gettext, locale="en")
    ru = functools.partial(TEXTS.gettext, locale="ru")

    assert span(timedelta(hours=1, minutes=30), gettext=en, direction=True) == "in 1 h 30 min"
    assert span(-timedelta(days=1, hours=2), gettext=en, direction=True) == "1 d 2 h ago"
    assert span(-timedelta(days=1, hours=2), gettext=ru, direction=True) == "1 д 2 ч назад"
