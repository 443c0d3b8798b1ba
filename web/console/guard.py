"""The guard every console route passes through (W7-W13): the session, the route's access
level (deny by default), and for a POST the origin check and the form's token. Nothing under
/console/ is served without it, since `setup_console` registers only guarded handlers."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from support_desk.core.settings import Settings
from web.console import csrf
from web.console.context import FORM_TOKEN, USER, console
from web.console.render import render, see_other
from web.console.routes import Access, ConsoleRoute, Handler
from web.console.sessions import ConsoleUser, current_user, touch_session

STATIC = "/console/static/"  # files only: no session is looked up for them
COOKIE = "console_session"
SECURE_COOKIE = "__Host-console_session"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def secure(request: web.Request, settings: Settings) -> bool:
    return request.secure or settings.console.secure_cookies


def session_token(request: web.Request) -> str | None:
    return request.cookies.get(SECURE_COOKIE) or request.cookies.get(COOKIE)


async def signed_in(request: web.Request) -> ConsoleUser | None:
    token = session_token(request)
    if not token or len(token) > 100:
        return None
    tx = console(request).tx
    found = await tx.read(current_user, token)
    if found is not None and found.stale:
        await tx.run(touch_session, found.session_hash)
    return found


def guarded(route: ConsoleRoute) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        found = None if route.path.startswith(STATIC) else await signed_in(request)
        if found is not None:
            request[USER] = found
        if (denied := _denied(request, route.access, found)) is not None:
            return denied
        binding = found if route.access is not Access.ANONYMOUS else None
        if request.method == "POST" and not await _form_trusted(request, binding):
            return render(request, "console/refused.html", status=403, reason="csrf")
        return await route.handler(request)

    handler.__name__ = route.handler.__name__
    return handler


def _denied(
    request: web.Request, access: Access, found: ConsoleUser | None
) -> web.StreamResponse | None:
    if access is Access.ANONYMOUS:
        return None
    if found is None:
        target = "/console/login"
        if request.method == "GET" and request.path != "/console/":
            target += "?next=" + quote(request.path_qs, safe="")
        return see_other(target)
    if access is Access.ADMIN and not found.is_admin:
        return render(request, "console/refused.html", status=403, reason="role")
    return None


async def _form_trusted(request: web.Request, found: ConsoleUser | None) -> bool:
    """W7, W8: our own origin, and a token made for this very browser (for the sign-in form,
    before any session, bound to the form's own cookie)."""
    if not csrf.same_origin(request):
        return False
    form = await request.post()
    token = form.get(csrf.FIELD)
    binding = found.session_hash if found else request.cookies.get(csrf.PRE_COOKIE, "")
    if not isinstance(token, str) or not binding:
        return False
    if not csrf.token_valid(console(request).secret, binding, token):
        return False
    request[FORM_TOKEN] = token
    return True


async def harden(request: web.Request, response: web.StreamResponse) -> None:
    """Console pages: scripts and the event stream from our origin only, never cached, and a
    same-origin referrer (with no-referrer Chromium posts `Origin: null`)."""
    if not request.path.startswith("/console/"):
        return
    # a page may narrow its own policy (a credit note document allows its one <style> by hash)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
