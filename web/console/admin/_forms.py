"""What the admin pages' actions share: reading a path id or a form field, and running one use
case with POST-redirect-GET, a refusal landing as a polite flash that changed nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from support_desk.core.errors import DomainError
from web.console.context import console
from web.console.render import see_other

C = TypeVar("C")
MAX_ID = 2**53  # beyond any row id; a forged huge number is refused, not overflowed


class BadForm(Exception):
    """A malformed path or form: answered with the `bad_form` flash."""


def path_id(request: web.Request, name: str = "id") -> int:
    raw = request.match_info.get(name, "")
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise BadForm()
    return int(raw)


async def field(
    request: web.Request, name: str, *, required: bool = False, limit: int = 4000
) -> str:
    value = (await request.post()).get(name, "")
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise BadForm()
    return value


async def act(
    request: web.Request,
    use_case: Callable[[Any, C], Awaitable[object]],
    command: C,
    *,
    back: str,
    done: str,
) -> web.Response:
    """Run the use case; land back on `back` with `admin_done` or the refusal's code."""
    try:
        await console(request).tx.run(use_case, command)
    except DomainError as refusal:
        return see_other(back, admin_refused=refusal.code)
    return see_other(back, admin_done=done)


def refused(back: str, code: str = "bad_form") -> web.Response:
    return see_other(back, admin_refused=code)
