"""Cancelling unpaid invoices (B1–B3); also what B5's termination (`termination`) and B7's
split cancel through `cancel`. Undoing a self-service cancellation (B4) is in `undo`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection

from billing import errors, ledger, numbering, repo, rules, statements
from billing.commands import CancelInvoice, Remainder
from billing.models import (
    CreditNote,
    CreditNoteKind,
    CreditNoteStatus,
    Invoice,
    InvoiceStatus,
)
from billing.read_models import (
    Cancellation,
    CreditNoteLineView,
    InvoiceLineView,
    InvoiceView,
    document_number,
)
from billing.rules import CreditPart
from billing.services import crediting
from support_desk.core.actors import Actor, ActorKind
from support_desk.core.audit import AUDIT_INSERT, audit_values
from support_desk.core.db import run_near
from support_desk.core.idempotency import idempotent
from support_desk.core.outbox import OUTBOX_INSERT, outbox_values
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
    conn = await statements.connection(uow.session)
    done = await run_near(conn, _cancel_issued, uow, cmd.invoice_id, reason, cmd.actor)
    if isinstance(done, Cancellation):
        return done
    return await _cancel_unissued(uow, done, reason, cmd.actor)


def _cancel_issued(
    conn: Connection, uow: UnitOfWork, invoice_id: int, reason: str, actor: Actor
) -> Cancellation | InvoiceView:
    """`cancel_invoice` under the invoice's lock, on the driver's side (`run_near`): a draft
    comes back as its view, for the ORM to cancel (staff and the API only)."""
    locked = statements.lock_invoice(conn, invoice_id)
    if locked.invoice.number is None and actor.customer_id is None:
        return locked.invoice
    return _cancel_locked(uow, conn, locked, reason, actor)


async def _cancel_unissued(
    uow: UnitOfWork, invoice: InvoiceView, reason: str, actor: Actor
) -> Cancellation:
    """A draft, or a draft already cancelled: no credit note, nobody told (it was never sent)."""
    already = invoice.status == InvoiceStatus.CANCELED
    if not already:
        await _cancel_draft(uow, invoice.id, reason, actor)
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
    conn = await statements.connection(uow.session)
    return await run_near(
        conn, _lock_and_cancel, uow, invoice_id, reason, actor, kind, requested_by, weighed
    )


def _lock_and_cancel(
    conn: Connection,
    uow: UnitOfWork,
    invoice_id: int,
    reason: str,
    actor: Actor,
    kind: CreditNoteKind,
    requested_by: Actor | None,
    weighed: int | None,
) -> Cancellation:
    locked = statements.lock_invoice(conn, invoice_id)
    return _cancel_locked(
        uow, conn, locked, reason, actor, kind=kind, requested_by=requested_by, weighed=weighed
    )


def _cancel_locked(
    uow: UnitOfWork,
    conn: Connection,
    locked: statements.Locked,
    reason: str,
    actor: Actor,
    *,
    kind: CreditNoteKind = CreditNoteKind.CANCELLATION,
    requested_by: Actor | None = None,
    weighed: int | None = None,
) -> Cancellation:
    """`cancel` on the invoice as its lock read it, in prebuilt Core statements
    (`billing.statements`): every row and the answer as the ORM wrote and read them, in 3
    statements on PostgreSQL and 9 on SQLite instead of the ORM's 19 for a customer's
    cancellation."""
    invoice = locked.invoice
    rules.ensure_owner(actor, invoice.customer_id)
    live = locked.live_cancellation
    if invoice.status == InvoiceStatus.CANCELED and live is not None:
        note = statements.read_credit_note_view(conn, live)
        assert note is not None  # the lock read its id, and notes are never deleted
        return Cancellation(invoice, note, already_cancelled=True)
    rules.ensure_cancellable(invoice, actor, locked.services_in_use)
    if invoice.credited_minor > invoice.settled_minor:
        raise errors.CreditNotePending()
    parts = rules.remaining_parts(invoice.lines)
    staff = requested_by or actor
    total = sum(p.net_minor + p.tax_minor for p in parts) if weighed is None else weighed
    if rules.needs_approval(staff, total, uow.settings.billing.approval_threshold_minor):
        return _reserve(uow, conn, invoice, parts, kind=kind, reason=reason, actor=staff)
    undo = uow.settings.billing.undo_window_minutes if actor.kind is ActorKind.CUSTOMER else 0
    return _issue_now(uow, conn, invoice, parts, kind, reason, actor, undo_minutes=undo)


def _note_values(
    uow: UnitOfWork,
    invoice: InvoiceView,
    parts: Sequence[CreditPart],
    kind: CreditNoteKind,
    reason: str,
    actor: Actor,
) -> dict[str, Any]:
    """A pending credit note for `parts` of the invoice, every column given (as `reserve`)."""
    if not parts:
        raise errors.NothingToCredit()
    net = sum(p.net_minor for p in parts)
    tax = sum(p.tax_minor for p in parts)
    if invoice.credited_minor + net + tax > invoice.total_minor:  # B9; the UPDATE guards too
        raise errors.ExceedsCreditableAmount(
            creditable=invoice.total_minor - invoice.credited_minor
        )
    return {
        "series": numbering.CREDIT_NOTES,
        "number": None,
        "invoice_id": invoice.id,
        "customer_id": invoice.customer_id,
        "currency": invoice.currency,
        "kind": kind.value,
        "status": CreditNoteStatus.PENDING_APPROVAL.value,
        "reason": reason,
        "net_minor": net,
        "tax_minor": tax,
        "total_minor": net + tax,
        "settled_minor": 0,
        "refund_minor": 0,
        "account_credit_minor": 0,
        "remainder": Remainder.NONE.value,
        "created_by": actor.label,
        "created_at": uow.now,
        "issued_at": None,
        "decided_by": None,
        "decision_note": None,
        "self_service": False,
        "undo_until": None,
        "voided_at": None,
    }


def _reserve(
    uow: UnitOfWork,
    conn: Connection,
    invoice: InvoiceView,
    parts: Sequence[CreditPart],
    *,
    kind: CreditNoteKind,
    reason: str,
    actor: Actor,
) -> Cancellation:
    """B11: the note waits for an admin, holding its credit on the invoice and its lines (B9)."""
    values = _note_values(uow, invoice, parts, kind, reason, actor)
    params = {"b_invoice_id": invoice.id, "b_credit": values["total_minor"]}
    row = conn.execute(statements.RESERVE_INVOICE, params).one_or_none()
    if row is None:
        raise errors.ExceedsCreditableAmount(
            creditable=invoice.total_minor - invoice.credited_minor
        )
    lines = statements.move_lines(conn, invoice.lines, parts)
    note_id = conn.execute(statements.INSERT_NOTE, values).scalar_one()
    line_views = statements.note_line_views(lines, parts)
    conn.execute(statements.INSERT_NOTE_LINES, statements.note_line_rows(line_views, note_id))
    after = {"total_minor": values["total_minor"], "status": values["status"]}
    audit = audit_values(
        uow.now, actor, "credit_note.requested", subject=("credit_note", note_id), after=after
    )
    conn.execute(AUDIT_INSERT, audit)
    view = statements.invoice_view(row, lines)
    statements.keep_session_current(uow.session, view)
    note = statements.note_view(note_id, values, invoice.number, line_views)
    return Cancellation(view, note, already_cancelled=False)


def _issue_now(
    uow: UnitOfWork,
    conn: Connection,
    invoice: InvoiceView,
    parts: Sequence[CreditPart],
    kind: CreditNoteKind,
    reason: str,
    actor: Actor,
    *,
    undo_minutes: int,
) -> Cancellation:
    """Issue the cancellation's note at once, numbered (B10), settling the balance, and cancel
    the invoice with it in one guarded UPDATE (B9); the journal, both audit rows and the
    customer's message (B3) follow. One statement on PostgreSQL (`statements.issue_statement`),
    one per table on SQLite, which has no writes in a WITH."""
    values = _note_values(uow, invoice, parts, kind, reason, actor)
    total = values["total_minor"]
    # B1: nothing was paid, so nothing is refundable: the note settles the balance, or the
    # remainder has nowhere to go (as `crediting.issue` decides for an unpaid invoice)
    settled, refund, credit = rules.split_credit(total, invoice.balance_minor, 0, Remainder.NONE)
    values.update(
        status=CreditNoteStatus.ISSUED.value,
        issued_at=uow.now,
        settled_minor=settled,
        refund_minor=refund,
        account_credit_minor=credit,
    )
    if undo_minutes:
        values.update(self_service=True, undo_until=uow.now + timedelta(minutes=undo_minutes))
    status = rules.derive_status(
        invoice.total_minor, invoice.paid_minor, invoice.settled_minor + settled
    )
    params = {
        "b_invoice_id": invoice.id,
        "b_credit": total,
        "b_settled": settled,
        "b_refund": refund,
        "b_status": status.value,
        "b_at": uow.now,
        "b_reason": reason,
    }
    line_views = statements.note_line_views(invoice.lines, parts)
    issue = _Issue(uow, invoice, values, status, kind, reason, actor)
    write = _write_at_once if conn.dialect.name == "postgresql" else _write_one_by_one
    note_id, row, lines = write(conn, issue, parts, line_views, params)
    view = statements.invoice_view(row, lines)
    statements.keep_session_current(uow.session, view)
    note = statements.note_view(note_id, values, invoice.number, line_views)
    return Cancellation(view, note, already_cancelled=False)


@dataclass(frozen=True, slots=True)
class _Issue:
    """What an issued cancellation writes besides its note's and invoice's rows, given the
    note's id and number (on PostgreSQL the statement sets them: 0 and None here)."""

    uow: UnitOfWork
    invoice: InvoiceView
    values: dict[str, Any]  # the note's row
    status: InvoiceStatus  # the invoice's, cancelled
    kind: CreditNoteKind
    reason: str
    actor: Actor

    def journal(self, txn: str) -> list[dict[str, object]]:
        values = self.values
        entries = ledger.credit_note_entries(
            values["net_minor"], values["tax_minor"], values["settled_minor"], 0, 0
        )
        return ledger.journal_rows(
            self.uow,
            txn,
            customer_id=self.invoice.customer_id,
            invoice_id=self.invoice.id,
            currency=self.invoice.currency,
            entries=entries,
        )

    def audits(self, note_id: int, number: int | None) -> list[dict[str, Any]]:
        uow, actor, values = self.uow, self.actor, self.values
        parts = (values["settled_minor"], values["refund_minor"], values["account_credit_minor"])
        issued = crediting.issued_after(number, values["total_minor"], parts, self.status)
        subject = ("credit_note", note_id)
        return [
            audit_values(uow.now, actor, "credit_note.issued", subject=subject, after=issued),
            audit_values(
                uow.now,
                actor,
                "invoice.cancelled",
                subject=("invoice", self.invoice.id),
                before={"status": self.invoice.status},
                after={"status": "canceled", "credit_note_id": note_id},
            ),
        ]

    def outbox(self, note_id: int, number: int | None) -> dict[str, Any] | None:
        """B3: the customer's message; none for a split's note (the split's carries it)."""
        if self.kind == CreditNoteKind.SPLIT:
            return None
        values, invoice = self.values, self.invoice
        message = crediting.CreditNoteIssued(
            credit_note_id=note_id,
            credit_note_number=document_number(values["series"], number),
            credit_note_kind=self.kind,
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            total_minor=values["total_minor"],
            settled_minor=values["settled_minor"],
            refund_minor=values["refund_minor"],
            account_credit_minor=values["account_credit_minor"],
            currency=invoice.currency,
            **crediting.speaker(self.uow, self.reason, self.actor),
            undo_until=values["undo_until"],
        )
        payload = message.payload()
        return outbox_values(invoice.customer_id, message.kind, payload, self.uow.now)


