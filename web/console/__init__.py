"""The agents' and admins' web console under /console/ (issue 10): server-rendered pages over
ticketing's and billing's use cases, behind one route table (web/console/routes.py)."""

from __future__ import annotations

import functools
from datetime import timedelta

from aiohttp import web
from babel import Locale
from babel.dates import format_timedelta

from support_desk.core.settings import Settings
from support_desk.core.texts import LOCALES, Texts
from support_desk.core.tx import Transactor
from web.console.context import CONSOLE, JINJA, Console
from web.console.events import setup_streams
from web.console.guard import guarded, harden
from web.console.routes import console_routes


def span(delta: timedelta, *, locale: Locale, direction: bool = False) -> str:
    """A duration the locale's short way ("3 hr", "3 ч"); with `direction`, "in 3 hr"/"3 hr
    ago" (a due time past is overdue)."""
    return format_timedelta(
        delta, threshold=1.5, add_direction=direction, format="short", locale=locale
    )


def setup_console(app: web.Application, tx: Transactor, settings: Settings, texts: Texts) -> None:
    """Mount every route of the table, each behind the guard; nothing else joins /console/."""
    app[CONSOLE] = Console(tx, settings, texts)
    for locale in LOCALES:
        env = texts.environment(locale)
        env.filters["span"] = functools.partial(span, locale=Locale.parse(locale))
        app[JINJA[locale]] = env
    for route in console_routes():
        app.router.add_route(route.method, route.path, guarded(route))
    app.on_response_prepare.append(harden)
    setup_streams(app)
