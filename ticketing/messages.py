"""Every message ticketing sends a customer (T4, T7), each defined beside the use case that
sends it; the bot renders them by type (`templates/bot/<kind>.html`)."""

from ticketing.services._common import TicketStatusChanged
from ticketing.services.opening import TicketOpened
from ticketing.services.resolution import RatingRequest, TicketRejected, TicketResolved
from ticketing.services.thread import TicketReply

__all__ = [
    "RatingRequest",
    "TicketOpened",
    "TicketRejected",
    "TicketReply",
    "TicketResolved",
    "TicketStatusChanged",
]