def _write_at_once(
    conn: Connection,
    issue: _Issue,
    parts: Sequence[CreditPart],
    line_views: Sequence[CreditNoteLineView],
    params: dict[str, Any],
) -> tuple[int, Any, tuple[InvoiceLineView, ...]]:
    """PostgreSQL: every write in one statement; the note's id, the invoice's row, its lines."""
    invoice, values = issue.invoice, issue.values
    lines = statements.credited_lines(invoice.lines, parts)
    journal, outbox = issue.journal(""), issue.outbox(0, None)
    params |= statements.move_lines_params(parts)
    params |= {f"n_{c.name}": values.get(c.name) for c in statements.NOTE_VALUE_COLUMNS}
    params |= statements.rows_params("l", statements.note_line_rows(line_views))
    params |= statements.rows_params("j", journal) | {"j_txn": _NOTE_TXN}
    params |= statements.rows_params("a", issue.audits(0, None))
    params |= statements.rows_params("o", [outbox] if outbox else [])
    params["b_series"] = numbering.CREDIT_NOTES
    issue_statement = statements.issue_statement(len(parts), len(journal), outbox is not None)
    row = conn.execute(issue_statement, params).one()
    if row.id is None:  # a guard did not hold: a line's (B9), else the invoice's
        creditable = 0 if row.moved != len(parts) else invoice.total_minor - invoice.credited_minor
        raise errors.ExceedsCreditableAmount(creditable=creditable)
    values["number"] = row.note_number
    return row.note_id, row, lines


