"""The console's stylesheet and scripts, served as files (the CSP allows no inline ones)."""

from __future__ import annotations

from aiohttp import web

from support_desk.core.texts import TEMPLATES_DIR
from web.console.routes import Access, ConsoleRoute

FILES = {
    "console.css": "text/css",
    "console.js": "text/javascript",
}
FOLDER = TEMPLATES_DIR / "console" / "static"


async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in FILES:
        raise web.HTTPNotFound()
    cache = {"Cache-Control": "public, max-age=600"}
    body = (FOLDER / name).read_bytes()
    return web.Response(body=body, content_type=FILES[name], headers=cache)


ROUTES = [ConsoleRoute("GET", "/console/static/{name}", static_file, Access.ANONYMOUS)]
