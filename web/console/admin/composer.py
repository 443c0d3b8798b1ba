"""Saved replies in the ticket page's composer, without scripts: a <select> and an "Insert"
button that re-open the ticket page by GET with the draft and the chosen shortcode, and the
page comes back with the reply appended to the draft, its variables filled, in the customer's
language (a reply without a Russian text says so rather than sending English unannounced)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ticketing.saved_replies import SavedReplyView, fill, saved_replies
from ticketing.ticket_context import TicketContext
from web.console.context import console, user

TARGETS = ("reply", "note")
MAX_DRAFT = 8000


@dataclass(frozen=True, slots=True)
class Composer:
    replies: tuple[SavedReplyView, ...]
    target: str  # which box the draft goes back into
    draft: str
    inserted: SavedReplyView | None
    english_only: bool  # the customer reads Russian, the inserted reply has no Russian text


def _with(draft: str, text: str) -> str:
    return f"{draft.rstrip()}\n\n{text}" if draft.strip() else text


async def composer(request: web.Request, found: TicketContext) -> Composer:
    """The saved replies, and the draft with the chosen one inserted when asked (`?insert=`)."""
    me = user(request)
    replies = await console(request).tx.read(saved_replies, me.actor)
    q = request.query
    target = q.get("into", "reply") if q.get("into") in TARGETS else "reply"
    draft = q.get("text", "")[:MAX_DRAFT]
    chosen = next((r for r in replies if r.shortcode == q.get("saved", "")), None)
    if chosen is None or "insert" not in q:
        return Composer(replies, target, draft, None, False)
    language = found.customer.language
    variables = {
        "customer_name": found.customer.name,
        "ticket_id": str(found.ticket.id),
        "agent_name": me.name,
    }
    text = fill(chosen.text_in(language), variables)
    english_only = language == "ru" and chosen.ru_missing
    return Composer(replies, target, _with(draft, text)[:MAX_DRAFT], chosen, english_only)
