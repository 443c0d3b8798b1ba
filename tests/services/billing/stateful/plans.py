"""Each use case as a `Plan`: the command, the refusal the model expects, and what its success
does to the model."""

from __future__ import annotations

from typing import Any

import billing
from billing import PaymentRecorded, errors
from billing.commands import (
    ApplyAccountCredit,
    ApproveCreditNote,
    CancelInvoice,
    IssueCreditNote,
    LineCredit,
    RecordPayment,
    RejectCreditNote,
    Remainder,
    UndoCancellation,
)
from billing.read_models import Cancellation, CreditNoteView, Undo
from support_desk.core.actors import Actor
from support_desk.core.errors import DomainError
from tests.services.billing.stateful.driver import Driver
from tests.services.billing.stateful.model import AGENT, STAFF, THRESHOLD, MInvoice, MNote, Plan


class Plans(Driver):
    """One `plan_*` per billing use case."""

    def plan_pay(self, inv: MInvoice, amount: int) -> Plan:
        error: type[DomainError] | None = None
        if inv.status not in ("unpaid", "partially_paid"):
            error = errors.InvoiceNotPayable
        elif amount > inv.balance:
            error = errors.ExceedsBalance
        cmd = RecordPayment(
            invoice_id=inv.id, amount_minor=amount, actor=STAFF, idempotency_key=self.key()
        )

        def paid(result: PaymentRecorded) -> None:
            inv.paid += amount
            inv.cash_paid += amount
            assert result.invoice.status == inv.status and result.invoice.paid_minor == inv.paid
            if inv.status == "paid":
                self.activate_services(inv)

        return Plan(billing.record_payment, cmd, error, paid)

    def plan_cancel(self, inv: MInvoice, who: str) -> Plan:
        stranger = next(c for c in self.customers if c != inv.customer)
        actor = {
            "customer": self.owner(inv),
            "agent": AGENT,
            "stranger": Actor.customer(stranger),
        }[who]
        live = self.live_cancellation(inv)
        error: type[DomainError] | None
        if who == "stranger":
            error = errors.NotYourInvoice
        elif inv.status == "canceled" and live is not None:
            error = None
        else:
            error = self.cancellation_error(inv, actor)
        cmd = CancelInvoice(
            invoice_id=inv.id, reason="changed my mind", actor=actor, idempotency_key=self.key()
        )

        waits = actor.is_staff and inv.total - inv.credited > THRESHOLD  # B11

        def cancelled(result: Cancellation) -> None:
            if live is not None:
                assert result.already_cancelled and result.credit_note.id == live.id
                return
            assert not result.already_cancelled
            self.record_cancellation(inv, result.credit_note, "cancellation", waits=waits)
            if waits:
                assert result.invoice.status == inv.status == "unpaid"
                return
            assert result.credit_note.self_service == (who == "customer")
            assert result.invoice.status == "canceled" and result.invoice.balance_minor == 0

        return Plan(billing.cancel_invoice, cmd, error, cancelled)

    def plan_undo(self, note: MNote, actor: Actor) -> Plan:
        inv = self.model.invoices[note.invoice]
        error: type[DomainError] | None = None
        already = note.status == "void" and note.self_service
        if actor.customer_id not in (None, inv.customer):
            error = errors.NotYourInvoice
        elif not already:
            if note.kind != "cancellation" or note.status != "issued" or not note.self_service:
                error = errors.UndoNotAllowed
            elif note.undo_until is not None and self.clock.now() > note.undo_until:
                error = errors.UndoWindowPassed
            elif inv.paid > 0 or note.refund or note.account_credit:
                error = errors.UndoNotAllowed
        cmd = UndoCancellation(credit_note_id=note.id, actor=actor, idempotency_key=self.key())

        def undone(result: Undo) -> None:
            assert result.already_undone == already
            if not already:
                note.status = "void"
                inv.settled -= note.settled
                inv.credited -= note.total
            assert result.credit_note.status == "void" and result.invoice.status == inv.status

        return Plan(billing.undo_cancellation, cmd, error, undone)

    def plan_credit(
        self,
        inv: MInvoice,
        actor: Actor,
        remainder: Remainder,
        *,
        amount: int | None = None,
        lines: tuple[LineCredit, ...] = (),
        total: int | None = None,
        error: type[DomainError] | None = None,
    ) -> Plan:
        """A credit note for `amount`, for `lines` (worth `total`), or for all that is left."""
        creditable = inv.total - inv.credited
        if total is None:
            total = creditable if amount is None else amount
        if error is None and amount is not None and amount > creditable:
            error = errors.ExceedsCreditableAmount
        if error is None and amount is None and not lines and creditable == 0:
            error = errors.NothingToCredit
        pending = actor.is_staff and total > THRESHOLD
        if error is None and not pending:
            error = self.expected_split_error(inv, total, remainder)
        cmd = IssueCreditNote(
            invoice_id=inv.id,
            reason="goodwill",
            actor=actor,
            idempotency_key=self.key(),
            lines=lines,
            amount_minor=amount,
            remainder=remainder,
        )

        def credited(result: CreditNoteView) -> None:
            assert result.total_minor == total and result.kind == "credit"
            note = MNote(
                result.id,
                inv.id,
                "credit",
                "pending_approval",
                total,
                actor.label,
                remainder.value,
            )
            self.model.notes[note.id] = note
            inv.credited += total
            if pending:
                assert result.status == "pending_approval" and result.number is None
            else:
                self.settle_note(note, result)

        return Plan(billing.issue_credit_note, cmd, error, credited)

    def plan_decide(self, note: MNote, admin: Actor, approve: bool, why: str = "no") -> Plan:
        inv = self.model.invoices[note.invoice]
        error: type[DomainError] | None = None
        if not approve and not why.strip():
            error = errors.InvalidInvoice
        elif note.status != "pending_approval":
            error = errors.CreditNoteNotPending
        elif admin.kind != "admin":
            error = errors.ApprovalNeedsAdmin
        elif admin.label == note.created_by:
            error = errors.OwnCreditNote
        # approved after its balance was paid, a note with nowhere to go becomes account credit
        effective = "account_credit" if note.remainder == "none" else note.remainder
        cancels = note.kind in ("cancellation", "split")
        if error is None and approve and cancels:  # B1: only while nothing was paid
            error = {"paid": errors.InvoicePaid}.get(inv.status)
            error = error or (errors.InvoicePartiallyPaid if inv.paid else None)
        if error is None and approve:
            error = self.expected_split_error(inv, note.total, effective)

        def approved(result: CreditNoteView) -> None:
            note.remainder = effective
            self.settle_note(note, result)
            assert result.decided_by == admin.label
            if cancels:
                assert self.invoice_view(inv.id).cancelled_with_id == note.id
            if note.kind == "split":
                self.issue_split_drafts(inv)

        def rejected(result: CreditNoteView) -> None:
            assert result.status == "rejected" and result.number is None
            assert (result.decided_by, result.decision_note) == (admin.label, why)
            note.status = "rejected"
            inv.credited -= note.total
            if note.kind == "split":
                self.drop_split_drafts(inv)

        if approve:
            cmd: Any = ApproveCreditNote(
                credit_note_id=note.id, actor=admin, idempotency_key=self.key()
            )
            return Plan(billing.approve_credit_note, cmd, error, approved)
        cmd = RejectCreditNote(
            credit_note_id=note.id, note=why, actor=admin, idempotency_key=self.key()
        )
        return Plan(billing.reject_credit_note, cmd, error, rejected)

    def issue_split_drafts(self, inv: MInvoice) -> None:
        """B7, B11: the approved split's drafts are issued; the model takes them in."""
        for draft_id in sorted(
            d for d, (source, _) in self.model.drafts.items() if source == inv.id
        ):
            _, lines = self.model.drafts.pop(draft_id)
            view = self.invoice_view(draft_id)
            assert view.split_from_id == inv.id
            self.add_invoice(view, lines)
            new = self.model.invoices[draft_id]  # published now: it takes account credit (B6)
            self.pay_from_account_credit_on_issue(new)
            assert (view.paid_minor, view.status) == (new.paid, new.status), view

    def drop_split_drafts(self, inv: MInvoice) -> None:
        for draft_id in sorted(
            d for d, (source, _) in self.model.drafts.items() if source == inv.id
        ):
            del self.model.drafts[draft_id]
            assert self.invoice_view(draft_id).status == "canceled"
            self.model.dropped_drafts.add(draft_id)

    def plan_apply_credit(self, inv: MInvoice, actor: Actor) -> Plan:
        available = self.model.account.get(inv.customer, 0)
        amount = min(available, inv.balance)
        error: type[DomainError] | None = None
        if actor.customer_id not in (None, inv.customer):
            error = errors.NotYourInvoice
        elif amount <= 0 or inv.status not in ("unpaid", "partially_paid"):
            error = errors.InsufficientAccountCredit
        cmd = ApplyAccountCredit(invoice_id=inv.id, actor=actor, idempotency_key=self.key())

        def applied(result: PaymentRecorded) -> None:
            assert result.payment.amount_minor == amount
            inv.paid += amount
            self.model.account[inv.customer] = available - amount
            if inv.status == "paid":
                self.activate_services(inv)

        return Plan(billing.apply_account_credit, cmd, error, applied)
