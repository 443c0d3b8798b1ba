"""Ticketing refusals: each has a stable `code` that the bot, the console and the API explain."""

from __future__ import annotations

from support_desk.core.errors import DomainError, NotFound, PermissionDenied


class TicketingError(DomainError):
    code = "ticketing_error"


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    message = "No such ticket."


class UserNotFound(NotFound):
    code = "user_not_found"
    message = "No such console user."


class NotYourTicket(PermissionDenied):
    code = "not_your_ticket"
    message = "This ticket does not belong to you."
    http_status = 404


class StaffOnly(PermissionDenied):
    code = "staff_only"
    message = "Only an agent or an admin may do that."


class AdminOnly(PermissionDenied):
    code = "admin_only"
    message = "Only an admin may do that."


class CustomerOnly(PermissionDenied):
    code = "customer_only"
    message = "Only the customer may do that."


class UserInactive(PermissionDenied):
    code = "user_inactive"
    message = "This console user is deactivated."


class NotTicketHolder(PermissionDenied):
    code = "not_ticket_holder"
    message = "You do not hold this ticket; claim it first (T3)."


class TicketAlreadyClaimed(TicketingError):
    code = "ticket_already_claimed"
    message = "Another agent has already claimed this ticket (T3)."
    http_status = 409


class QueueEmpty(TicketingError):
    code = "queue_empty"
    message = "There is no open ticket to claim."
    http_status = 404


class InvalidTransition(TicketingError):
    code = "invalid_transition"
    message = "A ticket in status {status} cannot become {target}."
    http_status = 409


class TicketClosed(TicketingError):
    code = "ticket_closed"
    message = "This ticket is closed."
    http_status = 409


class TicketChangedMeanwhile(TicketingError):
    code = "ticket_changed_meanwhile"
    message = "Someone changed this ticket meanwhile; reload it and try again (D5)."
    http_status = 409


class ReasonRequired(TicketingError):
    code = "reason_required"
    message = "A reason is required."


class EmptyMessage(TicketingError):
    code = "empty_message"
    message = "The message is empty."


class InvalidTicketRequest(TicketingError):
    code = "invalid_ticket_request"
    message = "The ticket request is not valid: {problem}"


class WrongResolution(TicketingError):
    code = "wrong_resolution"
    message = "A {kind} ticket is not resolved that way."


class AwaitingApproval(TicketingError):
    code = "awaiting_approval"
    message = "This ticket's credit note is awaiting an admin's approval."
    http_status = 409


class NotAwaitingApproval(TicketingError):
    code = "not_awaiting_approval"
    message = "This ticket is not awaiting approval."
    http_status = 409


class SelfApproval(PermissionDenied):
    code = "own_credit_note"
    message = "Nobody approves their own credit note."


class TicketNotResolved(TicketingError):
    code = "ticket_not_resolved"
    message = "Only a resolved ticket can be rated."
    http_status = 409


class AlreadyRated(TicketingError):
    code = "already_rated"
    message = "This ticket has already been rated."
    http_status = 409


class InvalidRating(TicketingError):
    code = "invalid_rating"
    message = "A rating is a whole number from 1 to 5."


class LoginTaken(TicketingError):
    code = "login_taken"
    message = "The login {login} is taken."
    http_status = 409


class InvalidCredentials(TicketingError):
    code = "invalid_credentials"
    message = "Wrong login or password."
    http_status = 401
