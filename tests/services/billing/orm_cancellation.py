"""The cancellation and its undo as they were written before their hot paths became Core
statements: the ORM reference that `test_cancellation_core_vs_orm.py` runs beside the product's
path. Kept verbatim (the bodies of commit 1ffcbf2's `billing/services/cancellation.py`, and
`undo_cancellation` of commit 4eed096's, which calls `crediting.void`); only the tests call it.
"""

from __future__ import annotations

from billing import errors, repo, rules, statements
from billing.commands import CancelInvoice, UndoCancellation
from billing.models import CreditNote, CreditNoteKind, CreditNoteStatus, Invoice, InvoiceStatus
from billing.read_models import Cancellation, Undo, document_number
from billing.services import crediting
from billing.services.cancellation import cancel_draft
from billing.services.undo import CancellationUndone
from support_desk.core.actors import Actor, ActorKind
from support_desk.core.db import run_near
from support_desk.core.idempotency import idempotent
from support_desk.core.tx import UnitOfWork


@idempotent
async def cancel_invoice(uow: UnitOfWork, cmd: CancelInvoice) -> Cancellation:
    """Cancel an unpaid invoice and issue its reversing credit note (B1, B2, B3, B13); a draft,
    never issued, is cancelled with neither (staff and the API only).

    A second cancel of the same invoice, however concurrent, answers with the first one's
    credit note. The company's billing system may give no reason: the invoice is then
    cancelled by the company. Refusals: NotYourInvoice, InvoicePaid, InvoicePartiallyPaid,
    InvoiceIsCompound, ServiceInUse, InvoiceNotCancellable, CreditNotePending.
    """
    reason = cmd.reason.strip()
    if not reason and cmd.actor.kind is ActorKind.API:
        reason = rules.company_reason(uow.settings.billing.seller.name)
    if not reason:
        raise errors.InvalidInvoice(problem="a cancellation needs a reason")
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    if invoice.number is None and cmd.actor.customer_id is None:
        return await _cancel_unissued(uow, invoice, reason, cmd.actor)
    return await cancel(uow, invoice.id, reason, cmd.actor)


async def _cancel_unissued(
    uow: UnitOfWork, invoice: Invoice, reason: str, actor: Actor
) -> Cancellation:
    """A draft, or a draft already cancelled: no credit note, nobody told (it was never sent)."""
    already = invoice.status == InvoiceStatus.CANCELED
    if not already:
        await cancel_draft(uow, invoice, reason, actor)
    await uow.session.flush()
    view = await repo.invoice_view(uow.session, invoice.id)
    return Cancellation(view, None, already_cancelled=already)


async def cancel(
    uow: UnitOfWork,
    invoice_id: int,
    reason: str,
    actor: Actor,
    *,
    kind: CreditNoteKind = CreditNoteKind.CANCELLATION,
    requested_by: Actor | None = None,
    weighed: int | None = None,
) -> Cancellation:
    """The cancellation itself, under the invoice's lock (also used by B5 and B7).

    B11: when a staff member's action (`requested_by`, else `actor`) causes it and what it
    weighs (`weighed`, else the note's total) is above the threshold, the credit note waits in
    `pending_approval` and the invoice stays due until an admin approves it."""
    invoice = await repo.lock_invoice(uow.session, invoice_id)
    rules.ensure_owner(actor, invoice.customer_id)
    if invoice.status == InvoiceStatus.CANCELED:
        live = await repo.live_cancellation(uow.session, invoice.id)
        if live is not None:
            return await _answer(uow, invoice.id, live.id, already=True)
    lines = await repo.get_lines(uow.session, invoice.id)
    in_use = await repo.services_in_use(uow.session, [ln.service_id for ln in lines])
    rules.ensure_cancellable(invoice, actor, in_use)
    if invoice.credited_minor > invoice.settled_minor:
        raise errors.CreditNotePending()
    parts = rules.remaining_parts(lines)
    staff = requested_by or actor
    total = sum(p.net_minor + p.tax_minor for p in parts) if weighed is None else weighed
    if rules.needs_approval(staff, total, uow.settings.billing.approval_threshold_minor):
        note = await crediting.reserve(
            uow, invoice, lines, parts, kind=kind, reason=reason, actor=staff
        )
        crediting.requested(uow, note, staff)
        return await _answer(uow, invoice.id, note.id, already=False)
    before: dict[str, object] = {"status": invoice.status}  # before the updates below
    note = await crediting.reserve(
        uow, invoice, lines, parts, kind=kind, reason=reason, actor=actor
    )
    undo = uow.settings.billing.undo_window_minutes if actor.kind is ActorKind.CUSTOMER else 0
    await _issue(uow, note, invoice, actor, before, undo_minutes=undo)
    return await _answer(uow, invoice.id, note.id, already=False)


async def _issue(
    uow: UnitOfWork,
    note: CreditNote,
    invoice: Invoice,
    actor: Actor,
    before: dict[str, object],
    *,
    undo_minutes: int = 0,
) -> None:
    """Issue the cancellation's credit note and mark the invoice cancelled with it."""
    await crediting.issue(
        uow,
        note,
        invoice,
        actor,
        undo_minutes=undo_minutes,
        cancelled_with_id=note.id,
        cancelled_at=uow.now,
        cancel_reason=note.reason,
    )
    uow.audit(
        actor,
        "invoice.cancelled",
        subject=("invoice", invoice.id),
        before=before,
        after={"status": "canceled", "credit_note_id": note.id},
    )


async def _answer(
    uow: UnitOfWork, invoice_id: int, note_id: int, *, already: bool
) -> Cancellation:
    await uow.session.flush()
    return Cancellation(
        await repo.invoice_view(uow.session, invoice_id),
        await repo.credit_note_view(uow.session, note_id),
        already_cancelled=already,
    )


@idempotent
async def undo_cancellation(uow: UnitOfWork, cmd: UndoCancellation) -> Undo:
    """B4: within the window, the customer who cancelled gets the invoice back as unpaid; the
    credit note becomes void and keeps its number. Refusals: UndoWindowPassed, UndoNotAllowed."""
    note = await repo.get_credit_note(uow.session, cmd.credit_note_id)
    rules.ensure_owner(cmd.actor, note.customer_id)
    invoice = await repo.lock_invoice(uow.session, note.invoice_id)
    note = await repo.get_credit_note(uow.session, cmd.credit_note_id)
    already = note.status == CreditNoteStatus.VOID and note.self_service
    if not already:
        if note.kind != CreditNoteKind.CANCELLATION or note.status != CreditNoteStatus.ISSUED:
            raise errors.UndoNotAllowed()
        rules.ensure_undo_allowed(
            actor=cmd.actor,
            self_service=note.self_service,
            undo_until=note.undo_until,
            now=uow.now,
            paid_minor=invoice.paid_minor,
        )
        already = not await crediting.void(uow, note, cmd.actor)
        uow.notify(
            note.customer_id,
            CancellationUndone(
                credit_note_id=note.id,
                credit_note_number=document_number(note.series, note.number),
                invoice_id=invoice.id,
                invoice_number=document_number(invoice.series, invoice.number),
                balance_minor=invoice.total_minor - invoice.paid_minor,
                currency=invoice.currency,
            ),
        )
    conn = await statements.connection(uow.session)  # flushed: the answer reads what was written
    answer_invoice = await statements.read_invoice_view_at_once(conn, invoice.id)
    answer_note = await run_near(conn, statements.read_credit_note_view_at_once, note.id)
    assert answer_invoice is not None and answer_note is not None  # locked and read above
    return Undo(answer_invoice, answer_note, already_undone=already)
