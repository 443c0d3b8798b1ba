"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis) over
real HTTP on loopback: no 500, every answer documented and conforming to its schema."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from support_desk.core.actors import Actor
from support_desk.core.settings import Settings
from support_desk.wiring import build_runtime, build_web_app
from tests import backends
from web.api.routes import ROUTES
from web.api.tickets import TICKET_ROUTES
from web.platform.keys import CreateApiKey, create_api_key

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class LiveServer:
    """The product's app on 127.0.0.1 in its own thread and loop (schemathesis calls block)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _start(self) -> None:
        self.runtime = build_runtime(Settings(database_url=self.database_url))
        key = await self.runtime.tx.run(create_api_key, CreateApiKey("fuzz", Actor.system()))
        self.headers = {"Authorization": f"Bearer {key.key}"}
        self.runner = web.AppRunner(build_web_app(self.runtime))
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def _stop(self) -> None:
        await self.runner.cleanup()
        await self.runtime.engine.dispose()

    def __enter__(self) -> LiveServer:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def _fuzz(operation: Any, server: LiveServer) -> None:
    @settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(base_url=server.url, headers=server.headers)
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.slow
def test_the_api_survives_fuzzing_from_its_own_openapi_document(
    sqlite_template: Path, tmp_path: Path
) -> None:
    with LiveServer(backends.sqlite_copy(sqlite_template, tmp_path)) as server:
        document = requests.get(server.url + "/api/openapi.json", timeout=10).json()
        schema = schemathesis.openapi.from_dict(document)
        operations = [result.ok() for result in schema.get_all_operations()]

        assert len(operations) == len(ROUTES) + len(TICKET_ROUTES)
        for operation in operations:
            _fuzz(operation, server)
