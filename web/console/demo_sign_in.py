"""One-click sign-in of the offline demo's agent and admin (web.home's `DemoSignIn` hook).

The wiring sets this hook only in the offline demo (support_desk.wiring, when it serves the demo
chat); elsewhere `/demo/sign-in/{role}` does not exist. It starts a real console session, the
same code as a password login: a new random token (whatever session the browser brought ends),
the same cookie flags, an audit record.

The front page reads nothing and carries no CSRF token, so the POST must prove it is ours by the
browser's own headers: Sec-Fetch-Site `same-origin`, or else an Origin naming this host. A POST
with neither, or with a foreign one, is refused (a cross-site form could otherwise sign a
visitor in as the demo agent: login CSRF).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from ticketing.models import Role
from ticketing.users import user_by_login
from web.console.auth import address_of, old_token, set_session_cookie
from web.console.context import console
from web.console.render import see_other
from web.console.sessions import StartSession, start_session

LANDING = {"agent": "/console/", "admin": "/console/approvals"}


def proven_same_origin(request: web.Request) -> bool:
    """True only when the browser says so: no header at all is not proof here."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc == request.host


async def demo_sign_in(request: web.Request, login: str) -> web.StreamResponse:
    """A console session for the demo user `login`, then their first page."""
    if not proven_same_origin(request):
        raise web.HTTPForbidden(text="cross-site request refused")
    c = console(request)
    found = await c.tx.read(user_by_login, login)
    if found is None or not found[0].active:
        raise web.HTTPNotFound(text="this demo account is not here")
    user = found[0]
    command = StartSession(user.id, address_of(request), old_token(request))
    token = await c.tx.run(start_session, command)
    response = see_other(LANDING["admin" if user.role == Role.ADMIN else "agent"])
    set_session_cookie(request, response, token)
    return response
