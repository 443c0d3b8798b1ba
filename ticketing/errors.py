"""Ticketing refusals: each has a stable `code` that the bot, the console and the API explain."""

from __future__ import annotations

from support_desk.core.errors import DomainError, NotFound, PermissionDenied


class TicketingError(DomainError, code="ticketing_error"):
    """A refusal by a ticketing rule; not-found and permission refusals have their own bases in
    `support_desk.core.errors`."""


class TicketNotFound(NotFound, code="ticket_not_found"):
    message = "No such ticket."


class UserNotFound(NotFound, code="user_not_found"):
    message = "No such console user."


class NotYourTicket(PermissionDenied, code="not_your_ticket", status=404):
    message = "This ticket does not belong to you."


class StaffOnly(PermissionDenied, code="staff_only"):
    message = "Only an agent or an admin may do that."


class AdminOnly(PermissionDenied, code="admin_only"):
    message = "Only an admin may do that."


class CustomerOnly(PermissionDenied, code="customer_only"):
    message = "Only the customer may do that."


class UserInactive(PermissionDenied, code="user_inactive"):
    message = "This console user is deactivated."


class NotTicketHolder(PermissionDenied, code="not_ticket_holder"):
    message = "You do not hold this ticket; claim it first (T3)."


class TicketAlreadyClaimed(TicketingError, code="ticket_already_claimed", status=409):
    message = "Another agent has already claimed this ticket (T3)."


class QueueEmpty(TicketingError, code="queue_empty", status=404):
    message = "There is no open ticket to claim."


class InvalidTransition(TicketingError, code="invalid_transition", status=409):
    message = "A ticket in status {status} cannot become {target}."


class TicketClosed(TicketingError, code="ticket_closed", status=409):
    message = "This ticket is closed."


class TicketChangedMeanwhile(TicketingError, code="ticket_changed_meanwhile", status=409):
    message = "Someone changed this ticket meanwhile; reload it and try again (D5)."


class ReasonRequired(TicketingError, code="reason_required"):
    message = "A reason is required."


class EmptyMessage(TicketingError, code="empty_message"):
    message = "The message is empty."


class InvalidTicketRequest(TicketingError, code="invalid_ticket_request"):
    message = "The ticket request is not valid: {problem}"


class WrongResolution(TicketingError, code="wrong_resolution"):
    message = "A {kind} ticket is not resolved that way."


class AwaitingApproval(TicketingError, code="awaiting_approval", status=409):
    message = "This ticket's credit note is awaiting an admin's approval."


class NotAwaitingApproval(TicketingError, code="not_awaiting_approval", status=409):
    message = "This ticket is not awaiting approval."


class SelfApproval(PermissionDenied, code="own_credit_note"):
    message = "Nobody approves their own credit note."


class TicketNotResolved(TicketingError, code="ticket_not_resolved", status=409):
    message = "Only a resolved ticket can be rated."


class AlreadyRated(TicketingError, code="already_rated", status=409):
    message = "This ticket has already been rated."


class InvalidRating(TicketingError, code="invalid_rating"):
    message = "A rating is a whole number from 1 to 5."


class LoginTaken(TicketingError, code="login_taken", status=409):
    message = "The login {login} is taken."


class InvalidCredentials(TicketingError, code="invalid_credentials", status=401):
    message = "Wrong login or password."
