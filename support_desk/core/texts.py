"""Every human-readable text comes from templates under `templates/`, translated by gettext.

Catalogs are the `.po` files in `templates/locale/<lang>/LC_MESSAGES/` (one per face:
`messages.po`, `console.po`, ...; they merge into one catalog per language); they are
compiled in memory by Babel at start-up, so no binary `.mo` file is kept in the repository.
"""

from __future__ import annotations

import functools
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, get_currency_precision
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
LOCALE_DIR = TEMPLATES_DIR / "locale"
FAVICON = TEMPLATES_DIR / "static" / "favicon.svg"  # one icon for every page we serve
LOCALES = ("en", "ru")


def load_translations(locale: str) -> NullTranslations:
    """The catalog for `locale`: every .po file of its folder, compiled and merged (a face keeps
    its own file, so faces do not collide in one); English needs none."""
    merged: Translations | None = None
    for path in sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as po:
            catalog = read_po(po, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = Translations(fp=buffer)
        merged = part if merged is None else merged.merge(part)
    return merged if merged is not None else NullTranslations()


@functools.lru_cache(maxsize=4096)  # a pure function of its arguments; Babel's is not cheap
def format_money(minor: int, currency: str, *, locale: str = "en") -> str:
    """Integer minor units shown the locale's way (12.34 EUR -> "€12.34" / "12,34 €"); the
    amount goes through Decimal, never float."""
    digits = get_currency_precision(currency)
    return format_currency(Decimal(minor).scaleb(-digits), currency, locale=locale)


@functools.lru_cache(maxsize=4096)  # a pure function of its arguments (dates are immutable)
def format_day(value: date | datetime | str, *, locale: str = "en") -> str:
    """A day in the locale's medium form ("Dec 14, 2026"); a moment adds its minute and UTC
    ("Dec 14, 2026, 3:37 PM UTC"). ISO strings from outbox payloads are accepted, a bare
    "2026-12-14" being a day, not its midnight."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
    if not isinstance(value, datetime):
        return format_date(value, "medium", locale=locale)
    moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    day = format_date(moment, "medium", locale=locale)
    minute = format_time(moment, "short", tzinfo=UTC, locale=locale)
    pattern = str(get_datetime_format("medium", locale=locale)).replace("'", "")
    return pattern.format(minute, day) + " UTC"


def negotiate_locale(asked: str, accept_language: str, default: str = "en") -> str:
    """The locale a page is shown in: `asked` (a `?lang=`) when we have it, else the first of
    the browser's Accept-Language, by weight, that we have a catalog for, else `default`."""
    if asked in LOCALES:
        return asked
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate(accept_language.split(",")):
        tag, _, q = part.replace(" ", "").partition(";q=")
        weight = float(q) if re.fullmatch(r"[01](\.\d{0,3})?", q) else 0.0 if q else 1.0
        ranked.append((-weight, n, tag.split("-")[0].lower()))
    return next((lang for w, _, lang in sorted(ranked) if w < 0 and lang in LOCALES), default)


class Texts:
    """One jinja2 environment per locale; unknown locales fall back to the default."""

    def __init__(self, default_locale: str = "en") -> None:
        self.default_locale = default_locale if default_locale in LOCALES else "en"

    @cached_property
    def _environments(self) -> dict[str, Environment]:
        return {locale: self._environment(locale) for locale in LOCALES}

    def _environment(self, locale: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            auto_reload=False,  # templates ship with the code: no stat() per template per render
            autoescape=select_autoescape(["html", "xml"]),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_translations(self._translations[locale], newstyle=True)  # type: ignore[attr-defined]
        env.globals["locale"] = locale
        env.filters["money"] = functools.partial(format_money, locale=locale)
        env.filters["day"] = functools.partial(format_day, locale=locale)
        return env

    def compile_all(self, *folders: str) -> int:
        """Compile every template under `folders` in every language now, at start-up, so the
        first customer of a process does not wait for jinja2 (≈1 ms a template)."""
        compiled = 0
        for env in self._environments.values():
            for name in env.list_templates(filter_func=lambda n: n.startswith(folders)):
                env.get_template(name)
                compiled += 1
        return compiled

    def environment(self, locale: str | None = None) -> Environment:
        return self._environments.get(locale or "", self._environments[self.default_locale])

    def render(self, template: str, locale: str | None = None, **context: Any) -> str:
        return self.environment(locale).get_template(template).render(**context).strip()

    def gettext(self, message: str, locale: str | None = None) -> str:
        """A single translated string (for button labels and the like)."""
        return str(self._translations.get(locale or "", NullTranslations()).gettext(message))

    @cached_property
    def _translations(self) -> dict[str, NullTranslations]:
        return {locale: load_translations(locale) for locale in LOCALES}
