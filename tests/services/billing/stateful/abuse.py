"""The rules of abuse and of retries: a stranger acting on another customer's invoice, the same
command tapped twice at once, a replayed command, a key reused for another request."""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from support_desk.core.actors import Actor
from support_desk.core.errors import IdempotencyKeyReused
from tests.model_billing import snapshot
from tests.services.billing.stateful.scenes import Scenes


class AbuseAndRetries(Scenes):
    """What customers and clients do wrong or twice; every time, the books must not move."""

    # TG5, B1: customer B cancels, undoes or pays with credit A's invoice: refused with
    # NotYourInvoice, audited, nothing changes. One rule per action, so each gets its own share
    # of the steps (one rule drawing the action starved the rarer two in some runs).

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data())
    def another_customer_cancels_an_invoice(self, data: st.DataObject) -> None:
        inv = self.pick(data, lambda i: i.status == "unpaid")
        self.refused_as_forged(self.plan_cancel(inv, "stranger"), inv, "cancel")

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data())
    def another_customer_undoes_a_cancellation(self, data: st.DataObject) -> None:
        notes = self.undoable()
        note = (
            data.draw(st.sampled_from(notes), label="note")
            if notes
            else self.fresh_self_service_cancellation(data)[0]
        )
        inv = self.model.invoices[note.invoice]
        self.refused_as_forged(self.plan_undo(note, self.stranger_to(inv)), inv, "undo")

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data())
    def another_customer_pays_an_invoice_with_credit(self, data: st.DataObject) -> None:
        inv = self.pick(data, lambda i: i.status == "unpaid")
        plan = self.plan_apply_credit(inv, self.stranger_to(inv))
        self.refused_as_forged(plan, inv, "apply credit")

    # M3, M5: one rule per kind of double tap, for the same reason as above.

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data())
    def double_tap_a_payment(self, data: st.DataObject) -> None:
        self.double_tap(data, "pay")

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data())
    def double_tap_a_credit_note(self, data: st.DataObject) -> None:
        self.double_tap(data, "credit")

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data())
    def double_tap_a_payment_from_account_credit(self, data: st.DataObject) -> None:
        self.double_tap(data, "apply credit")

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data())
    def double_tap_a_cancellation(self, data: st.DataObject) -> None:
        self.double_tap(data, "cancel")

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data())
    def double_tap_an_undo(self, data: st.DataObject) -> None:
        self.double_tap(data, "undo")

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data())
    def double_tap_an_approval_decision(self, data: st.DataObject) -> None:
        self.double_tap(data, "decide")

    @precondition(lambda self: self.last is not None)
    @rule()
    def replay_last_command(self) -> None:
        assert self.last is not None
        use_case, cmd, first = self.last
        before = self.fingerprint(self.run(snapshot(self.tx)))

        again = self.run(self.tx.run(use_case, cmd))

        assert again == first
        assert self.fingerprint(self.run(snapshot(self.tx))) == before
        self.seen("path: replay answered as the first time, nothing changed")

    @precondition(lambda self: self.last is not None)
    @rule()
    def reuse_key_for_another_request(self) -> None:
        assert self.last is not None
        use_case, cmd, _ = self.last
        before = self.fingerprint(self.run(snapshot(self.tx)))
        other = dataclasses.replace(cmd, actor=Actor.system("someone-else"))

        try:
            self.run(self.tx.run(use_case, other))
        except IdempotencyKeyReused:
            pass
        else:
            raise AssertionError(f"key {cmd.idempotency_key} reused without refusal")

        assert self.fingerprint(self.run(snapshot(self.tx))) == before
        self.seen("path: key reused for another request refused")
