"""Splitting a compound invoice (B7): cancel it with a credit note and re-invoice the lines the
customer keeps, grouped as the agent chose."""

from __future__ import annotations

from dataclasses import dataclass

from billing import errors, repo, rules
from billing.commands import IssueInvoice, NewLine, SplitInvoice
from billing.documents import AttachesCreditNote
from billing.models import CreditNoteKind, Invoice, InvoiceLine, LineKind
from billing.read_models import InvoiceView, Split
from billing.services.cancellation import cancel
from billing.services.invoices import issue_invoice
from support_desk.core.actors import Actor
from support_desk.core.errors import PermissionDenied
from support_desk.core.messages import CustomerMessage
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


async def split_invoice(uow: UnitOfWork, cmd: SplitInvoice) -> Split:
    """One credit note for the whole invoice plus one new invoice per kept group, all in one
    transaction. Refusals: those of a cancellation, and lines not on the invoice."""
    if (earlier := await uow.idempotency.replay(cmd, Split)) is not None:
        return earlier
    if cmd.actor.customer_id is not None:
        raise PermissionDenied()
    invoice = await repo.lock_invoice(uow.session, cmd.invoice_id)
    if invoice.credited_minor:
        raise errors.InvoiceNotEditable()
    lines = {ln.id: ln for ln in await repo.get_lines(uow.session, invoice.id)}
    _check_groups(cmd.keep, lines)
    kept = {i for group in cmd.keep for i in group}
    dropped = sum(ln.total_minor for i, ln in lines.items() if i not in kept)
    threshold = uow.settings.billing.approval_threshold_minor
    rules.ensure_split_within_authority(cmd.actor, dropped, threshold)
    cancellation = await cancel(uow, invoice.id, cmd.reason, cmd.actor, kind=CreditNoteKind.SPLIT)
    new = await _reissue(uow, invoice, lines, cmd.keep, cmd.actor)
    uow.notify(
        invoice.customer_id,
        InvoiceSplit(
            invoice_id=invoice.id,
            invoice_number=cancellation.invoice.number,
            credit_note_id=cancellation.credit_note.id,
            credit_note_number=cancellation.credit_note.number,
            new_invoice_ids=tuple(v.id for v in new),
            new_invoices=tuple(
                NewInvoice(number=v.number, total_minor=v.total_minor) for v in new
            ),
            currency=invoice.currency,
        ),
    )
    await uow.session.flush()
    result = Split(
        cancellation.credit_note, tuple([await repo.invoice_view(uow.session, v.id) for v in new])
    )
    return await uow.idempotency.remember(cmd, result)


async def _reissue(
    uow: UnitOfWork,
    invoice: Invoice,
    lines: dict[int, InvoiceLine],
    keep: tuple[tuple[int, ...], ...],
    actor: Actor,
) -> list[InvoiceView]:
    """B7: one new invoice per kept group of lines, on the old one's terms, marked as split
    from it."""
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
        )
        created = await issue_invoice(uow, command)
        await repo.change_invoice(uow.session, created.id, split_from_id=invoice.id)
        new.append(created)
    return new


def _check_groups(keep: tuple[tuple[int, ...], ...], lines: dict[int, InvoiceLine]) -> None:
    named = [i for group in keep for i in group]
    if any(not group for group in keep) or len(named) != len(set(named)):
        raise errors.InvalidInvoice(problem="each kept group names distinct lines")
    if unknown := set(named) - lines.keys():
        raise errors.InvalidInvoice(problem=f"line {min(unknown)} is not on the invoice")


def _copy(ln: InvoiceLine) -> NewLine:
    return NewLine(
        name=ln.name,
        quantity=ln.quantity,
        unit_price_minor=ln.unit_price_minor,
        discount_minor=ln.discount_minor,
        tax_rate_bp=ln.tax_rate_bp,
        sku=ln.sku,
        service_id=ln.service_id,
        kind=LineKind(ln.kind),
    )
