"""The rules of the money itself: plain use cases and the rare paths reached on purpose, and the
invariants checked after every step (abuse and retries: abuse.py)."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

import billing
from billing import errors
from billing.commands import (
    CreateCustomer,
    CreateService,
    IssueCreditNote,
    LineCredit,
    NewLine,
    Remainder,
)
from support_desk.core.actors import Actor
from tests.model_billing import problems, snapshot
from tests.services.billing.stateful.four_eyes import FourEyes
from tests.services.billing.stateful.model import (
    ADMIN,
    ADMIN_2,
    AGENT,
    STAFF,
    THRESHOLD,
    UNITS,
    MNote,
)

# What a staff credit note above the threshold is drawn from (its approval and its rejection).
STAFF_CREDIT_DRAWS = {
    "data": st.data(),
    "author": st.sampled_from([AGENT, ADMIN]),
    "remainder": st.sampled_from(list(Remainder)),
}


class BillingMachine(FourEyes):
    """The billing service layer on a real database, shadowed by `Model`."""

    @initialize()
    def customers_and_services(self) -> None:
        for n in range(2):
            c = self.call(
                billing.create_customer,
                CreateCustomer(
                    external_id=f"C{n}",
                    name=f"Customer {n}",
                    actor=STAFF,
                    idempotency_key=self.key(),
                ),
            )
            assert c is not None
            self.customers.append(c.id)
            for name in ("VPS", "Desk"):
                s = self.call(
                    billing.create_service,
                    CreateService(
                        customer_id=c.id, name=name, actor=STAFF, idempotency_key=self.key()
                    ),
                )
                assert s is not None
                self.model.services[s.id] = [c.id, "pending"]

    @rule(data=st.data())
    def issue_invoice(self, data: st.DataObject) -> None:
        customer = data.draw(st.sampled_from(self.customers), label="customer")
        self.new_invoice(customer, self.draw_lines(data, customer), take_credit=True)

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data(), how=st.sampled_from(["full", "part", "too much"]))
    def pay(self, data: st.DataObject, how: str) -> None:
        inv = self.pick(data, lambda i: i.status in ("unpaid", "partially_paid"))
        balance = max(inv.balance, 1)
        amount = {
            "full": balance,
            "part": data.draw(st.integers(1, balance), label="part"),
            "too much": balance + 1,
        }[how]
        self.execute(self.plan_pay(inv, amount))

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data(), who=st.sampled_from(["customer", "agent", "stranger"]))
    def cancel(self, data: st.DataObject, who: str) -> None:
        self.execute(self.plan_cancel(self.pick(data, lambda i: i.status == "unpaid"), who))

    @precondition(lambda self: any(self.self_cancellable(i) for i in self.model.invoices.values()))
    @rule(data=st.data())
    def customer_cancels_own_invoice(self, data: st.DataObject) -> None:
        """B1/B4: the self-service path, so undo has windows to use or miss."""
        self.execute(self.plan_cancel(self.pick(data, self.self_cancellable), "customer"))

    @rule(minutes=st.sampled_from([1, 5, 21]))
    def advance_clock(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @precondition(lambda self: self.undoable())
    @rule(data=st.data())
    def undo(self, data: st.DataObject) -> None:
        candidates = self.undoable()
        fresh = [n for n in candidates if n.self_service and n.status == "issued"]
        biased = bool(fresh) and data.draw(st.booleans(), label="bias")
        note = data.draw(st.sampled_from(fresh if biased else candidates), label="note")
        self.execute(self.plan_undo(note, self.owner(self.model.invoices[note.invoice])))

    @precondition(lambda self: self.model.invoices)
    @rule(
        data=st.data(),
        mode=st.sampled_from(["amount", "lines", "full"]),
        actor=st.sampled_from([AGENT, ADMIN, STAFF]),
        remainder=st.sampled_from(list(Remainder)),
    )
    def issue_credit_note(
        self, data: st.DataObject, mode: str, actor: Actor, remainder: Remainder
    ) -> None:
        inv = self.pick(data, lambda i: i.credited < i.total and i.paid > 0)
        creditable = inv.total - inv.credited
        if mode == "amount":
            amount = data.draw(
                st.integers(1, creditable + 500) | st.sampled_from([creditable, THRESHOLD + 1]),
                label="amount",
            )
            self.execute(self.plan_credit(inv, actor, remainder, amount=max(amount, 1)))
        elif mode == "lines":
            view = self.invoice_view(inv.id)
            line = data.draw(st.sampled_from(view.lines), label="line")
            rest = line.net_minor - line.credited_net_minor
            net = None if rest <= 1 else data.draw(st.none() | st.integers(1, rest), label="net")
            lines = (LineCredit(line.id, net),)
            probe = IssueCreditNote(inv.id, "goodwill", actor, lines=lines, remainder=remainder)
            try:
                total = self.run(self.tx.read(billing.preview_credit_note, probe)).total_minor
                assert total <= creditable
                plan = self.plan_credit(inv, actor, remainder, lines=lines, total=total)
            except errors.NothingToCredit:
                plan = self.plan_credit(
                    inv, actor, remainder, lines=lines, total=0, error=errors.NothingToCredit
                )
            self.execute(plan)
        else:
            self.execute(self.plan_credit(inv, actor, remainder))

    @precondition(
        lambda self: any(i.total - i.credited > THRESHOLD for i in self.model.invoices.values())
    )
    @rule(data=st.data(), remainder=st.sampled_from(list(Remainder)))
    def agent_asks_for_a_credit_above_the_threshold(
        self, data: st.DataObject, remainder: Remainder
    ) -> None:
        """B11: it waits for an admin, its amount reserved."""
        inv = self.pick(data, lambda i: i.total - i.credited > THRESHOLD)
        self.execute(self.plan_credit(inv, AGENT, remainder))

    @precondition(lambda self: self.model.notes)
    @rule(data=st.data(), admin=st.sampled_from([ADMIN, ADMIN_2, AGENT]), approve=st.booleans())
    def decide(self, data: st.DataObject, admin: Actor, approve: bool) -> None:
        pending = sorted(n.id for n in self.model.notes.values() if n.status == "pending_approval")
        pool = pending or sorted(self.model.notes)
        note = self.model.notes[data.draw(st.sampled_from(pool), label="note")]
        self.execute(self.plan_decide(note, admin, approve))

    # --- targeted rules: the rarely reached paths, reached on purpose --------------------------

    @rule(data=st.data())
    def refund_to_account_credit_then_pay_another_invoice_with_it(
        self, data: st.DataObject
    ) -> None:
        """B6, B9: a paid invoice is credited to account credit, and the customer pays another
        unpaid invoice of theirs with it."""
        customer = data.draw(st.sampled_from(self.customers), label="customer")
        paid = self.refund_to_account_credit(data, customer)
        due = self.payable_invoice(data, customer, other_than=paid.id)
        if self.execute(self.plan_apply_credit(due, self.owner(due))) is not None:
            self.seen("path: refund to account credit, then paid another invoice with it")

    @rule(**STAFF_CREDIT_DRAWS)
    def staff_credit_above_the_threshold_then_another_admin_approves(
        self, data: st.DataObject, author: Actor, remainder: Remainder
    ) -> None:
        """B11, M13: above 100.00 a staff credit note waits; its author cannot decide it,
        another admin approves it."""
        note, decider = self.pending_staff_credit(data, author, remainder)
        if self.execute(self.plan_decide(note, decider, True)):
            self.seen("path: above-threshold credit approved by another admin")

    @rule(**STAFF_CREDIT_DRAWS)
    def staff_credit_above_the_threshold_then_an_admin_rejects(
        self, data: st.DataObject, author: Actor, remainder: Remainder
    ) -> None:
        """B11: a rejection without a note is refused and changes nothing; with one, it stands.
        (A rule of its own, not a branch of the approval's, so neither path starves.)"""
        note, decider = self.pending_staff_credit(data, author, remainder)
        assert self.execute(self.plan_decide(note, decider, False, why="  ")) is None
        if self.execute(self.plan_decide(note, decider, False, why="not covered")) is not None:
            self.seen("path: above-threshold credit rejected with a note")

    def pending_staff_credit(
        self, data: st.DataObject, author: Actor, remainder: Remainder
    ) -> tuple[MNote, Actor]:
        """A staff credit note above the threshold, waiting; its author has tried to decide it
        (refused); returns it and an admin who may decide it."""
        inv = self.big_invoice(data)
        amount = data.draw(st.integers(THRESHOLD + 1, inv.total - inv.credited), label="amount")
        view = self.execute(self.plan_credit(inv, author, remainder, amount=amount))
        assert view is not None and view.status == "pending_approval"
        note = self.model.notes[view.id]
        if author.kind == "admin":
            self.try_to_decide_own_note(note, author)
        decider = ADMIN_2 if author == ADMIN else data.draw(st.sampled_from([ADMIN, ADMIN_2]))
        return note, decider

    @rule(data=st.data())
    def admin_tries_to_decide_their_own_credit_note(self, data: st.DataObject) -> None:
        """M13: self-approval (and self-rejection) is refused, audited, and changes nothing."""
        mine = self.admins_pending_notes()
        if mine:
            note = data.draw(st.sampled_from(mine), label="note")
        else:
            inv = self.big_invoice(data)
            view = self.execute(self.plan_credit(inv, ADMIN, Remainder.ACCOUNT_CREDIT))
            assert view is not None and view.status == "pending_approval"
            note = self.model.notes[view.id]
        author = ADMIN if note.created_by == ADMIN.label else ADMIN_2
        self.try_to_decide_own_note(note, author)

    @rule(data=st.data(), who=st.sampled_from(["customer", "agent"]))
    def terminate_service(self, data: st.DataObject, who: str) -> None:
        live = sorted(
            s for s, (_, status) in self.model.services.items() if status != "terminated"
        )
        every = sorted(self.model.services)
        service = data.draw(st.sampled_from(live or every) | st.sampled_from(every), label="svc")
        customer, _ = self.model.services[service]
        actor = Actor.customer(customer) if who == "customer" else AGENT
        self.execute(self.plan_terminate(service, actor))

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data())
    def split(self, data: st.DataObject) -> None:
        """B7; with no invoice worth splitting, one is made."""
        candidates = [i for i in self.model.invoices.values() if len(i.lines) > 1]
        if not any(map(self.splittable, candidates)):
            customer = data.draw(st.sampled_from(self.customers), label="customer")
            unit = data.draw(UNITS, label="unit")
            lines = [NewLine(f"Part {n}", 1, unit + n, tax_rate_bp=2000) for n in range(3)]
            candidates.append(self.new_invoice(customer, lines))
        pool = sorted(candidates, key=lambda i: i.id)
        good = [i for i in pool if self.splittable(i)]
        biased = bool(good) and data.draw(st.integers(0, 3), label="bias") > 0
        inv = data.draw(st.sampled_from(good if biased else pool), label="invoice")
        kept = data.draw(
            st.lists(st.sampled_from(inv.lines), unique_by=lambda ln: ln.id, max_size=4),
            label="kept",
        )
        cut = data.draw(st.integers(0, len(kept)), label="cut")
        self.execute(self.plan_split(inv, [g for g in (kept[:cut], kept[cut:]) if g]))

    @precondition(lambda self: any(v > 0 for v in self.model.account.values()))
    @rule(data=st.data())
    def apply_account_credit(self, data: st.DataObject) -> None:
        inv = self.pick(
            data, lambda i: self.model.account.get(i.customer, 0) > 0 and i.status == "unpaid"
        )
        self.execute(self.plan_apply_credit(inv, self.owner(inv)))

    @invariant()
    def the_books_balance(self) -> None:
        """M7: ledger, counters, numbering and account credit, straight from the tables."""
        snap = self.run(snapshot(self.tx))
        found = problems(snap)
        assert not found, "\n".join(found)
        self.compare(snap)

    @invariant()
    def the_model_is_sane(self) -> None:
        for inv in self.model.invoices.values():
            assert 0 <= inv.balance <= inv.total
            assert 0 <= inv.settled <= inv.credited <= inv.total
            assert inv.refunded <= inv.cash_paid <= inv.paid
