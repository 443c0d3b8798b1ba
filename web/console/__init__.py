"""The agents' and admins' web console under /console/ (issue 10): server-rendered pages over
ticketing's and billing's use cases, behind one route table (web/console/routes.py)."""

from __future__ import annotations

import functools

from aiohttp import web

from support_desk.core.settings import Settings
from support_desk.core.texts import LOCALES, Texts
from support_desk.core.tx import Transactor
from web.console.ages import span
from web.console.context import CONSOLE, JINJA, Console
from web.console.events import setup_streams
from web.console.guard import guarded, harden
from web.console.routes import console_routes


def setup_console(app: web.Application, tx: Transactor, settings: Settings, texts: Texts) -> None:
    """Mount every route of the table, each behind the guard; nothing else joins /console/."""
    app[CONSOLE] = Console(tx, settings, texts)
    for locale in LOCALES:
        env = texts.environment(locale)
        words = functools.partial(texts.gettext, locale=locale)
        env.filters["span"] = functools.partial(span, gettext=words)
        app[JINJA[locale]] = env
    for route in console_routes():
        app.router.add_route(route.method, route.path, guarded(route))
    app.on_response_prepare.append(harden)
    setup_streams(app)
