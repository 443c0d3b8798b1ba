"""Every message billing sends a customer (T8), each defined beside the use case that sends it;
the bot renders them by type (`templates/bot/<kind>.html`)."""

from billing.documents import AttachesCreditNote
from billing.services.crediting import CreditNoteIssued
from billing.services.invoices import InvoiceDelivered, LineSummary
from billing.services.payments import PaymentReceived
from billing.services.split import InvoiceSplit, NewInvoice
from billing.services.termination import ServiceTerminated
from billing.services.termination_schedule import ServiceKept, ServiceTerminationScheduled
from billing.services.undo import CancellationUndone

__all__ = [
    "AttachesCreditNote",
    "CancellationUndone",
    "CreditNoteIssued",
    "InvoiceDelivered",
    "InvoiceSplit",
    "LineSummary",
    "NewInvoice",
    "PaymentReceived",
    "ServiceKept",
    "ServiceTerminated",
    "ServiceTerminationScheduled",
]
