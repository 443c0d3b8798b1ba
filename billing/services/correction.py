"""Correcting an issued invoice (DESIGN: an issued invoice is never edited): a credit note that
cancels it and a new invoice, in one transaction, both sent to the customer."""

from __future__ import annotations

from billing import errors, repo, rules
from billing.commands import DeliverInvoice, IssueInvoice, ReplaceInvoice
from billing.models import CreditNoteStatus
from billing.read_models import Replacement
from billing.services.cancellation import cancel
from billing.services.invoices import deliver_invoice, issue_invoice
from support_desk.core.idempotency import idempotent
from support_desk.core.tx import UnitOfWork


@idempotent
async def replace_invoice(uow: UnitOfWork, cmd: ReplaceInvoice) -> Replacement:
    """Cancel an unpaid issued invoice with its credit note (B1, B2) and issue the corrected
    lines as a new invoice on the same customer and currency, delivered to them. Refusals:
    those of a cancellation and of a new invoice, and CreditNotePending when the cancellation
    would wait for an admin (B11: then cancel first, and issue once it is approved)."""
    rules.ensure_not_customer(cmd.actor)
    reason = cmd.reason.strip() or rules.company_reason(uow.settings.billing.seller.name)
    old = await repo.get_invoice(uow.session, cmd.invoice_id)
    cancellation = await cancel(uow, old.id, reason, cmd.actor)
    note = cancellation.credit_note
    if cancellation.already_cancelled or note is None:
        raise errors.InvoiceNotCancellable(status=old.status)
    if note.status == CreditNoteStatus.PENDING_APPROVAL:
        raise errors.CreditNotePending()
    terms = (cmd.description, cmd.due_date, cmd.allow_partial_payments, cmd.minimum_partial_minor)
    new = await issue_invoice(
        uow, IssueInvoice(old.customer_id, old.currency, cmd.lines, cmd.actor, None, *terms)
    )
    new = await deliver_invoice(uow, DeliverInvoice(new.id, cmd.actor))
    return Replacement(note, new)
