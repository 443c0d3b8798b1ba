"""One place turns refusals into API bodies (W14): the seed's shapes under /invoicing, ours under
/api. Anything unexpected is logged in full with a request id and answered with a bare 500."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from support_desk.core.errors import DomainError, IdempotencyKeyReused, RequestInProgress
from web.platform.context import API_TX, RENDER_REFUSAL

log = logging.getLogger("web.api")
REQUEST_ID = web.RequestKey("request_id", str)
VALIDATION_CODES = {"invalid_invoice", "unknown_currency", "invalid_amount"}


class RequestInvalid(Exception):
    """The request itself is malformed (JSON, types, figures that disagree): 400."""

    def __init__(self, message: str, details: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)

    @classmethod
    def from_validation(cls, exc: ValidationError, prefix: str = "") -> RequestInvalid:
        details = []
        for error in exc.errors(include_url=False):
            field = ".".join(
                f"[{p}]" if isinstance(p, int) else str(p)
                for p in (prefix, *error["loc"])
                if p != ""
            ).replace(".[", "[")
            reason = "MISSING_FIELD" if error["type"] == "missing" else "INVALID_DATA"
            details.append((field or "body", reason))
        first = exc.errors(include_url=False)[0]
        field = details[0][0] if details else "body"
        return cls(f"{field}: {first['msg']}", details)


class UnsupportedMediaType(Exception):
    """A body that is not `application/json`: 415, whatever it holds."""

    message = "Content-Type must be application/json."


class Unauthorized(Exception):
    """No key, an unknown key or a bad signature: 401 and nothing else."""


def utc_stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(status: int, body: object) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


def _seed_error(exc: Exception, now: datetime) -> web.Response:
    """The invoicing API's bodies: 400 BADREQUEST with a reason, or 404 NOTFOUND."""
    if isinstance(exc, DomainError) and exc.http_status == 404:
        missing = {"status": "NOTFOUND", "reason": "NOTFOUND", "message": exc.sentence()}
        return _json(404, missing)
    status, reason, details, message = 400, "ACTION_NOT_ALLOWED", [], str(exc)
    if isinstance(exc, UnsupportedMediaType):
        status, reason, message = 415, "VALIDATION_ERRORS", exc.message
        details = [{"field": "Content-Type", "reason": "INVALID_DATA"}]
    elif isinstance(exc, RequestInvalid):
        reason, message = "VALIDATION_ERRORS", exc.message
        details = [{"field": f, "reason": r} for f, r in exc.details]
    elif isinstance(exc, IdempotencyKeyReused):
        status, reason = 422, "DUPLICATE_RECORD"
    elif isinstance(exc, DomainError):
        status = 409 if isinstance(exc, RequestInProgress) or exc.http_status == 409 else 400
        reason = "VALIDATION_ERRORS" if exc.code in VALIDATION_CODES else "ACTION_NOT_ALLOWED"
        message = exc.sentence()
    state = "CONFLICT" if status == 409 else "BADREQUEST"
    body: dict[str, object] = {
        "submitTimeUtc": utc_stamp(now),
        "status": state,
        "reason": reason,
        "message": message,
        "details": details,
    }
    return _json(status, body)


def _our_error(exc: Exception, now: datetime) -> web.Response:
    """Our shape: the HTTP status, a machine-readable reason and a message."""
    if isinstance(exc, RequestInvalid):
        details = [{"field": f, "reason": r} for f, r in exc.details]
        return _json(
            400,
            {
                "status": 400,
                "reason": "validation_error",
                "message": exc.message,
                "details": details,
            },
        )
    if isinstance(exc, UnsupportedMediaType):
        return http_error(415, "unsupported_media_type", exc.message)
    assert isinstance(exc, DomainError)
    status = exc.http_status if 400 <= exc.http_status < 500 else 400
    return _json(
        status, {"status": status, "reason": exc.code, "message": exc.sentence(), "details": []}
    )


def http_error(status: int, reason: str, message: str) -> web.Response:
    return _json(status, {"status": status, "reason": reason, "message": message, "details": []})


def make_error_middleware(seed_shape: bool) -> Middleware:
    """The outermost middleware of an API sub-application."""

    render = _seed_error if seed_shape else _our_error

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        request[REQUEST_ID] = request_id = uuid.uuid4().hex
        request[RENDER_REFUSAL] = render
        try:
            response = await handler(request)
        except (RequestInvalid, UnsupportedMediaType, DomainError) as exc:
            response = render(exc, request.config_dict[API_TX].clock.now())
        except Unauthorized:
            response = http_error(401, "unauthorized", "A valid API key or signature is needed.")
            response.headers["WWW-Authenticate"] = 'Bearer, Signature realm="support-desk"'
        except IntegrityError:  # a concurrent twin won a unique constraint: safe to retry
            response = http_error(409, "concurrent_change", "A concurrent change won; retry.")
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = http_error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
        except Exception:
            log.exception(
                "unhandled error, request %s %s %s", request_id, request.method, request.path
            )
            response = http_error(
                500, "internal_error", f"Internal error; reference {request_id}."
            )
        response.headers["X-Request-Id"] = request_id
        return response

    return errors
