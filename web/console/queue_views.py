"""The queue page (T2)."""

from __future__ import annotations

from aiohttp import web

import ticketing
from web.console.context import console, user
from web.console.render import render
from web.console.routes import Access, ConsoleRoute


async def queue(request: web.Request) -> web.Response:
    page = await console(request).tx.read(ticketing.queue_page, user(request).actor)
    return render(request, "console/queue.html", page=page)


ROUTES = [ConsoleRoute("GET", "/console/", queue, Access.AGENT)]
