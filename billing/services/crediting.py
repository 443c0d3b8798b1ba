"""Writing credit notes: reserving what they credit, then issuing them (numbered, settled,
refunded or turned into account credit). Shared by cancellation, credit, split and approval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert

from billing import errors, ledger, numbering, refund_choice, repo, rules
from billing.commands import Remainder
from billing.documents import AttachesCreditNote
from billing.models import (
    CreditNote,
    CreditNoteKind,
    CreditNoteLine,
    CreditNoteStatus,
    Invoice,
    InvoiceLine,
    Refund,
)
from billing.read_models import CreditNoteView
from billing.rules import CreditPart
from support_desk.core.actors import Actor, ActorKind
from support_desk.core.messages import CustomerMessage
from support_desk.core.tx import UnitOfWork


async def reserve(
    uow: UnitOfWork,
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    parts: Sequence[CreditPart],
    *,
    kind: CreditNoteKind,
    reason: str,
    actor: Actor,
    remainder: Remainder = Remainder.NONE,
) -> CreditNote:
    """Write a pending credit note and move the credited counters by conditional UPDATEs that
    the CHECKs back up: the credit notes of an invoice never exceed its total (B9)."""
    if not parts:
        raise errors.NothingToCredit()
    net = sum(p.net_minor for p in parts)
    tax = sum(p.tax_minor for p in parts)
    if not await repo.change_invoice(
        uow.session,
        invoice.id,
        Invoice.credited_minor + net + tax <= Invoice.total_minor,
        credited_minor=Invoice.credited_minor + net + tax,
    ):
        raise errors.ExceedsCreditableAmount(
            creditable=invoice.total_minor - invoice.credited_minor
        )
    await _move_line_counters(uow, parts, sign=1)
    note = CreditNote(
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        kind=kind,
        status=CreditNoteStatus.PENDING_APPROVAL,
        reason=reason,
        net_minor=net,
        tax_minor=tax,
        total_minor=net + tax,
        remainder=remainder,
        created_by=actor.label,
        created_at=uow.now,
        self_service=False,
    )
    uow.session.add(note)
    await uow.session.flush()
    rows = _line_rows(note.id, lines, parts)
    await uow.session.execute(insert(CreditNoteLine), rows)  # one executemany, not N INSERTs
    return note


def _line_rows(
    note_id: int, lines: Sequence[InvoiceLine], parts: Sequence[CreditPart]
) -> list[dict[str, object]]:
    """The note's lines: each credited part beside the invoice line it reverses."""
    by_id = {ln.id: ln for ln in lines}
    return [
        {
            "credit_note_id": note_id,
            "invoice_line_id": part.line_id,
            "position": position,
            "sku": by_id[part.line_id].sku,
            "name": by_id[part.line_id].name,
            "quantity": by_id[part.line_id].quantity,
            "unit_price_minor": by_id[part.line_id].unit_price_minor,
            "tax_rate_bp": by_id[part.line_id].tax_rate_bp,
            "net_minor": part.net_minor,
            "tax_minor": part.tax_minor,
            "total_minor": part.net_minor + part.tax_minor,
        }
        for position, part in enumerate(parts, 1)
    ]


async def release(uow: UnitOfWork, note: CreditNote) -> None:
    """Give back what a rejected or voided note had credited."""
    await repo.change_invoice(
        uow.session, note.invoice_id, credited_minor=Invoice.credited_minor - note.total_minor
    )
    rows = await repo.credit_note_parts(uow.session, note.id)
    parts = [CreditPart(r.invoice_line_id, r.net_minor, r.tax_minor) for r in rows]
    await _move_line_counters(uow, parts, sign=-1)


async def _move_line_counters(uow: UnitOfWork, parts: Sequence[CreditPart], sign: int) -> None:
    for part in parts:
        net, tax = sign * part.net_minor, sign * part.tax_minor
        if not await repo.move_line_credit(uow.session, part.line_id, net, tax):
            raise errors.ExceedsCreditableAmount(creditable=0)


