"""Running one console action: the use case with the form's token as its idempotency key
(B13), then POST-redirect-GET with a flash. A refusal changes nothing and says why."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from support_desk.core.errors import DomainError
from web.console.context import console
from web.console.render import see_other

Build = Callable[[], Awaitable[Any]]


async def act(
    request: web.Request,
    use_case: Any,
    build: Build,
    *,
    back: str,
    done: str | Callable[[Any], str],
) -> web.Response:
    """`build` parses the form into the command (a BadForm refusal if it cannot); `done`
    names the flash, or picks it from the result."""
    try:
        result = await console(request).tx.run(use_case, await build())
    except DomainError as refusal:
        return see_other(back, refused=refusal.code)
    return see_other(back, done=done if isinstance(done, str) else done(result))
