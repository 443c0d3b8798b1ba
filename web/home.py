"""The product's front page: what runs here and where to go next (the REST API's docs, and in
the offline demo the three roles to play). It reads nothing from the database, so it answers
even when that is down.

The demo's "Work the queue as an agent" and "Review as an admin" post to `/demo/sign-in/{role}`,
which exists only in the demo. Until the console signs a demo user in itself, that route sends
the browser to the console's login page with the login filled in; the console implements
one-click demo sign-in by setting `DEMO_SIGN_IN` on the application (see `DemoSignIn`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from support_desk.core.texts import FAVICON, TEMPLATES_DIR, Texts, negotiate_locale

TEXTS = web.AppKey("home_texts", Texts)
DEMO_CHAT_URL = web.AppKey("demo_chat_url", str)
CONSOLE_LOGIN = "/console/login"


@dataclass(frozen=True, slots=True)
class DemoRole:
    """A console account of the demo, shown on the front page (the demo is on loopback)."""

    role: str  # "agent" or "admin"
    login: str
    password: str


# The console's hook: sign `login` in at once (a session, no password) and answer the request,
# e.g. with a redirect to the queue. Set only in the offline demo, by the console's setup.
DemoSignIn = Callable[[web.Request, str], Awaitable[web.StreamResponse]]
DEMO_SIGN_IN: web.AppKey[DemoSignIn] = web.AppKey("demo_sign_in")
DEMO_ROLES: web.AppKey[tuple[DemoRole, ...]] = web.AppKey("demo_roles")


async def home(request: web.Request) -> web.Response:
    texts = request.app[TEXTS]
    accept = request.headers.get("Accept-Language", "")
    locale = negotiate_locale(request.query.get("lang", ""), accept, texts.default_locale)
    page = texts.render(
        "home.html",
        locale,
        demo_chat_url=request.app.get(DEMO_CHAT_URL),
        demo_roles={r.role: r for r in request.app.get(DEMO_ROLES, ())},
    )
    response = web.Response(text=page, content_type="text/html")
    # The demo's sign-in buttons POST from here: with no-referrer Chromium would send
    # `Origin: null` and the same-origin check would refuse our own form.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


async def demo_sign_in(request: web.Request) -> web.StreamResponse:
    """One click from the front page to the console as the demo's agent or admin."""
    roles = {r.role: r for r in request.config_dict[DEMO_ROLES]}
    found = roles.get(request.match_info["role"])
    if found is None:
        raise web.HTTPNotFound()
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        raise web.HTTPForbidden(text="cross-site request refused")
    hook = request.config_dict.get(DEMO_SIGN_IN)
    if hook is None:
        raise web.HTTPSeeOther(f"{CONSOLE_LOGIN}?{urlencode({'login': found.login})}")
    return await hook(request, found.login)


STATIC = {
    "/favicon.svg": (FAVICON, "image/svg+xml"),
    "/static/home.css": (TEMPLATES_DIR / "static" / "home.css", "text/css"),
}


async def static(request: web.Request) -> web.Response:
    path, kind = STATIC[request.path]
    cache = {"Cache-Control": "public, max-age=3600"}
    return web.Response(body=path.read_bytes(), content_type=kind, headers=cache)


def setup_home(app: web.Application, texts: Texts, demo_chat_url: str | None) -> None:
    app[TEXTS] = texts
    if demo_chat_url is not None:
        app[DEMO_CHAT_URL] = demo_chat_url
    app.router.add_get("/", home, name="home")
    for path in STATIC:
        app.router.add_get(path, static)


def setup_demo_roles(app: web.Application, roles: Sequence[DemoRole]) -> None:
    """The offline demo only: the agent's and admin's one-click way into the console."""
    app[DEMO_ROLES] = tuple(roles)
    app.router.add_post("/demo/sign-in/{role}", demo_sign_in, name="demo:login")
