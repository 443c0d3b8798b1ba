"""B4: the customer undoes their own cancellation within the window: the credit note becomes
void (its number stays used, B10) and the invoice is owed again."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from billing import errors, ledger, rules, statements
from billing.commands import UndoCancellation
from billing.models import CreditNoteKind, CreditNoteStatus
from billing.read_models import CreditNoteView, InvoiceLineView, InvoiceView, Undo
from billing.rules import CreditPart
from support_desk.core.actors import Actor
from support_desk.core.audit import AUDIT_INSERT, audit_values
from support_desk.core.db import run_near
from support_desk.core.idempotency import idempotent
from support_desk.core.messages import CustomerMessage
from support_desk.core.outbox import OUTBOX_INSERT, outbox_values
from support_desk.core.tx import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class CancellationUndone(CustomerMessage, kind="cancellation_undone"):
    """B4: the customer undid their cancellation: the credit note is void, the invoice owed."""

    credit_note_id: int
    credit_note_number: str | None
    invoice_id: int
    invoice_number: str | None
    balance_minor: int
    currency: str


@idempotent
async def undo_cancellation(uow: UnitOfWork, cmd: UndoCancellation) -> Undo:
    """B4: within the window, the customer who cancelled gets the invoice back as unpaid; the
    credit note becomes void and keeps its number. Refusals: UndoWindowPassed, UndoNotAllowed.

    In prebuilt Core statements (`billing.statements`), every row and the answer as the ORM
    path wrote and read them: the invoice locked through the note, the note read under the
    lock, one guarded UPDATE voiding it (a second undo, however concurrent, finds it void),
    one UPDATE giving the invoice back, one for its lines' counters, then the journal, the
    audit row and the message; the answer from what those returned, nothing read again."""
    conn = await statements.connection(uow.session)
    return await run_near(conn, _undo, uow, cmd)


def _undo(conn: Connection, uow: UnitOfWork, cmd: UndoCancellation) -> Undo:
    """`undo_cancellation` on the driver's side (`run_near`)."""
    invoice = statements.lock_note_invoice(conn, cmd.credit_note_id)
    if invoice is None:
        raise errors.CreditNoteNotFound(id=cmd.credit_note_id)
    note = statements.read_credit_note_view_at_once(conn, cmd.credit_note_id)
    assert note is not None  # its invoice was found through it, and notes are never deleted
    rules.ensure_owner(cmd.actor, note.customer_id)
    if note.status == CreditNoteStatus.VOID and note.self_service:
        return Undo(invoice, note, already_undone=True)
    if note.kind != CreditNoteKind.CANCELLATION or note.status != CreditNoteStatus.ISSUED:
        raise errors.UndoNotAllowed()
    rules.ensure_undo_allowed(
        actor=cmd.actor,
        self_service=note.self_service,
        undo_until=note.undo_until,
        now=uow.now,
        paid_minor=invoice.paid_minor,
    )
    if note.refund_minor or note.account_credit_minor:  # only a settled balance is undone
        raise errors.UndoNotAllowed()
    return _void(uow, conn, invoice, note, cmd.actor)


def _void(
    uow: UnitOfWork,
    conn: Connection,
    invoice: InvoiceView,
    note: CreditNoteView,
    actor: Actor,
) -> Undo:
    """Void the note (its number stays used, B10) and give back what it settled and credited,
    on the invoice and its lines, with the journal reversed (as `crediting.void`). One
    statement on PostgreSQL (`statements.void_statement`), one per table on SQLite."""
    settled = invoice.settled_minor - note.settled_minor
    status = rules.derive_status(invoice.total_minor, invoice.paid_minor, settled)
    params = {
        "b_note_id": note.id,
        "b_at": uow.now,
        "b_invoice_id": invoice.id,
        "b_settled": note.settled_minor,
        "b_credit": note.total_minor,
        "b_status": status.value,
    }
    parts = [CreditPart(ln.invoice_line_id, -ln.net_minor, -ln.tax_minor) for ln in note.lines]
    entries = ledger.credit_note_entries(
        note.net_minor, note.tax_minor, note.settled_minor, 0, 0, -1
    )
    journal = ledger.journal_rows(
        uow,
        f"void:{note.id}",
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        currency=invoice.currency,
        entries=entries,
    )
    audit = audit_values(
        uow.now,
        actor,
        "credit_note.voided",
        subject=("credit_note", note.id),
        before={"status": "issued"},
        after={"status": "void"},
    )
    message = CancellationUndone(
        credit_note_id=note.id,
        credit_note_number=note.number,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        balance_minor=invoice.total_minor - invoice.paid_minor,
        currency=invoice.currency,
    )
    outbox = outbox_values(note.customer_id, message.kind, message.payload(), uow.now)
    writes = _Void(params, parts, journal, audit, outbox)
    done = (_void_at_once if conn.dialect.name == "postgresql" else _void_one_by_one)(
        conn, invoice, writes
    )
    if done is None:  # the note was not issued: cannot happen under the invoice's lock
        fresh = statements.read_invoice_view(conn, invoice.id)
        again = statements.read_credit_note_view_at_once(conn, note.id)
        assert fresh is not None and again is not None
        return Undo(fresh, again, already_undone=True)
    view = statements.invoice_view(*done)
    statements.keep_session_current(uow.session, view)
    void = dataclasses.replace(note, status=CreditNoteStatus.VOID.value, voided_at=uow.now)
    return Undo(view, void, already_undone=False)


@dataclass(frozen=True, slots=True)
class _Void:
    """An undo's writes: the parameters of its two UPDATEs, the lines' credit given back, the
    journal's rows, the audit row and the message."""

    params: dict[str, Any]
    parts: list[CreditPart]
    journal: list[dict[str, object]]
    audit: dict[str, Any]
    outbox: dict[str, Any]


_Voided = tuple[Any, tuple[InvoiceLineView, ...]] | None  # the invoice's row and lines


def _void_at_once(conn: Connection, invoice: InvoiceView, writes: _Void) -> _Voided:
    """PostgreSQL: every write in one statement, none unless the note was issued."""
    params = writes.params | statements.move_lines_params(writes.parts)
    params |= statements.rows_params("j", writes.journal)
    params |= statements.rows_params("a", [writes.audit])
    params |= statements.rows_params("o", [writes.outbox])
    void_statement = statements.void_statement(len(writes.parts), len(writes.journal))
    row = conn.execute(void_statement, params).one()
    if row.note_id is None:
        return None
    if row.moved != len(writes.parts):  # a line's guard did not hold (B9)
        raise errors.ExceedsCreditableAmount(creditable=0)
    return row, statements.credited_lines(invoice.lines, writes.parts)


def _void_one_by_one(conn: Connection, invoice: InvoiceView, writes: _Void) -> _Voided:
    """SQLite: the writes of `statements.void_statement`, each its own statement."""
    params = writes.params
    voided = conn.execute(statements.VOID_NOTE, params)
    if voided.first() is None:
        return None
    row = conn.execute(statements.UNDO_INVOICE, params).one()
    parts = writes.parts
    lines = statements.move_lines(conn, invoice.lines, parts) if parts else invoice.lines
    if writes.journal:
        conn.execute(ledger.JOURNAL_INSERT, writes.journal)
    conn.execute(AUDIT_INSERT, writes.audit)
    conn.execute(OUTBOX_INSERT, writes.outbox)
    return row, lines