def _write_one_by_one(
    conn: Connection,
    issue: _Issue,
    parts: Sequence[CreditPart],
    line_views: Sequence[CreditNoteLineView],
    params: dict[str, Any],
) -> tuple[int, Any, tuple[InvoiceLineView, ...]]:
    """SQLite: the writes of `statements.issue_statement`, each its own statement."""
    invoice, values = issue.invoice, issue.values
    lines = statements.move_lines(conn, invoice.lines, parts)
    number = statements.next_number(conn, numbering.CREDIT_NOTES)
    values["number"] = number
    note_id = conn.execute(statements.INSERT_NOTE, values).scalar_one()
    rows = statements.note_line_rows(line_views, note_id)
    conn.execute(statements.INSERT_NOTE_LINES, rows)
    params["b_note_id"] = note_id
    row = conn.execute(statements.CANCEL_INVOICE, params).one_or_none()
    if row is None:
        raise errors.ExceedsCreditableAmount(
            creditable=invoice.total_minor - invoice.credited_minor
        )
    conn.execute(ledger.JOURNAL_INSERT, issue.journal(f"{_NOTE_TXN}{note_id}"))
    conn.execute(AUDIT_INSERT, issue.audits(note_id, number))
    outbox = issue.outbox(note_id, number)
    if outbox is not None:
        conn.execute(OUTBOX_INSERT, outbox)
    return note_id, row, lines


