"""The console's live stream: an open tab must not hold a server's shutdown (before, each open
stream kept aiohttp's shutdown waiting a full minute), and a stream with no position or a
forged one works."""

from __future__ import annotations

import asyncio

from aiohttp import ClientResponse
from aiohttp.test_utils import TestServer

from support_desk.core.tx import Transactor
from tests.console.conftest import Browser, Person, signed_in
from tests.services.ticketing.builders import make_customer, make_invoice, open_about


async def test_an_open_event_stream_ends_when_the_server_stops(
    server: TestServer, new_browser: Browser, agent: Person
) -> None:
    client = await signed_in(new_browser, agent)
    stream = await client.get("/console/events")
    assert await stream.content.readuntil(b"\n\n") == b"retry: 2000\n\n"

    # Well inside aiohttp's 60-second shutdown timeout, which the stream used to run into.
    await asyncio.wait_for(server.close(), timeout=10)

    rest = await asyncio.wait_for(stream.content.read(), timeout=5)  # up to the stream's end
    assert stream.content.at_eof() and b"event: changes" not in rest
    stream.close()


async def _first_changes(stream: ClientResponse) -> str:
    seen = ""
    async with asyncio.timeout(10):
        while "event: changes" not in seen or not seen.endswith("\n\n"):
            seen += (await stream.content.readany()).decode()
    return seen


async def test_a_stream_without_a_position_starts_from_now_and_reports_what_comes(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    """Before: it started past every id (2**62), so it never reported anything, and on
    PostgreSQL the first poll failed (the id does not fit a 32-bit integer)."""
    earlier = await open_about(tx, await make_invoice(tx, await make_customer(tx)))
    client = await signed_in(new_browser, agent)
    stream = await client.get("/console/events")
    await stream.content.readuntil(b"\n\n")

    later = await open_about(tx, await make_invoice(tx, await make_customer(tx)))

    changes = (await _first_changes(stream)).split("event: changes")[1]
    assert str(later.id) in changes and f"[{earlier.id}" not in changes
    stream.close()


async def test_a_forged_position_past_every_id_is_answered_not_failed(
    new_browser: Browser, agent: Person
) -> None:
    client = await signed_in(new_browser, agent)
    stream = await client.get("/console/events", params={"since": "999999999999.999999999999"})
    assert stream.status == 200
    assert await stream.content.readuntil(b"\n\n") == b"retry: 2000\n\n"
    heartbeat = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), timeout=5)
    assert heartbeat == b": still here\n\n"  # the first poll ran and the stream lives on
    stream.close()
