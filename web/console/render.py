"""Rendering console pages: the language, the signed-in user, a fresh form token per form, and
the flash a POST-redirect-GET carries back in its query string."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from support_desk.core.texts import LOCALES, negotiate_locale
from web.console import csrf
from web.console.context import JINJA, PRE_BINDING, USER, console
from web.console.sessions import ConsoleUser

LOGIN = "console/login.html"  # its form is bound to the pre-session cookie, never a session


def locale_of(request: web.Request) -> str:
    """`?lang=` for this page, else the user's own setting, else the browser's languages."""
    asked = request.query.get("lang", "")
    found = request.get(USER)
    if asked not in LOCALES and found is not None and found.locale in LOCALES:
        asked = found.locale or ""
    accept = request.headers.get("Accept-Language", "")
    return negotiate_locale(asked, accept, console(request).texts.default_locale)


def _binding(request: web.Request, template: str) -> str:
    found: ConsoleUser | None = request.get(USER)
    if found is not None and template != LOGIN:
        return found.session_hash
    fresh: str | None = request.get(PRE_BINDING)
    return fresh or request.cookies.get(csrf.PRE_COOKIE, "")


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """A console page; `csrf()` in a template gives each form its own one-time token."""
    secret, binding = console(request).secret, _binding(request, template)
    base: dict[str, Any] = {
        "user": request.get(USER),
        "now": console(request).tx.clock.now(),
        "csrf": lambda: csrf.make_token(secret, binding),
        "csrf_field": csrf.FIELD,
        "path": request.path,
        "path_qs": request.path_qs,
        "query": request.query,
        "done": request.query.get("done", ""),
        "refused": request.query.get("refused", ""),
    }
    key = JINJA[locale_of(request)]
    return aiohttp_jinja2.render_template(
        template, request, {**base, **context}, app_key=key, status=status
    )


def see_other(location: str, **flash: str) -> web.Response:
    """POST-redirect-GET; `flash` (done=..., refused=...) is shown by the page it lands on."""
    shown = {k: v for k, v in flash.items() if v}
    if shown:
        location += ("&" if "?" in location else "?") + urlencode(shown)
    return web.Response(status=303, headers={"Location": location})