async def issue(
    uow: UnitOfWork,
    note: CreditNote,
    invoice: Invoice,
    actor: Actor,
    *,
    undo_minutes: int = 0,
    **invoice_values: object,
) -> None:
    """Number the note and apply it: settle what is due, then refund or credit the rest.

    `invoice` is the locked row (its paid and settled amounts current); `invoice_values` are
    written in the same UPDATE as the new status.
    """
    settled, refund, credit = await _split_value(uow, note, invoice)
    note.number = await numbering.next_number(uow, numbering.CREDIT_NOTES)
    note.status, note.issued_at = CreditNoteStatus.ISSUED, uow.now
    note.settled_minor, note.refund_minor, note.account_credit_minor = settled, refund, credit
    if undo_minutes:
        note.self_service = True
        note.undo_until = uow.now + timedelta(minutes=undo_minutes)
    status = rules.derive_status(
        invoice.total_minor, invoice.paid_minor, invoice.settled_minor + settled
    )
    await repo.change_invoice(
        uow.session,
        invoice.id,
        settled_minor=Invoice.settled_minor + settled,
        refunded_minor=Invoice.refunded_minor + refund,
        status=status,
        **invoice_values,
    )
    await uow.session.flush()
    await _refund(uow, note, refund)
    if credit > 0:
        await repo.add_account_credit(uow.session, note.customer_id, note.currency, credit)
    await _post(uow, f"credit_note:{note.id}", note, invoice, (settled, refund, credit))
    _announce(uow, note, invoice, actor, status)


async def _post(
    uow: UnitOfWork,
    txn: str,
    note: CreditNote,
    invoice: Invoice,
    parts: tuple[int, int, int],
    sign: int = 1,
) -> None:
    """The note's journal transaction: its net and tax reversed, against what it settled,
    refunded and turned into account credit (or all of it undone, sign -1)."""
    settled, refund, credit = parts
    await ledger.credit_note(
        uow,
        txn,
        invoice.id,
        invoice.customer_id,
        invoice.currency,
        net=note.net_minor,
        tax=note.tax_minor,
        settled=settled,
        refund=refund,
        account_credit=credit,
        sign=sign,
    )


async def _split_value(
    uow: UnitOfWork, note: CreditNote, invoice: Invoice
) -> tuple[int, int, int]:
    """What the note settles on the balance, refunds, and turns into account credit (B6, B9)."""
    needs_refund = note.total_minor > invoice.balance_minor
    refundable = await _refundable(uow, invoice.id) if needs_refund else 0
    remainder = Remainder(note.remainder)
    if remainder is Remainder.NONE and note.decided_by is not None:
        # approved after the customer paid what it was meant to settle: the value is theirs
        remainder = Remainder.ACCOUNT_CREDIT
    return rules.split_credit(note.total_minor, invoice.balance_minor, refundable, remainder)


@dataclass(frozen=True, kw_only=True)
class CreditNoteIssued(AttachesCreditNote, CustomerMessage, kind="credit_note_issued"):
    """B3: the customer's credit note, what it did to what they owe, and until when a
    self-service cancellation can be undone (B4); the PDF travels with it."""

    credit_note_id: int
    credit_note_number: str | None
    credit_note_kind: str
    invoice_id: int
    invoice_number: str | None
    total_minor: int
    settled_minor: int
    refund_minor: int
    account_credit_minor: int
    currency: str
    reason: str | None  # None: the company's billing system cancelled without a reason
    undo_until: datetime | None
    cancelled_by: str | None = None  # B3: the company, when its billing system caused it


def _announce(
    uow: UnitOfWork, note: CreditNote, invoice: Invoice, actor: Actor, status: str
) -> None:
    """The issued note's audit row and the customer's message (T8), in the issuing transaction.
    A split's note has no message of its own: the split's (`invoice_split`) carries its
    document, so the customer gets it once."""
    uow.audit(
        actor,
        "credit_note.issued",
        subject=("credit_note", note.id),
        after=issued_after(
            note.number,
            note.total_minor,
            (note.settled_minor, note.refund_minor, note.account_credit_minor),
            status,
        ),
    )
    if note.kind == CreditNoteKind.SPLIT:
        return
    uow.notify(
        note.customer_id,
        CreditNoteIssued(
            **repo.credit_note_refs(invoice, note),
            credit_note_kind=note.kind,
            total_minor=note.total_minor,
            settled_minor=note.settled_minor,
            refund_minor=note.refund_minor,
            account_credit_minor=note.account_credit_minor,
            currency=note.currency,
            **_speaker(uow, note, actor),
            undo_until=note.undo_until,
        ),
    )


