"""The product's front page: what runs here and where to go next (the REST API's docs, the
offline demo's chat). It reads nothing from the database, so it answers even when that is down."""

from __future__ import annotations

from aiohttp import web

from support_desk.core.texts import FAVICON, Texts, negotiate_locale

TEXTS = web.AppKey("home_texts", Texts)
DEMO_CHAT_URL = web.AppKey("demo_chat_url", str)


async def home(request: web.Request) -> web.Response:
    texts = request.app[TEXTS]
    accept = request.headers.get("Accept-Language", "")
    locale = negotiate_locale(request.query.get("lang", ""), accept, texts.default_locale)
    page = texts.render("home.html", locale, demo_chat_url=request.app.get(DEMO_CHAT_URL))
    return web.Response(text=page, content_type="text/html")


async def favicon(_request: web.Request) -> web.Response:
    return web.Response(
        body=FAVICON.read_bytes(),
        content_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def setup_home(app: web.Application, texts: Texts, demo_chat_url: str | None) -> None:
    app[TEXTS] = texts
    if demo_chat_url is not None:
        app[DEMO_CHAT_URL] = demo_chat_url
    app.router.add_get("/", home, name="home")
    app.router.add_get("/favicon.svg", favicon, name="favicon")
