"""The queue page (T2): filters and search in the URL, keyset pages, and the live stream's
starting point; every query is ticketing's (ticketing/queue.py)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from ticketing.queue import VIEWS, QueueFilter, console_queue
from ticketing.read_models import QueueCursor
from web.console.context import console, user
from web.console.render import render
from web.console.routes import Access, ConsoleRoute


def cursor_text(cursor: QueueCursor | None) -> str:
    return "" if cursor is None else f"{cursor.priority}_{cursor.due_at.isoformat()}_{cursor.id}"


def parse_cursor(text: str) -> QueueCursor | None:
    """A forged or stale cursor is just the first page."""
    try:
        priority, due, ticket_id = text.split("_")
        return QueueCursor(int(priority), datetime.fromisoformat(due), int(ticket_id))
    except ValueError:
        return None


def queue_filter(query: web.Request) -> QueueFilter:
    q = query.query
    view = q.get("view", "all") if q.get("view") in VIEWS else "all"
    after = parse_cursor(q.get("after", ""))
    return QueueFilter(view, q.get("kind", ""), q.get("status", ""), q.get("q", ""), after)


async def queue(request: web.Request) -> web.Response:
    f = queue_filter(request)
    page = await console(request).tx.read(console_queue, user(request).actor, f)
    more = cursor_text(page.next_after)
    return render(request, "console/queue.html", page=page, f=f, next_after=more)


ROUTES = [ConsoleRoute("GET", "/console/", queue, Access.AGENT)]