_NOTE_TXN = "credit_note:"  # the journal transaction of a credit note: its id follows


async def approve_cancellation(
    uow: UnitOfWork, note: CreditNote, invoice: Invoice, actor: Actor
) -> None:
    """B1, B11: an admin approved a cancellation that waited; it goes ahead only if the invoice
    is still unpaid (a payment meanwhile leaves the admin to reject it)."""
    rules.ensure_cancellable(invoice, actor, ())
    await _issue(uow, note, invoice, actor, {"status": invoice.status})


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


async def cancel_draft(uow: UnitOfWork, invoice: Invoice, reason: str, actor: Actor) -> None:
    """A draft was never issued: it is cancelled with no credit note and no message."""
    await _cancel_draft(uow, invoice.id, reason, actor)


async def _cancel_draft(uow: UnitOfWork, invoice_id: int, reason: str, actor: Actor) -> None:
    await repo.change_invoice(
        uow.session,
        invoice_id,
        Invoice.status == InvoiceStatus.DRAFT,
        status=InvoiceStatus.CANCELED,
        cancelled_at=uow.now,
        cancel_reason=reason,
    )
    uow.audit(
        actor,
        "invoice.cancelled",
        subject=("invoice", invoice_id),
        before={"status": "draft"},
        after={"status": "canceled"},
    )
