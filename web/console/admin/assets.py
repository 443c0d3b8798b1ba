"""The admin pages' stylesheet, a file of its own beside console.css (the CSP allows no inline
style); every admin page links it."""

from __future__ import annotations

from aiohttp import web

from support_desk.core.texts import TEMPLATES_DIR
from web.console.routes import Access, ConsoleRoute

STYLESHEET = TEMPLATES_DIR / "console" / "static" / "admin.css"


async def admin_css(request: web.Request) -> web.Response:
    cache = {"Cache-Control": "public, max-age=600"}
    return web.Response(body=STYLESHEET.read_bytes(), content_type="text/css", headers=cache)


ROUTES = [ConsoleRoute("GET", "/console/admin.css", admin_css, Access.ANONYMOUS)]
