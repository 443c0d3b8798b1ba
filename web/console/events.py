"""The console's live stream (server-sent events): new tickets and new customer messages, so
the queue and the ticket page update without a reload. The page works without it; the script
(static console.js) only enhances. Each stream polls ticketing's cheap change query and ends
after a few minutes (the browser's EventSource reconnects, carrying Last-Event-ID)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re

from aiohttp import web

from ticketing.queue import queue_changes, queue_position
from web.console.context import console, user
from web.console.routes import Access, ConsoleRoute

POLL_SECONDS = 1.0
STREAM_SECONDS = 300.0
HEARTBEAT_EVERY = 15  # polls
# Set when the server shuts down: open streams end at once instead of holding the shutdown for
# aiohttp's timeout (a minute per stream) while a console tab is open.
STOPPING = web.AppKey("console_streams_stopping", asyncio.Event)
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
_POSITION = re.compile(r"^([0-9]{1,12})\.([0-9]{1,12})$")


def start_position(request: web.Request) -> tuple[int, int] | None:
    """Last-Event-ID on a reconnect, else the page's own `?since=<ticket>.<message>`; None
    when neither is there (the stream starts from now). A position past any id is clamped, so
    a forged one cannot overflow the database's integer."""
    text = request.headers.get("Last-Event-ID") or request.query.get("since", "")
    found = _POSITION.match(text)
    return (min(int(found[1]), MAX_ID), min(int(found[2]), MAX_ID)) if found else None


async def events(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
    )
    await response.prepare(request)
    position = start_position(request)
    if position is None:
        position = await console(request).tx.read(queue_position, user(request).actor)
    await _stream(request, response, *position)
    return response


async def _stream(
    request: web.Request, response: web.StreamResponse, ticket: int, message: int
) -> None:
    tx, actor = console(request).tx, user(request).actor
    stopping = request.config_dict[STOPPING]
    await response.write(b"retry: 2000\n\n")
    for n in range(int(STREAM_SECONDS / POLL_SECONDS)):
        if request.transport is None or request.transport.is_closing() or stopping.is_set():
            return  # the browser went away, or the server is stopping
        changes = await tx.read(queue_changes, actor, ticket, message)
        if changes.new_tickets or changes.messaged_tickets:
            ticket, message = changes.newest_ticket_id, changes.newest_message_id
            data = json.dumps(
                {"tickets": changes.new_tickets, "messages": changes.messaged_tickets}
            )
            await response.write(
                f"id: {ticket}.{message}\nevent: changes\ndata: {data}\n\n".encode()
            )
        elif n % HEARTBEAT_EVERY == 0:
            await response.write(b": still here\n\n")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), POLL_SECONDS)


def setup_streams(app: web.Application) -> None:
    """Streams end when the server shuts down (the browser reconnects to the next one)."""
    app[STOPPING] = asyncio.Event()

    async def stop(app: web.Application) -> None:
        app[STOPPING].set()

    app.on_shutdown.append(stop)


ROUTES = [ConsoleRoute("GET", "/console/events", events, Access.AGENT)]
