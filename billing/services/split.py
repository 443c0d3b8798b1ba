"""Splitting a compound invoice (B7): cancel it with a credit note and re-invoice the lines the
customer keeps, grouped as the agent chose."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from billing import repo, rules
from billing.commands import IssueInvoice, NewLine, PublishInvoice, SplitInvoice
from billing.documents import AttachesCreditNote
from billing.models import (
    CreditNote,
    CreditNoteKind,
    CreditNoteStatus,
    Invoice,
    InvoiceLine,
    LineKind,
)
from billing.read_models import CreditNoteView, InvoiceView, Split
from billing.services.cancellation import approve_cancellation, cancel, cancel_draft
from billing.services.invoices import issue_invoice, publish_invoice
from support_desk.core.actors import Actor
from support_desk.core.idempotency import idempotent
from support_desk.core.messages import CustomerMessage
from support_desk.core.records import from_row
from support_desk.core.tx import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class NewInvoice:
    number: str | None
    total_minor: int


@dataclass(frozen=True, kw_only=True)
class InvoiceSplit(AttachesCreditNote, CustomerMessage, kind="invoice_split"):
    """B7: the compound invoice is cancelled by its credit note (attached) and these invoices
    bill what the customer keeps."""

    invoice_id: int
    invoice_number: str | None
    credit_note_id: int
    credit_note_number: str | None
    new_invoice_ids: tuple[int, ...]
    new_invoices: tuple[NewInvoice, ...]
    currency: str


@idempotent
async def split_invoice(uow: UnitOfWork, cmd: SplitInvoice) -> Split:
    """One credit note for the whole invoice plus one new invoice per kept group, all in one
    transaction. B11: when the dropped lines are worth more than the threshold, the credit note
    waits for an admin and the new invoices wait as drafts; the approval issues them. Refusals:
    those of a cancellation, and lines not on the invoice."""
    rules.ensure_not_customer(cmd.actor)
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    lines = {ln.id: ln for ln in await repo.get_lines(uow.session, invoice.id)}
    rules.ensure_splittable(invoice.credited_minor, cmd.keep, lines.keys())
    kept = {i for group in cmd.keep for i in group}
    dropped = sum(ln.total_minor for i, ln in lines.items() if i not in kept)
    cancellation = await cancel(
        uow, invoice.id, cmd.reason, cmd.actor, kind=CreditNoteKind.SPLIT, weighed=dropped
    )
    note = cancellation.credit_note
    assert note is not None  # only a draft is cancelled without one, and a draft is not split
    waits = note.status == CreditNoteStatus.PENDING_APPROVAL
    new = await _reissue(uow, invoice, lines, cmd.keep, cmd.actor, draft=waits)
    if not waits:
        _announce(uow, invoice, note, new)
    await uow.session.flush()
    return Split(note, tuple([await repo.invoice_view(uow.session, v.id) for v in new]))


async def approve_split(uow: UnitOfWork, note: CreditNote, invoice: Invoice, actor: Actor) -> None:
    """B7, B11: an admin approved a split that waited: the invoice is cancelled with its credit
    note and the drafts of the kept lines are issued."""
    await approve_cancellation(uow, note, invoice, actor)
    new = [
        await publish_invoice(uow, PublishInvoice(draft_id, actor))
        for draft_id in await repo.split_drafts(uow.session, invoice.id)
    ]
    _announce(uow, invoice, await repo.credit_note_view(uow.session, note.id), new)


async def drop_split_drafts(uow: UnitOfWork, invoice_id: int, actor: Actor) -> None:
    """B11: a rejected split's drafts are cancelled; they were never issued."""
    for draft_id in await repo.split_drafts(uow.session, invoice_id):
        await cancel_draft(
            uow, await repo.lock_invoice(uow.session, draft_id), "split rejected", actor
        )


def _announce(
    uow: UnitOfWork, invoice: Invoice, note: CreditNoteView, new: Sequence[InvoiceView]
) -> None:
    uow.notify(
        invoice.customer_id,
        InvoiceSplit(
            **repo.invoice_refs(invoice),
            credit_note_id=note.id,
            credit_note_number=note.number,
            new_invoice_ids=tuple(v.id for v in new),
            new_invoices=tuple(
                NewInvoice(number=v.number, total_minor=v.total_minor) for v in new
            ),
            currency=invoice.currency,
        ),
    )


async def _reissue(
    uow: UnitOfWork,
    invoice: Invoice,
    lines: dict[int, InvoiceLine],
    keep: tuple[tuple[int, ...], ...],
    actor: Actor,
    *,
    draft: bool,
) -> list[InvoiceView]:
    """B7: one new invoice per kept group of lines, on the old one's terms, marked as split
    from it (drafts while the split waits for an admin)."""
    new = []
    for group in keep:
        command = IssueInvoice(
            customer_id=invoice.customer_id,
            currency=invoice.currency,
            lines=tuple(_copy(lines[i]) for i in group),
            actor=actor,
            description=invoice.description,
            due_date=invoice.due_date,
            allow_partial_payments=invoice.allow_partial_payments,
            minimum_partial_minor=invoice.minimum_partial_minor,
            draft=draft,
        )
        created = await issue_invoice(uow, command)
        await repo.change_invoice(uow.session, created.id, split_from_id=invoice.id)
        new.append(created)
    return new


def _copy(ln: InvoiceLine) -> NewLine:
    return from_row(NewLine, ln, kind=LineKind(ln.kind))
