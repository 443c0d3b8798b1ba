"""Partial and full credit notes chosen by staff (B6, B7, B9), their preview, and the admin's
approval above the threshold (B11)."""

from __future__ import annotations

from billing import errors, refund_choice, repo, rules
from billing.commands import ApproveCreditNote, IssueCreditNote, RejectCreditNote
from billing.models import CreditNote, CreditNoteKind, CreditNoteStatus, Invoice, InvoiceLine
from billing.read_models import (
    CreditNoteLineView,
    CreditNotePreview,
    CreditNoteView,
    InvoiceLineView,
)
from billing.rules import CreditPart
from billing.services import crediting
from billing.services.cancellation import approve_cancellation
from billing.services.split import approve_split, drop_split_drafts
from support_desk.core.idempotency import idempotent
from support_desk.core.tx import UnitOfWork


@idempotent
async def issue_credit_note(uow: UnitOfWork, cmd: IssueCreditNote) -> CreditNoteView:
    """Credit chosen lines, an amount, or everything left. Above the approval threshold a
    staff member's note waits in `pending_approval`, its amount reserved (B11)."""
    invoice, lines, parts = await _plan(uow, cmd)
    await check_refund_payment(uow, invoice, parts, cmd)
    note = await crediting.reserve(
        uow,
        invoice,
        lines,
        parts,
        kind=CreditNoteKind.CREDIT,
        reason=cmd.reason,
        actor=cmd.actor,
        remainder=cmd.remainder,
    )
    note.refund_payment_id = cmd.payment_id  # B6: kept for the issue, now or once approved
    threshold = uow.settings.billing.approval_threshold_minor
    if rules.needs_approval(cmd.actor, note.total_minor, threshold):
        crediting.requested(uow, note, cmd.actor)
    else:
        await crediting.issue(uow, note, invoice, cmd.actor)
    return await crediting.view(uow, note.id)


async def preview_credit_note(uow: UnitOfWork, cmd: IssueCreditNote) -> CreditNotePreview:
    """What `issue_credit_note` would issue, by the same rules, without writing anything."""
    invoice = await repo.get_invoice(uow.session, cmd.invoice_id)
    rules.ensure_creditable(cmd.actor, cmd.reason, invoice.status)
    lines = await repo.get_lines(uow.session, invoice.id)
    parts = rules.credit_parts(lines, cmd.lines, cmd.amount_minor)
    await check_refund_payment(uow, invoice, parts, cmd)
    by_id = {ln.id: ln for ln in lines}
    views = tuple(
        preview_line(position, by_id[p.line_id], p) for position, p in enumerate(parts, 1)
    )
    net, tax = sum(p.net_minor for p in parts), sum(p.tax_minor for p in parts)
    threshold = uow.settings.billing.approval_threshold_minor
    return CreditNotePreview(
        invoice.id,
        invoice.currency,
        views,
        net,
        tax,
        net + tax,
        rules.needs_approval(cmd.actor, net + tax, threshold),
    )


@idempotent
async def approve_credit_note(uow: UnitOfWork, cmd: ApproveCreditNote) -> CreditNoteView:
    """B11: an admin other than its author issues a pending credit note, and what it was for
    goes ahead with it: the invoice's cancellation, or the split's new invoices."""
    note, invoice = await _decidable(uow, cmd.credit_note_id)
    rules.ensure_may_decide(cmd.actor, note.created_by)
    note.decided_by = cmd.actor.label
    if note.kind == CreditNoteKind.CANCELLATION:
        await approve_cancellation(uow, note, invoice, cmd.actor)
    elif note.kind == CreditNoteKind.SPLIT:
        await approve_split(uow, note, invoice, cmd.actor)
    else:
        await crediting.issue(uow, note, invoice, cmd.actor)
    return await crediting.view(uow, note.id)


@idempotent
async def reject_credit_note(uow: UnitOfWork, cmd: RejectCreditNote) -> CreditNoteView:
    """B11: an admin refuses a pending credit note with a note; what it reserved is freed."""
    if not cmd.note.strip():
        raise errors.InvalidInvoice(problem="a rejection needs a note")
    note, _ = await _decidable(uow, cmd.credit_note_id)
    rules.ensure_may_decide(cmd.actor, note.created_by)
    await repo.change_credit_note(
        uow.session,
        note.id,
        CreditNoteStatus.PENDING_APPROVAL,
        status=CreditNoteStatus.REJECTED,
        decided_by=cmd.actor.label,
        decision_note=cmd.note,
    )
    await crediting.release(uow, note)
    if note.kind == CreditNoteKind.SPLIT:
        await drop_split_drafts(uow, note.invoice_id, cmd.actor)
    uow.audit(
        cmd.actor,
        "credit_note.rejected",
        subject=("credit_note", note.id),
        before={"status": "pending_approval"},
        after={"status": "rejected", "note": cmd.note},
    )
    return await crediting.view(uow, note.id)


async def _decidable(uow: UnitOfWork, note_id: int) -> tuple[CreditNote, Invoice]:
    """The pending note, read again under its invoice's lock, and that invoice."""
    note = await repo.get_credit_note(uow.session, note_id)
    invoice = await repo.lock_invoice(uow.session, note.invoice_id)
    note = await repo.get_credit_note(uow.session, note_id)
    if note.status != CreditNoteStatus.PENDING_APPROVAL:
        raise errors.CreditNoteNotPending()
    return note, invoice


async def _plan(
    uow: UnitOfWork, cmd: IssueCreditNote
) -> tuple[Invoice, list[InvoiceLine], list[CreditPart]]:
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    rules.ensure_creditable(cmd.actor, cmd.reason, invoice.status)
    lines = await repo.get_lines(uow.session, invoice.id)
    return invoice, lines, rules.credit_parts(lines, cmd.lines, cmd.amount_minor)


def preview_line(
    position: int, ln: InvoiceLine | InvoiceLineView, part: CreditPart
) -> CreditNoteLineView:
    return CreditNoteLineView(
        ln.id,
        position,
        ln.sku,
        ln.name,
        ln.quantity,
        ln.unit_price_minor,
        ln.tax_rate_bp,
        part.net_minor,
        part.tax_minor,
        part.net_minor + part.tax_minor,
    )


async def check_refund_payment(
    uow: UnitOfWork, invoice: Invoice, parts: list[CreditPart], cmd: IssueCreditNote
) -> None:
    """B6: a refund asked against one payment is refused politely before anything is written
    when that payment is not this invoice's, not in money, or holds too little for the part
    of the note that goes back as money."""
    if cmd.payment_id is None:
        return
    payments = await repo.cash_payments(uow.session, invoice.id)
    refund_choice.refund_order(payments, cmd.payment_id, 0)  # this invoice's, in money
    total = sum(p.net_minor + p.tax_minor for p in parts)
    refundable = sum(refund_choice.left(p) for p in payments)
    _, refund, _ = rules.split_credit(total, invoice.balance_minor, refundable, cmd.remainder)
    refund_choice.refund_order(payments, cmd.payment_id, refund)
