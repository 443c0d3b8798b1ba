"""What approving a pending credit note would do (B6, B9, B11), for the admin deciding it: how
much it settles of what is due, refunds, or turns into account credit, with the invoice's
balance and the customer's account credit before and after. Read-only, by the same rule that
issuing applies (`rules.split_credit`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from billing import errors, repo, rules
from billing.commands import Remainder
from billing.models import AccountCredit, CreditNoteStatus, Payment
from support_desk.core.tx import UnitOfWork


@dataclass(frozen=True, slots=True)
class ApprovalPreview:
    credit_note_id: int
    currency: str
    total_minor: int
    settled_minor: int
    refund_minor: int
    account_credit_minor: int
    balance_before_minor: int
    balance_after_minor: int
    account_credit_before_minor: int
    account_credit_after_minor: int
    problem: str | None = None  # a refusal's code if approving now would be refused


def effective_remainder(remainder: Remainder) -> Remainder:
    """An approved note with no destination gives what is no longer due as account credit:
    the customer may have paid meanwhile (as `crediting._split_value` does on approval)."""
    return Remainder.ACCOUNT_CREDIT if remainder is Remainder.NONE else remainder


async def _refundable(uow: UnitOfWork, invoice_id: int) -> int:
    rows = await uow.session.execute(
        select(Payment.amount_minor, Payment.refunded_minor).where(
            Payment.invoice_id == invoice_id, Payment.method != "account_credit"
        )
    )
    return sum(r.amount_minor - r.refunded_minor for r in rows)


async def approval_preview(uow: UnitOfWork, credit_note_id: int) -> ApprovalPreview:
    """Refusals: CreditNoteNotFound, CreditNoteNotPending."""
    note = await repo.get_credit_note(uow.session, credit_note_id)
    if note.status != CreditNoteStatus.PENDING_APPROVAL:
        raise errors.CreditNoteNotPending()
    invoice = await repo.get_invoice(uow.session, note.invoice_id)
    credit = await uow.session.get(AccountCredit, (note.customer_id, note.currency))
    credit_before = credit.balance_minor if credit else 0
    problem = None
    try:
        settled, refund, to_credit = rules.split_credit(
            note.total_minor,
            invoice.balance_minor,
            await _refundable(uow, invoice.id),
            effective_remainder(Remainder(note.remainder)),
        )
    except errors.BillingError as refusal:
        settled, refund, to_credit, problem = 0, 0, 0, refusal.code
    return ApprovalPreview(
        note.id,
        note.currency,
        note.total_minor,
        settled,
        refund,
        to_credit,
        invoice.balance_minor,
        invoice.balance_minor - settled,
        credit_before,
        credit_before + to_credit,
        problem,
    )
