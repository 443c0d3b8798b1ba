"""The console's one route table: every route declares who may use it, and nothing else is
served under /console/ (deny by default, W9).

A route is `ConsoleRoute(method, path, handler, access)`, with `access` one of
`Access.ANONYMOUS`, `Access.AGENT` (any signed-in agent or admin) or `Access.ADMIN`. Each face
module keeps a module-level `ROUTES: list[ConsoleRoute]`; `console_routes()` collects them
from the modules named in `AGENT_MODULES` and from EVERY module of the `web.console.admin`
package, so the admin pages join by adding a module there, e.g.
`web/console/admin/approvals.py`:

    from web.console.routes import Access, ConsoleRoute

    async def approvals(request: web.Request) -> web.Response: ...

    ROUTES = [ConsoleRoute("GET", "/console/approvals", approvals, Access.ADMIN)]

`setup_console` wraps every handler in the guard (web/console/guard.py: session, role, CSRF
and Origin check on POST, headers), and tests/console/test_routes.py walks every route as an
anonymous visitor, an agent, an admin and a deactivated user, failing on any /console route
that the table does not list.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

AGENT_MODULES = (
    "web.console.auth_views",
    "web.console.static",
    "web.console.queue_views",
    "web.console.ticket_views",
    "web.console.resolve_views",
    "web.console.events",
)


class Access(StrEnum):
    ANONYMOUS = "anonymous"
    AGENT = "agent"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class ConsoleRoute:
    method: str
    path: str
    handler: Handler
    access: Access

    def __post_init__(self) -> None:
        if not self.path.startswith("/console/"):
            raise ValueError(f"console routes live under /console/: {self.path}")
        if self.method not in ("GET", "POST"):
            raise ValueError(f"console routes are GET or POST: {self.method}")


def console_routes() -> tuple[ConsoleRoute, ...]:
    """Every console route: the agents' modules', then each admin module's `ROUTES`."""
    import web.console.admin as admin

    names = list(AGENT_MODULES)
    names += [f"{admin.__name__}.{m.name}" for m in pkgutil.iter_modules(admin.__path__)]
    routes: list[ConsoleRoute] = []
    for name in names:
        module = importlib.import_module(name)
        routes.extend(getattr(module, "ROUTES", ()))
    return tuple(routes)
