"""Refusals of the admins' console: people and saved replies. Each has a stable `code` that the
console explains in the admin's language."""

from __future__ import annotations

from ticketing.errors import TicketingError


class OwnAccount(TicketingError, code="own_account", status=409):
    message = "Nobody deactivates themselves or resets their own password; another admin must."


class LastAdmin(TicketingError, code="last_admin", status=409):
    message = "This is the last active admin; add another admin first."


class InvalidShortcode(TicketingError, code="invalid_shortcode"):
    message = "A shortcode is 2 to 32 letters, digits, - or _."


class ShortcodeTaken(TicketingError, code="shortcode_taken", status=409):
    message = "The shortcode {shortcode} is taken."


class SavedReplyNotFound(TicketingError, code="saved_reply_not_found", status=404):
    message = "No such saved reply."
