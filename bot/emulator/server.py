"""The HTTP face: `/bot<token>/<method>` as the real Bot API serves it, on loopback only, and
the demo's web chat beside it (bot.emulator.webchat)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from bot.emulator.commands import COMMAND_METHODS
from bot.emulator.methods import METHODS, Method, Params
from bot.emulator.objects import ApiError
from bot.emulator.updates import UpdateFeed
from bot.emulator.webchat import WebChat, setup_webchat
from bot.emulator.world import World

log = logging.getLogger(__name__)
# (method in lower case, its parameters, its result): told after each successful call
Listener = Callable[[str, Params, Any], None]


class ApiHandler:
    """Routes one request to its method, applying scripted faults first."""

    def __init__(
        self, token: str, world: World, feed: UpdateFeed, listeners: Sequence[Listener] = ()
    ) -> None:
        self.token = token
        self.world = world
        self.listeners = tuple(listeners)
        self.methods: dict[str, Method] = {
            **METHODS,
            **COMMAND_METHODS,
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
        for listener in self.listeners:
            listener(method_name.lower(), params, result)
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


def build_app(
    token: str, world: World, feed: UpdateFeed, webchat: WebChat | None = None
) -> web.Application:
    app = web.Application(client_max_size=50 * 1024 * 1024)
    listeners = [webchat.bot_called] if webchat is not None else []
    api = ApiHandler(token, world, feed, listeners)
    app.router.add_route("*", "/bot{token}/{method}", api.handle)
    if webchat is not None:
        setup_webchat(app, webchat)
    return app