def issued_after(
    number: int | None, total: int, parts: tuple[int, int, int], invoice_status: str
) -> dict[str, object]:
    """The `after` of an issued note's audit row: its number, total, and what it settled,
    refunded and credited (`parts`), and the invoice's status since."""
    settled, refund, credit = parts
    return {
        "number": number,
        "total_minor": total,
        "settled_minor": settled,
        "refund_minor": refund,
        "account_credit_minor": credit,
        "invoice_status": invoice_status,
    }


def _speaker(uow: UnitOfWork, note: CreditNote, actor: Actor) -> dict[str, str | None]:
    return speaker(uow, note.reason, actor)


def speaker(uow: UnitOfWork, reason: str, actor: Actor) -> dict[str, str | None]:
    """B3: a note the company's billing system caused speaks as the company, and shows a reason
    only when the system gave one."""
    if actor.kind is not ActorKind.API:
        return {"reason": reason, "cancelled_by": None}
    company = uow.settings.billing.seller.name
    given = reason if reason != rules.company_reason(company) else None
    return {"reason": given, "cancelled_by": company}


async def _refundable(uow: UnitOfWork, invoice_id: int) -> int:
    payments = await repo.cash_payments(uow.session, invoice_id)
    return sum(p.amount_minor - p.refunded_minor for p in payments)


async def _refund(uow: UnitOfWork, note: CreditNote, amount: int) -> None:
    """Refund against the payments, the chosen one first (else newest first); each capped by
    a conditional UPDATE (B9)."""
    if amount <= 0:
        return
    payments = await repo.cash_payments(uow.session, note.invoice_id)
    for payment in refund_choice.refund_order(payments, note.refund_payment_id, amount):
        take = min(amount, payment.amount_minor - payment.refunded_minor)
        if take <= 0:
            continue
        if not await repo.take_refund(uow.session, payment.id, take):
            raise errors.ExceedsRefundableAmount(refundable=0)
        uow.session.add(
            Refund(
                credit_note_id=note.id,
                payment_id=payment.id,
                amount_minor=take,
                created_at=uow.now,
            )
        )
        amount -= take
        if amount == 0:
            break
    if amount > 0:
        raise errors.ExceedsRefundableAmount(refundable=0)


def requested(uow: UnitOfWork, note: CreditNote, actor: Actor) -> None:
    """B11: the audit row of a credit note left waiting for an admin."""
    uow.audit(
        actor,
        "credit_note.requested",
        subject=("credit_note", note.id),
        after={"total_minor": note.total_minor, "status": note.status},
    )


async def view(uow: UnitOfWork, note_id: int) -> CreditNoteView:
    await uow.session.flush()
    return await repo.credit_note_view(uow.session, note_id)


async def void(uow: UnitOfWork, note: CreditNote, actor: Actor) -> bool:
    """Void an issued note that only settled a balance (B4): its number stays used (B10).
    False when a concurrent call voided it first."""
    if note.refund_minor or note.account_credit_minor:
        raise errors.UndoNotAllowed()
    voided = await repo.change_credit_note(
        uow.session,
        note.id,
        CreditNoteStatus.ISSUED,
        status=CreditNoteStatus.VOID,
        voided_at=uow.now,
    )
    if not voided:
        return False
    invoice = await repo.get_invoice(uow.session, note.invoice_id)
    settled = invoice.settled_minor - note.settled_minor
    await repo.change_invoice(
        uow.session,
        invoice.id,
        settled_minor=settled,
        cancelled_with_id=None,
        cancelled_at=None,
        cancel_reason=None,
        status=rules.derive_status(invoice.total_minor, invoice.paid_minor, settled),
    )
    await release(uow, note)
    await _post(uow, f"void:{note.id}", note, invoice, (note.settled_minor, 0, 0), sign=-1)
    uow.audit(
        actor,
        "credit_note.voided",
        subject=("credit_note", note.id),
        before={"status": "issued"},
        after={"status": "void"},
    )
    return True
