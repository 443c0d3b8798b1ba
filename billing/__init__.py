"""Money: invoices, payments, cancellations, credit notes, refunds, account credit (B1–B13).

Knows nothing of tickets or Telegram. The public API is the use cases below, each run as one
unit of work with `tx.run(billing.<use_case>, command)`; see docs/billing-api.md.
"""

from billing import commands, errors, messages, queries, read_models
from billing.services.cancellation import cancel_invoice
from billing.services.catalog import create_service
from billing.services.correction import replace_invoice
from billing.services.credit_notes import (
    approve_credit_note,
    issue_credit_note,
    preview_credit_note,
    reject_credit_note,
)
from billing.services.customers import (
    create_customer,
    issue_link_token,
    redeem_link_token,
    set_compound_invoices_allowed,
    update_customer,
)
from billing.services.invoices import (
    deliver_invoice,
    issue_invoice,
    publish_invoice,
    update_invoice,
)
from billing.services.payments import PaymentRecorded, apply_account_credit, record_payment
from billing.services.split import split_invoice
from billing.services.termination import terminate_service
from billing.services.termination_schedule import (
    carry_out_due_terminations,
    carry_out_termination,
    keep_service,
    period_end_offered,
    schedule_termination,
)
from billing.services.undo import undo_cancellation

__all__ = [
    "PaymentRecorded",
    "apply_account_credit",
    "approve_credit_note",
    "cancel_invoice",
    "carry_out_due_terminations",
    "carry_out_termination",
    "commands",
    "create_customer",
    "create_service",
    "deliver_invoice",
    "errors",
    "messages",
    "issue_credit_note",
    "issue_invoice",
    "issue_link_token",
    "keep_service",
    "period_end_offered",
    "preview_credit_note",
    "publish_invoice",
    "queries",
    "record_payment",
    "redeem_link_token",
    "reject_credit_note",
    "schedule_termination",
    "replace_invoice",
    "set_compound_invoices_allowed",
    "split_invoice",
    "terminate_service",
    "undo_cancellation",
    "update_customer",
    "update_invoice",
    "read_models",
]
