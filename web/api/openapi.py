"""The OpenAPI 3.1 document, assembled by code from the route table and the pydantic models
that validate requests, so the published schema is the enforced one; and a browsable page."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from support_desk.core.texts import TEMPLATES_DIR
from web.api.docs_page import page_context
from web.api.routes import ROUTES, Route
from web.api.schemas import BadRequestOut, NotFoundOut
from web.api.schemas_v1 import ApiErrorOut

OPENAPI = web.AppKey("billing_api_openapi", dict)
REF = "#/components/schemas/{model}"
_templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"])
)


def _models(routes: Sequence[Route]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (BadRequestOut, "serialization"),
        (NotFoundOut, "serialization"),
        (ApiErrorOut, "serialization"),
    ]
    for route in routes:
        if route.body is not None:
            models.append((route.body, "validation"))
        if route.response is not None:
            models.append((route.response, "serialization"))
    return list(dict.fromkeys(models))


def _json(ref: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": ref}}


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    if route.query is not None:
        schema = route.query.model_json_schema()
        for name, prop in schema["properties"].items():
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in schema.get("required", []),
                    "schema": prop,
                }
            )
    return params


def _responses(route: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    error = refs[(ApiErrorOut, "serialization")]
    bad = refs[(BadRequestOut, "serialization")] if route.seed_shaped else error
    missing = refs[(NotFoundOut, "serialization")] if route.seed_shaped else error
    if route.response is not None:
        ok = _json(refs[(route.response, "serialization")])
    else:
        ok = {route.content_type: {"schema": {"type": "string", "format": "binary"}}}
    responses = {
        str(route.status): {"description": route.summary, "content": ok},
        "400": {"description": "Refused: invalid or not allowed", "content": _json(bad)},
        "401": {"description": "No valid key or signature", "content": _json(error)},
        "404": {"description": "Not found", "content": _json(missing)},
        "409": {"description": "A concurrent change; retry", "content": _json(bad)},
    }
    if route.method == "POST":
        responses["422"] = {"description": "Idempotency key reused", "content": _json(bad)}
    if route.admin_only:
        responses["403"] = {"description": "Not an admin key", "content": _json(bad)}
    if route.body is not None:
        responses["415"] = {
            "description": "The body is not application/json",
            "content": _json(bad),
        }
    if route.body is None and route.method != "GET":
        responses.pop("400")
    if route.body is not None or route.query is not None or route.method != "GET":
        responses.setdefault("400", {"description": "Refused", "content": _json(bad)})
    return responses


TAGS = {
    "Invoices": "The invoicing resource of seed 002, in its own shapes (errors included), under "
    "/invoicing/v2/. An invoice is created, published, delivered to the customer's Telegram chat "
    "and, while unpaid, cancelled.",
    "Customers": "Who is billed: contact details, language, and a one-time deep link that ties "
    "a Telegram chat to the customer.",
    "Services": "What a customer uses; terminating one cancels its unpaid invoices (B5).",
    "Payments": "Money received against an invoice.",
    "Credit notes": "The credit-note register and each credit note's PDF.",
    "API keys": "The keys of this API, listed and revoked with an admin key; a revoked key is "
    "refused at once by every process.",
    "Tickets": "What customers asked for through the bot, with their threads.",
}
NAMES = {"api keys": "API keys"}  # resources whose name is not a plain capitalised word


def _tag(route: Route) -> str:
    """Operations are grouped by resource: /api/v1/credit-notes/... -> "Credit notes"."""
    if route.seed_shaped:
        return "Invoices"
    resource = route.path.removeprefix("/api/v1/").split("/", 1)[0].replace("-", " ")
    return NAMES.get(resource, resource.capitalize())


def _operation(route: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.name.replace(":", "_").replace("-", "_"),
        "summary": route.summary,
        "tags": [_tag(route)],
        "parameters": _parameters(route),
        "responses": _responses(route, refs),
    }
    if route.body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": _json(refs[(route.body, "validation")]),
        }
    if route.method == "POST":
        operation["parameters"].append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "The same key and body get the first answer again, byte for "
                "byte, a refusal included; another body under the key gets 422. A malformed "
                "request (400 VALIDATION_ERRORS from parsing) and a 409 are not kept.",
                "schema": {"type": "string", "maxLength": 128},
            }
        )
    return operation


def build_openapi(extra_routes: Sequence[Route] = ()) -> dict[str, Any]:
    """The whole document, billing's routes and `extra_routes`; called once at start-up."""
    routes = (*ROUTES, *extra_routes)
    refs, defs = models_json_schema(_models(routes), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "support-desk billing API",
            "version": "1.0.0",
            "description": "The invoicing API of seed 002, and customers, services, "
            "payments and credit notes under /api/v1/.",
        },
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "httpSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Signature",
                    "description": "HmacSHA256 HTTP Signature (see docs).",
                },
            },
        },
        "security": [{"bearer": []}, {"httpSignature": []}],
    }


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(request.config_dict[OPENAPI])


async def docs_page(request: web.Request) -> web.Response:
    """The document as a page to read (web.api.docs_page)."""
    context = page_context(request.config_dict[OPENAPI])
    html = _templates.get_template("api/docs.html").render(**context)
    return web.Response(text=html, content_type="text/html")


async def docs_stylesheet(request: web.Request) -> web.Response:
    """The page's CSS as a file of its own: the CSP allows no inline style."""
    css = _templates.loader.get_source(_templates, "api/docs.css")[0]  # type: ignore[union-attr]
    return web.Response(text=css, content_type="text/css")
