"""The HTTP face: `/bot<token>/<method>` as the real Bot API serves it, on loopback only."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.emulator.methods import METHODS, Method, Params
from bot.emulator.objects import ApiError
from bot.emulator.updates import UpdateFeed
from bot.emulator.world import World

log = logging.getLogger(__name__)


class ApiHandler:
    """Routes one request to its method, applying scripted faults first."""

    def __init__(self, token: str, world: World, feed: UpdateFeed) -> None:
        self.token = token
        self.world = world
        self.methods: dict[str, Method] = {
            **METHODS,
            "getupdates": feed.get_updates,
            "setwebhook": feed.set_webhook,
            "deletewebhook": feed.delete_webhook,
            "getwebhookinfo": feed.get_webhook_info,
        }

    async def handle(self, request: web.Request) -> web.Response:
        method_name = request.match_info["method"]
        params = Params(await _read_params(request))
        chat_id = _chat_id(params)
        try:
            result = await self._answer(request.match_info["token"], method_name, params, chat_id)
        except ApiError as error:
            self.world.record_call(method_name, chat_id, error.code)
            return web.json_response(error.body(), status=error.code)
        self.world.record_call(method_name, chat_id, 200)
        return web.json_response({"ok": True, "result": result})

    async def _answer(self, token: str, name: str, params: Params, chat_id: int | None) -> Any:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        method = self.methods.get(name.lower())
        if method is None:
            raise ApiError(404, "Not Found: method not found")
        fault = self.world.fault_for(name, chat_id)
        if fault is not None:
            raise fault
        return await method(self.world, params)


async def _read_params(request: web.Request) -> dict[str, Any]:
    values: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            values.update(body)
    elif request.can_read_body:
        values.update(await request.post())
    return values


def _chat_id(params: Params) -> int | None:
    try:
        return params.integer("chat_id")
    except ApiError:
        return None


def build_app(token: str, world: World, feed: UpdateFeed) -> web.Application:
    app = web.Application(client_max_size=50 * 1024 * 1024)
    app.router.add_route("*", "/bot{token}/{method}", ApiHandler(token, world, feed).handle)
    return app
