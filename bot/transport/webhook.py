"""The webhook endpoint (TG1/TG2/TG3): secret checked, update stored in the inbox, then 200.

aiogram's own handler accepts any request when no secret is configured and answers 200 before
processing (a crash loses the update). Here a secret is required to start, a request without it
gets 401 before anything else, and the update is in the database before Telegram hears 200.
"""

from __future__ import annotations

import hmac
import logging
import re

from aiohttp import web

from bot.transport.inbox import InboxProcessor

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class WebhookSecretMissing(RuntimeError):
    """Webhook mode without a usable secret token: refuse to start (TG2)."""


def check_secret(secret: str | None) -> str:
    """The secret Telegram will send back, validated as Telegram validates it."""
    if not secret:
        raise WebhookSecretMissing(
            "webhook mode needs SUPPORT_DESK_WEBHOOK_SECRET: without it anyone could post "
            "updates to the bot"
        )
    if not _SECRET.match(secret):
        raise WebhookSecretMissing(
            "SUPPORT_DESK_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    return secret


class WebhookHandler:
    """POST handler: 401 without the right secret; otherwise store, then answer."""

    def __init__(self, processor: InboxProcessor, secret: str | None) -> None:
        self.processor = processor
        self._secret = check_secret(secret).encode()

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook request with a missing or wrong secret from %s", request.remote)
            return web.json_response({"ok": False, "description": "Unauthorized"}, status=401)
        try:
            raw = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "description": "Bad Request"}, status=400)
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return web.json_response({"ok": False, "description": "Bad Request"}, status=400)
        await self.processor.accept([raw])  # a database error here is a 500: Telegram re-sends
        return web.json_response({})


def setup_webhook(
    app: web.Application, processor: InboxProcessor, secret: str | None, path: str
) -> None:
    """Add the webhook route to `app`; raises WebhookSecretMissing when `secret` is empty."""
    app.router.add_post(path, WebhookHandler(processor, secret).handle, name="telegram-webhook")
