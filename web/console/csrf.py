"""CSRF defence (W7, W8): every form carries a one-time token bound to the browser's session,
and every POST must come from our own origin (Origin and Sec-Fetch-Site, when the browser
sends them). The token doubles as the idempotency key of the form's action (B13): a double
click, a held Enter or Back + resubmit carry the same token and so do the work once.

Token: `<nonce>.<hmac(secret, binding:nonce)>`, where the binding is the session's token hash
(or, before login, a random cookie of its own), so a token is worthless in another browser.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from aiohttp import web

FIELD = "csrf"
PRE_COOKIE = "console_pre"  # binds the login form's token before there is a session


def make_token(secret: str, binding: str) -> str:
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_mac(secret, binding, nonce)}"


def token_valid(secret: str, binding: str, token: str) -> bool:
    nonce, _, mac = token.partition(".")
    if not nonce or not mac or len(token) > 200:
        return False
    return hmac.compare_digest(mac, _mac(secret, binding, nonce))


def _mac(secret: str, binding: str, nonce: str) -> str:
    message = f"{binding}:{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def same_origin(request: web.Request) -> bool:
    """False when the browser says the POST comes from elsewhere: a foreign (or `null`) Origin,
    or a Sec-Fetch-Site other than same-origin. Tools that send neither rely on the token."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site != "same-origin":
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.host
