"""The console's live stream (server-sent events): new tickets and new customer messages, so
the queue and the ticket page update without a reload. The page works without it; the script
(static console.js) only enhances. Each stream polls ticketing's cheap change query and ends
after a few minutes (the browser's EventSource reconnects, carrying Last-Event-ID)."""

from __future__ import annotations

import asyncio
import json
import re

from aiohttp import web

from ticketing.queue import queue_changes
from web.console.context import console, user
from web.console.routes import Access, ConsoleRoute

POLL_SECONDS = 1.0
STREAM_SECONDS = 300.0
HEARTBEAT_EVERY = 15  # polls
_POSITION = re.compile(r"^([0-9]{1,12})\.([0-9]{1,12})$")


def start_position(request: web.Request) -> tuple[int, int]:
    """Last-Event-ID on a reconnect, else the page's own `?since=<ticket>.<message>`."""
    text = request.headers.get("Last-Event-ID") or request.query.get("since", "")
    found = _POSITION.match(text)
    return (int(found[1]), int(found[2])) if found else (2**62, 2**62)


async def events(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
    )
    await response.prepare(request)
    await _stream(request, response, *start_position(request))
    return response


async def _stream(
    request: web.Request, response: web.StreamResponse, ticket: int, message: int
) -> None:
    tx, actor = console(request).tx, user(request).actor
    await response.write(b"retry: 2000\n\n")
    for n in range(int(STREAM_SECONDS / POLL_SECONDS)):
        if request.transport is None or request.transport.is_closing():
            return  # the browser went away
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
        await asyncio.sleep(POLL_SECONDS)


ROUTES = [ConsoleRoute("GET", "/console/events", events, Access.AGENT)]
