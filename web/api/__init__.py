"""The billing REST API (aiohttp): the seed's invoicing resource under /invoicing/v2/ and
customers, services, payments and credit notes under /api/v1/, both calling billing's use cases
only. `setup_api(app, tx)` mounts it on the product's one application; higher layers add their
own resources with `extra_routes` (the same middlewares, audit and OpenAPI document)."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from support_desk.core.tx import Transactor
from web.api.openapi import (
    OPENAPI,
    build_openapi,
    docs_page,
    docs_stylesheet,
    openapi_json,
)
from web.api.routes import ROUTES, Route
from web.platform.auth import auth_middleware
from web.platform.context import API_TX
from web.platform.errors import make_error_middleware

PREFIXES = ("/invoicing", "/api")


def setup_api(app: web.Application, tx: Transactor, extra_routes: Sequence[Route] = ()) -> None:
    """Two sub-applications, each with the error and auth middlewares (errors outermost).

    `extra_routes` come from layers above billing (ticketing's read API); each must live under
    one of PREFIXES and is served, authenticated, audited and documented like billing's own.
    """
    routes = (*ROUTES, *extra_routes)
    roots = tuple(prefix + "/" for prefix in PREFIXES)
    if stray := [route.path for route in routes if not route.path.startswith(roots)]:
        raise ValueError(f"routes outside {PREFIXES}: {stray}")
    document = build_openapi(extra_routes)
    for prefix in PREFIXES:
        sub = web.Application(
            middlewares=[make_error_middleware(prefix == "/invoicing"), auth_middleware]
        )
        sub[API_TX] = tx
        sub[OPENAPI] = document
        for route in routes:
            if route.path.startswith(prefix + "/"):
                sub.router.add_route(
                    route.method, route.path.removeprefix(prefix), route.serve(), name=route.name
                )
        if prefix == "/api":
            sub.router.add_get("/openapi.json", openapi_json, name="api:openapi")
            sub.router.add_get("/docs", docs_page, name="api:docs")
            sub.router.add_get("/docs.css", docs_stylesheet, name="api:docs-css")
        app.add_subapp(prefix, sub)
