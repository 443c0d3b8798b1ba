"""The resolve form's preview (a GET: it changes nothing): the credit note a refund or a split
would issue, priced by billing, before the agent confirms."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from billing.commands import Remainder
from support_desk.core.errors import DomainError
from ticketing.ticket_context import TicketContext, preview_resolution
from web.console import forms
from web.console.context import console, user

DESTINATIONS = (Remainder.REFUND.value, Remainder.ACCOUNT_CREDIT.value)


async def preview_for(request: web.Request, found: TicketContext) -> dict[str, Any]:
    """What the page shows under the resolve form: the preview, or why there is none."""
    query = request.query
    asked: dict[str, Any] = {
        "amount": query.get("amount", ""), "to": query.get("to", ""), "lines": (),
        "amount_minor": None, "payment_id": None,
    }  # fmt: skip
    if query.get("preview") not in ("refund", "split"):
        return {"preview": None, "preview_refused": "", "asked": asked}
    try:
        options = _options(query, found)
        asked["lines"] = options.get("line_ids", ())
        asked["amount_minor"] = options.get("amount_minor")
        asked["payment_id"] = options.get("payment_id")
        tx, actor = console(request).tx, user(request).actor
        shown = await tx.read(preview_resolution, found.ticket.id, actor, **options)
    except DomainError as refusal:
        return {"preview": None, "preview_refused": refusal.code, "asked": asked}
    return {"preview": shown, "preview_refused": "", "asked": asked}


def _options(query: Any, found: TicketContext) -> dict[str, Any]:
    if query.get("preview") == "split":
        return {"line_ids": forms.ids(query, "lines")}
    to, payment_id = destination(query)
    currency = found.invoice.currency if found.invoice else None
    return {"to": to, "amount_minor": forms.amount(query, "amount", currency),
            "line_ids": forms.ids(query, "lines"), "payment_id": payment_id}  # fmt: skip


def destination(form: Any) -> tuple[Remainder, int | None]:
    """B6: where the money goes: `refund:<payment id>` (back to that payment), `refund`
    (the payments newest first) or `account_credit`."""
    to, _, payment = str(form.get("to", "")).partition(":")
    chosen = forms.number({"payment": payment}, "payment") if to == "refund" else None
    return Remainder(forms.choice({"to": to}, "to", DESTINATIONS)), chosen
