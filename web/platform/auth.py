"""Who is calling (W7): a bearer key or a signed request, else 401 and nothing else.

Every authenticated call is audited with the key's name, whatever it answered. A signed request
without an `Idempotency-Key` uses its signature as one, so a replay within the Date window has
the effect of one (B13).
"""

from __future__ import annotations

import hashlib

from aiohttp import web
from aiohttp.typedefs import Handler

from support_desk.core.errors import DomainError
from support_desk.core.tx import UnitOfWork
from web.platform import keys, signing
from web.platform.context import API_KEY, API_TX, BEARER, CALL_RECORDED, IDEMPOTENCY, SIGNED
from web.platform.errors import RequestInvalid, Unauthorized, UnsupportedMediaType

PUBLIC_ROUTES = {"api:openapi", "api:docs", "api:docs-css"}
MAX_KEY_LENGTH = 128


def bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and 0 < len(token.strip()) <= 200:
        return token.strip()
    return None


async def authenticate(request: web.Request) -> keys.ApiKey:
    tx = request.config_dict[API_TX]
    token = bearer_token(request)
    if token is not None:
        key = await tx.read(keys.bearer_key, token)
        if key is None:
            raise Unauthorized
        return key
    if "Signature" in request.headers:
        key, signature = await signing.verify(request, tx)
        request[SIGNED] = "sig:" + hashlib.sha256(signature.encode()).hexdigest()
        return key
    raise Unauthorized


def _idempotency_header(request: web.Request) -> None:
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return
    if not 0 < len(value) <= MAX_KEY_LENGTH or not value.isprintable() or not value.isascii():
        raise RequestInvalid(
            "Idempotency-Key must be 1-128 printable ASCII characters.",
            [("Idempotency-Key", "INVALID_DATA")],
        )
    request[IDEMPOTENCY] = value


def _status_of(exc: BaseException) -> int:
    if isinstance(exc, DomainError):
        return exc.http_status
    if isinstance(exc, RequestInvalid):
        return 400
    if isinstance(exc, UnsupportedMediaType):
        return 415
    if isinstance(exc, web.HTTPException):
        return exc.status
    return 500


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Deny by default: only the routes named in PUBLIC_ROUTES answer without a key."""
    route = request.match_info.route
    if getattr(route, "name", None) in PUBLIC_ROUTES:
        return await handler(request)
    token = bearer_token(request)
    if token is not None:
        request[BEARER] = token  # looked up in the work's own transaction (web.platform.http)
    else:
        request[API_KEY] = await authenticate(request)
    status = 500
    try:
        _idempotency_header(request)
        response = await handler(request)
        status = response.status
        return response
    except Exception as exc:
        status = _status_of(exc)
        raise
    finally:
        if not request.get(CALL_RECORDED):  # reads and writes record in their own transaction
            # a key not looked up yet (the request failed first) is now: a wrong one is a 401
            key = request.get(API_KEY) or await authenticate(request)
            await request.config_dict[API_TX].run(
                _record, key, request.method, request.path_qs, status
            )


async def _record(uow: UnitOfWork, key: keys.ApiKey, method: str, path: str, status: int) -> None:
    await keys.record_call(uow, key, method, path, status)
