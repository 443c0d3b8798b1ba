"""What the rules need set up first: an invoice of the right kind, a fresh cancellation, a
pending note, a stranger; made through the plans when the history has none."""

from __future__ import annotations

from hypothesis import strategies as st

from billing import errors
from billing.commands import NewLine, Remainder
from support_desk.core.actors import Actor
from tests.model_billing import Snapshot
from tests.services.billing.stateful.model import (
    ADMIN,
    ADMIN_2,
    AGENT,
    RATES_BP,
    STAFF,
    THRESHOLD,
    UNITS,
    MInvoice,
    MNote,
    Plan,
)
from tests.services.billing.stateful.plans import Plans


class Scenes(Plans):
    """Helpers of the rules; none of them is a rule."""

    def self_cancellable(self, inv: MInvoice) -> bool:
        return inv.status == "unpaid" and self.cancellation_error(inv, self.owner(inv)) is None

    def undoable(self) -> list[MNote]:
        return sorted(
            (n for n in self.model.notes.values() if n.kind in ("cancellation", "split")),
            key=lambda n: n.id,
        )

    def paid_invoice(self, data: st.DataObject, customer: int) -> MInvoice:
        """A paid invoice of `customer` with something left to credit; made when none is."""
        paid = [
            i
            for _, i in sorted(self.model.invoices.items())
            if i.customer == customer and i.status == "paid" and i.credited < i.total
        ]
        if paid:
            return data.draw(st.sampled_from(paid), label="paid invoice")
        inv = self.new_invoice(customer, self.draw_lines(data, customer))
        assert self.execute(self.plan_pay(inv, inv.balance)) is not None
        return inv

    def payable_invoice(self, data: st.DataObject, customer: int, other_than: int) -> MInvoice:
        """An invoice of `customer` with a balance to pay; made when none is."""
        due = [
            i
            for _, i in sorted(self.model.invoices.items())
            if i.customer == customer
            and i.id != other_than
            and i.status in ("unpaid", "partially_paid")
        ]
        if due:
            return data.draw(st.sampled_from(due), label="due invoice")
        return self.new_invoice(customer, self.draw_lines(data, customer))

    def big_invoice(self, data: st.DataObject) -> MInvoice:
        """An invoice with more than the approval threshold left to credit; made when none is."""
        big = [
            i for _, i in sorted(self.model.invoices.items()) if i.total - i.credited > THRESHOLD
        ]
        if big:
            return data.draw(st.sampled_from(big), label="big invoice")
        customer = data.draw(st.sampled_from(self.customers), label="customer")
        unit = data.draw(st.integers(THRESHOLD + 1, 3 * THRESHOLD), label="big unit")
        rate = data.draw(st.sampled_from(RATES_BP), label="rate")
        return self.new_invoice(customer, [NewLine("Big item", 1, unit, tax_rate_bp=rate)])

    def refund_to_account_credit(self, data: st.DataObject, customer: int) -> MInvoice:
        """Credit part of a paid invoice of `customer` to their account credit; returns it."""
        paid = self.paid_invoice(data, customer)
        amount = data.draw(st.integers(1, paid.total - paid.credited), label="amount")
        actor = STAFF if amount > THRESHOLD else data.draw(st.sampled_from([STAFF, ADMIN, AGENT]))
        note = self.execute(self.plan_credit(paid, actor, Remainder.ACCOUNT_CREDIT, amount=amount))
        assert note is not None and note.account_credit_minor == amount, note
        return paid

    def admins_pending_notes(self) -> list[MNote]:
        return sorted(
            (
                n
                for n in self.model.notes.values()
                if n.status == "pending_approval" and n.created_by.startswith("admin:")
            ),
            key=lambda n: n.id,
        )

    def try_to_decide_own_note(self, note: MNote, author: Actor) -> None:
        for approve in (True, False):
            plan = self.plan_decide(note, author, approve)
            assert plan.error is errors.OwnCreditNote
            self.refused_without_trace(plan, author)
        self.seen("path: self-approval refused")

    def stranger_to(self, inv: MInvoice) -> Actor:
        return Actor.customer(next(c for c in self.customers if c != inv.customer))

    def refused_as_forged(self, plan: Plan, inv: MInvoice, action: str) -> None:
        assert plan.error is errors.NotYourInvoice
        self.refused_without_trace(plan, plan.cmd.actor)
        self.seen(f"path: forged {action} refused")

    def double_tap(self, data: st.DataObject, kind: str) -> None:
        """M3, M5: the same command (same key) twice at once on two sessions has one effect, and
        both taps get the same answer. With nothing of `kind` to tap on, it sets one up."""
        plan: Plan | None = None
        if kind == "apply credit":
            customer = data.draw(st.sampled_from(self.customers), label="customer")
            if not self.model.account.get(customer):
                self.refund_to_account_credit(data, customer)
            inv = self.payable_invoice(data, customer, other_than=0)
            plan = self.plan_apply_credit(inv, self.owner(inv))
        elif kind == "undo":
            plan = self.plan_undo(*self.fresh_self_service_cancellation(data))
        elif kind == "decide":
            note = self.pending_note(data)
            admin = ADMIN_2 if note.created_by == ADMIN.label else ADMIN
            plan = self.plan_decide(note, admin, data.draw(st.booleans(), label="approve"))
        elif kind == "cancel":
            who = data.draw(st.sampled_from(["customer", "agent"]), label="who")
            plan = self.plan_cancel(self.cancellable(data, who), who)
        elif kind == "credit":
            open_ = [i for _, i in sorted(self.model.invoices.items()) if i.credited < i.total]
            inv = (
                data.draw(st.sampled_from(open_), label="invoice")
                if open_
                else self.plain_invoice(data, data.draw(st.sampled_from(self.customers)))
            )
            amount = data.draw(st.integers(1, inv.total - inv.credited), label="amount")
            remainder = data.draw(st.sampled_from(list(Remainder)), label="remainder")
            actor = data.draw(st.sampled_from([STAFF, ADMIN]), label="actor")
            plan = self.plan_credit(inv, actor, remainder, amount=amount)
        if plan is None:  # nothing of that kind to tap on: pay instead
            kind = "pay"
            inv = self.pick(data, lambda i: i.status in ("unpaid", "partially_paid"))
            plan = self.plan_pay(inv, max(inv.balance, 1))
        if self.execute_twice(plan) is not None:
            self.seen(f"path: double tap on {kind}, one effect")

    def plain_invoice(self, data: st.DataObject, customer: int) -> MInvoice:
        """A one-line invoice for no service, which its customer may cancel and undo."""
        unit = data.draw(UNITS, label="unit")
        rate = data.draw(st.sampled_from(RATES_BP), label="rate")
        return self.new_invoice(customer, [NewLine("Plain item", 1, unit, tax_rate_bp=rate)])

    def cancellable(self, data: st.DataObject, who: str) -> MInvoice:
        """An invoice `who` may cancel now; made when none is."""
        ok = [
            i
            for _, i in sorted(self.model.invoices.items())
            if i.status == "unpaid"
            and self.cancellation_error(i, self.owner(i) if who == "customer" else AGENT) is None
        ]
        if ok:
            return data.draw(st.sampled_from(ok), label="cancellable")
        return self.plain_invoice(data, data.draw(st.sampled_from(self.customers)))

    def fresh_self_service_cancellation(self, data: st.DataObject) -> tuple[MNote, Actor]:
        """A customer's own cancellation still inside its undo window; made when none is."""
        now = self.clock.now()
        fresh = [
            n
            for n in self.undoable()
            if n.self_service
            and n.status == "issued"
            and (n.undo_until is None or now <= n.undo_until)
        ]
        if fresh:
            note = data.draw(st.sampled_from(fresh), label="fresh note")
        else:
            inv = self.cancellable(data, "customer")
            view = self.execute(self.plan_cancel(inv, "customer"))
            assert view is not None
            note = self.model.notes[view.credit_note.id]
        return note, self.owner(self.model.invoices[note.invoice])

    def pending_note(self, data: st.DataObject) -> MNote:
        """A credit note awaiting approval; an agent asks for one when none is."""
        pending = sorted(
            (n for n in self.model.notes.values() if n.status == "pending_approval"),
            key=lambda n: n.id,
        )
        if pending:
            return data.draw(st.sampled_from(pending), label="pending note")
        inv = self.big_invoice(data)
        view = self.execute(self.plan_credit(inv, AGENT, Remainder.ACCOUNT_CREDIT))
        assert view is not None and view.status == "pending_approval"
        return self.model.notes[view.id]

    def splittable(self, inv: MInvoice) -> bool:
        return len(inv.lines) > 1 and not inv.credited and not self.cancellation_error(inv, AGENT)

    def compare(self, snap: Snapshot) -> None:
        """The database says what the model says."""
        drafts = set(self.model.drafts) | self.model.dropped_drafts
        assert set(snap.invoices) == set(self.model.invoices) | drafts
        for draft_id in drafts:
            status = "draft" if draft_id in self.model.drafts else "canceled"
            assert (snap.invoices[draft_id].status, snap.invoices[draft_id].number) == (
                status,
                None,
            )
        for inv in self.model.invoices.values():
            row = snap.invoices[inv.id]
            assert (
                row.status,
                row.total_minor,
                row.paid_minor,
                row.credited_minor,
                row.settled_minor,
                row.refunded_minor,
            ) == (inv.status, inv.total, inv.paid, inv.credited, inv.settled, inv.refunded), (
                inv,
                row.status,
            )
        notes = {n.id: n for n in snap.notes}
        assert set(notes) == set(self.model.notes)
        for note in self.model.notes.values():
            cn = notes[note.id]
            assert (cn.status, cn.total_minor, cn.settled_minor, cn.refund_minor) == (
                note.status,
                note.total,
                note.settled,
                note.refund,
            ), note
        balances = {c.customer_id: c.balance_minor for c in snap.credits}
        for customer in self.customers:
            assert balances.get(customer, 0) == self.model.account.get(customer, 0)
