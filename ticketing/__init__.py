"""Ticketing: the tickets the bot opens and the queue the agents work (T1-T8).

Plain use cases, no transport: each runs as one unit of work with
`tx.run(ticketing.<use_case>, command)`; reads run with `tx.read(ticketing.<query>, ...)`.
Resolutions call billing's use cases inside the same unit of work (T5).
"""

from ticketing import commands, errors, read_models
from ticketing.models import MessageKind, Priority, Role, TicketKind, TicketStatus
from ticketing.queries import (
    external_ticket_view,
    queue_page,
    ticket_view,
    tickets_of_customer,
    tickets_page,
)
from ticketing.services.approval import approve_resolution, reject_resolution
from ticketing.services.claims import (
    claim_next,
    claim_ticket,
    reassign_ticket,
    release_ticket,
    set_priority,
)
from ticketing.services.conversion import convert_question
from ticketing.services.opening import add_customer_message, open_ticket
from ticketing.services.resolution import (
    reject_ticket,
    resolve_compound_split,
    resolve_question,
    resolve_refund,
    resolve_service_cancellation,
)
from ticketing.services.thread import add_note, rate_ticket, reply_to_ticket
from ticketing.users import (
    actor_of,
    authenticate,
    create_user,
    hash_password,
    set_user_active,
    set_user_locale,
)

__all__ = [
    "MessageKind",
    "Priority",
    "Role",
    "TicketKind",
    "TicketStatus",
    "actor_of",
    "add_customer_message",
    "add_note",
    "approve_resolution",
    "authenticate",
    "claim_next",
    "claim_ticket",
    "commands",
    "convert_question",
    "create_user",
    "errors",
    "external_ticket_view",
    "hash_password",
    "open_ticket",
    "queue_page",
    "rate_ticket",
    "reassign_ticket",
    "reject_resolution",
    "reject_ticket",
    "release_ticket",
    "reply_to_ticket",
    "resolve_compound_split",
    "resolve_question",
    "resolve_refund",
    "resolve_service_cancellation",
    "set_priority",
    "set_user_active",
    "set_user_locale",
    "ticket_view",
    "tickets_of_customer",
    "tickets_page",
    "read_models",
]
