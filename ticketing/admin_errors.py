"""Refusals of the admins' console: people and saved replies. Each has a stable `code` that the
console explains in the admin's language."""

from __future__ import annotations

from ticketing.errors import TicketingError


class OwnAccount(TicketingError):
    code = "own_account"
    message = "Nobody deactivates themselves or resets their own password; another admin must."
    http_status = 409


class LastAdmin(TicketingError):
    code = "last_admin"
    message = "This is the last active admin; add another admin first."
    http_status = 409


class InvalidShortcode(TicketingError):
    code = "invalid_shortcode"
    message = "A shortcode is 2 to 32 letters, digits, - or _."


class ShortcodeTaken(TicketingError):
    code = "shortcode_taken"
    message = "The shortcode {shortcode} is taken."
    http_status = 409


class SavedReplyNotFound(TicketingError):
    code = "saved_reply_not_found"
    message = "No such saved reply."
    http_status = 404
