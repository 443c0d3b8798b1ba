"""The seed API's HTTP Signature scheme, so clients written for it work unchanged.

`Signature: keyid="…", algorithm="HmacSHA256", headers="host date request-target digest
v-c-merchant-id", signature="…"`: base64(HMAC-SHA256(base64-decoded secret, the listed headers as
`name: value` lines joined by `\\n`)). The body is bound by `Digest: SHA-256=<base64 sha256>`, the
time by `Date` (or `v-c-date`) within five minutes; comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from aiohttp import web

from support_desk.core.tx import Transactor
from web.platform.errors import Unauthorized
from web.platform.keys import ApiKey, signing_key

MAX_SKEW = timedelta(minutes=5)
_PARAM = re.compile(r'(\w+)="([^"]*)"')
_REQUIRED = {"host", "request-target", "v-c-merchant-id"}


def body_digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def request_target(method: str, path_with_query: str) -> str:
    return f"{method.lower()} {path_with_query}"


def signing_string(names: list[str], values: dict[str, str]) -> str:
    """The message that is signed: one `name: value` line per listed header, in order."""
    return "\n".join(f"{name}: {values[name]}" for name in names)


def sign(secret_b64: str, message: str) -> str:
    key = base64.b64decode(secret_b64)
    return base64.b64encode(hmac.new(key, message.encode(), hashlib.sha256).digest()).decode()


def parse_signature(header: str) -> dict[str, str]:
    return {name.lower(): value for name, value in _PARAM.findall(header)}


def _header_values(request: web.Request) -> dict[str, str]:
    values = {name.lower(): value for name, value in request.headers.items()}
    values.setdefault("date", request.headers.get("v-c-date", ""))
    values["request-target"] = request_target(request.method, request.raw_path)
    return values


def _check_date(value: str, now: datetime) -> None:
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise Unauthorized from None
    if sent.tzinfo is None or abs(now - sent) > MAX_SKEW:
        raise Unauthorized


def _check_names(names: list[str], body: bytes, values: dict[str, str]) -> None:
    if not set(names) >= _REQUIRED or not {"date", "v-c-date"} & set(names):
        raise Unauthorized
    if any(name not in values for name in names):
        raise Unauthorized
    if body and "digest" not in names:
        raise Unauthorized
    if "digest" in names and not hmac.compare_digest(
        values["digest"].encode(), body_digest(body).encode()
    ):
        raise Unauthorized


async def verify(request: web.Request, tx: Transactor) -> tuple[ApiKey, str]:
    """The key that signed this request and its signature, or Unauthorized."""
    params = parse_signature(request.headers.get("Signature", ""))
    if params.get("algorithm", "").lower() != "hmacsha256" or not params.get("signature"):
        raise Unauthorized
    names = params.get("headers", "").lower().split()
    body = await request.read()
    values = _header_values(request)
    _check_names(names, body, values)
    _check_date(values["date"] if "date" in names else values["v-c-date"], tx.clock.now())
    found = await tx.read(signing_key, values["v-c-merchant-id"], params.get("keyid", ""))
    if found is None:
        raise Unauthorized
    key, secret = found
    message = signing_string(names, values).encode()
    expected = base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, params["signature"].encode()):
        raise Unauthorized
    return key, params["signature"]
