"""The product's front page: what runs here and where to go next (the REST API's docs, the
offline demo's chat). It reads nothing from the database, so it answers even when that is down."""

from __future__ import annotations

from aiohttp import web

from support_desk.core.texts import FAVICON, TEMPLATES_DIR, Texts, negotiate_locale

TEXTS = web.AppKey("home_texts", Texts)
DEMO_CHAT_URL = web.AppKey("demo_chat_url", str)


async def home(request: web.Request) -> web.Response:
    texts = request.app[TEXTS]
    accept = request.headers.get("Accept-Language", "")
    locale = negotiate_locale(request.query.get("lang", ""), accept, texts.default_locale)
    page = texts.render("home.html", locale, demo_chat_url=request.app.get(DEMO_CHAT_URL))
    return web.Response(text=page, content_type="text/html")


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
