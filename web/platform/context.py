"""What every API view needs from the application: the transactor and the caller, by typed keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from support_desk.core.tx import Transactor
from web.platform.keys import ApiKey

API_TX = web.AppKey("billing_api_tx", Transactor)
API_KEY = web.RequestKey("api_key", ApiKey)
# A GET's bearer token, looked up inside the read's own transaction (web.platform.http.read)
BEARER = web.RequestKey("api_bearer_token", str)
IDEMPOTENCY = web.RequestKey("idempotency_header", str)
SIGNED = web.RequestKey("signature_key", str)  # a signed request's own key: never runs twice
# Set once the call's audit row (T6) was written in the use case's own transaction
CALL_RECORDED = web.RequestKey("api_call_recorded", bool)
RenderRefusal = Callable[[Exception, datetime], web.Response]
# How this sub-application words a refusal (the seed's shape or ours)
RENDER_REFUSAL: web.RequestKey[RenderRefusal] = web.RequestKey("render_refusal")
