"""The machine's plumbing: a fresh database per example, one event loop, calls counted by
outcome, a command run once or tapped twice, and the expectations shared by the rules."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

import billing
from billing import errors
from billing.commands import IssueInvoice, NewLine
from billing.read_models import CreditNoteView, InvoiceView
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.db import make_engine
from support_desk.core.errors import DomainError
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor, UnitOfWork
from tests import backends
from tests.model_billing import Snapshot, refusals, snapshot
from tests.services.billing.stateful.model import (
    RATES_BP,
    STAFF,
    UNITS,
    MInvoice,
    MLine,
    MNote,
    Model,
    Plan,
    T,
    half_up_tax,
    sqlite_template,
)


class Driver(RuleBasedStateMachine):
    """What every rule stands on: its own database and event loop, the model, the counted calls."""

    database_url: ClassVar[str | None] = None  # PostgreSQL when set, else a SQLite copy
    coverage: ClassVar[Counter[str]] = Counter()  # what ran and how it ended, over a whole run

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp: Path | None = None
        if self.database_url is None:
            self.tmp = Path(tempfile.mkdtemp(prefix="sd-example-"))
            url = backends.sqlite_copy(sqlite_template(), self.tmp)
        else:
            url = self.database_url
        self.engine = make_engine(url)
        if self.engine.dialect.name == "postgresql":
            self.run(backends.truncate_all(self.engine))
        self.clock = FrozenClock()
        self.settings = Settings(database_url=url)
        self.tx = Transactor(self.engine, self.clock, self.settings)
        self.model = Model()
        self.customers: list[int] = []
        self.keys = itertools.count(1)
        self.last: tuple[Callable[..., Any], Any, Any] | None = None

    def teardown(self) -> None:
        try:
            self.run(self.engine.dispose())
        finally:
            self.loop.close()
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def key(self) -> str:
        return f"k{next(self.keys)}"

    def seen(self, label: str) -> None:
        """Count an outcome, for `--hypothesis-show-statistics` and the coverage test."""
        event(label)
        self.coverage[label] += 1

    def call(
        self,
        use_case: Callable[[UnitOfWork, Any], Awaitable[T]],
        cmd: Any,
        error: type[DomainError] | None = None,
    ) -> T | None:
        """Run one command; it must succeed when `error` is None, else be refused with it."""
        try:
            result = self.run(self.tx.run(use_case, cmd))
        except DomainError as exc:
            if error is None:
                raise AssertionError(f"unexpected refusal {exc!r} of {cmd}") from exc
            assert type(exc) is error, f"expected {error.__name__}, got {exc!r} for {cmd}"
            self.seen(f"{use_case.__name__}: refused with {error.__name__}")
            return None
        assert error is None, f"expected {error.__name__}, got success {result!r} for {cmd}"
        self.seen(f"{use_case.__name__}: done")
        self.last = (use_case, cmd, result)
        return result

    def execute(self, plan: Plan) -> Any:
        """Run a plan once; on success the model follows. Returns the result or None."""
        result = self.call(plan.use_case, plan.cmd, plan.error)
        if result is not None:
            plan.apply(result)
        return result

    def execute_twice(self, plan: Plan) -> Any:
        """M3/M5: run a plan twice at once, same key, each in its own session.

        Neither tap may see RequestInProgress: the key is reserved by an INSERT in the same
        transaction that stores the result (support_desk/core/idempotency.py), so the twin
        waits for it (the unique index on PostgreSQL, BEGIN IMMEDIATE on SQLite) and then finds
        the stored result. A refusal rolls the reservation back, so both taps are refused alike.
        """

        async def both() -> tuple[Any, Any]:
            return await asyncio.gather(
                self.tx.run(plan.use_case, plan.cmd),
                self.tx.run(plan.use_case, plan.cmd),
                return_exceptions=True,
            )

        first, second = self.run(both())
        name = plan.use_case.__name__
        for tap in (first, second):
            if isinstance(tap, BaseException) and type(tap) is not plan.error:
                raise AssertionError(f"double tap of {plan.cmd}: a tap got {tap!r}") from tap
            if plan.error is not None and not isinstance(tap, plan.error):
                raise AssertionError(f"double tap of {plan.cmd}: expected {plan.error}, got {tap}")
        if plan.error is not None:
            self.seen(f"{name}: refused with {plan.error.__name__}")
            self.seen(f"double tap {name}: both refused with {plan.error.__name__}")
            return None
        assert first == second, f"double tap of {plan.cmd} answered twice differently"
        self.seen(f"{name}: done")
        self.seen(f"double tap {name}: done once, same answer twice")
        plan.apply(first)
        self.last = (plan.use_case, plan.cmd, first)
        return first

    def refused_without_trace(self, plan: Plan, actor: Actor) -> None:
        """A security refusal (TG5, M13): nothing changes but one audited refusal by `actor`."""
        assert plan.error is not None
        before = self.fingerprint(self.run(snapshot(self.tx)))
        kept = len(self.run(refusals(self.tx)))
        assert self.execute(plan) is None
        assert self.fingerprint(self.run(snapshot(self.tx))) == before
        new = self.run(refusals(self.tx))[kept:]
        assert [(r.actor, r.use_case, r.code) for r in new] == [
            (actor.label, plan.use_case.__name__, plan.error.code)
        ], new

    def pick(self, data: st.DataObject, wanted: Callable[[MInvoice], bool]) -> MInvoice:
        """An invoice, usually one where the rule has something to do (so refusals and
        successes both come up often), sometimes any."""
        invoices = sorted(self.model.invoices.values(), key=lambda i: i.id)
        good = [i for i in invoices if wanted(i)]
        biased = bool(good) and data.draw(st.integers(0, 3), label="bias") > 0
        pool = good if biased else invoices
        return data.draw(st.sampled_from(pool), label="invoice")

    def invoice_view(self, invoice_id: int) -> InvoiceView:
        return self.run(self.tx.read(billing.queries.invoice_view, invoice_id))

    def owner(self, invoice: MInvoice) -> Actor:
        return Actor.customer(invoice.customer)

    def add_invoice(self, view: InvoiceView, lines: list[NewLine]) -> None:
        net = sum(ln.quantity * ln.unit_price_minor for ln in lines)
        tax = sum(half_up_tax(ln.quantity * ln.unit_price_minor, ln.tax_rate_bp) for ln in lines)
        assert (view.net_minor, view.tax_minor, view.total_minor) == (net, tax, net + tax)
        assert view.number is not None
        mlines = [
            MLine(v.id, ln.service_id, ln.quantity, ln.unit_price_minor, ln.tax_rate_bp)
            for v, ln in zip(view.lines, lines, strict=True)
        ]
        services = {ln.service_id for ln in lines if ln.service_id is not None}
        self.model.invoices[view.id] = MInvoice(
            view.id, view.customer_id, net + tax, len(services) > 1, mlines
        )

    def settle_note(self, note: MNote, view: CreditNoteView) -> None:
        """Apply an issued note to the model the way B6/B9 say, and compare with the view."""
        inv = self.model.invoices[note.invoice]
        settled = min(note.total, max(inv.balance, 0))
        rest = note.total - settled
        refund = rest if note.remainder == "refund" else 0
        credit = rest if note.remainder == "account_credit" else 0
        assert (view.settled_minor, view.refund_minor, view.account_credit_minor) == (
            settled,
            refund,
            credit,
        ), view
        assert view.status == "issued" and view.number is not None
        note.status, note.settled, note.refund, note.account_credit = (
            "issued",
            *(
                settled,
                refund,
                credit,
            ),
        )
        inv.settled += settled
        inv.refunded += refund
        self.model.account[inv.customer] = self.model.account.get(inv.customer, 0) + credit

    def expected_split_error(
        self, inv: MInvoice, total: int, remainder: str
    ) -> type[DomainError] | None:
        rest = total - min(total, max(inv.balance, 0))
        if rest == 0 or remainder == "account_credit":
            return None
        if remainder == "refund":
            refundable = inv.cash_paid - inv.refunded
            return errors.ExceedsRefundableAmount if rest > refundable else None
        return errors.RemainderNeedsDestination

    def cancellation_error(self, inv: MInvoice, actor: Actor) -> type[DomainError] | None:
        if inv.status == "paid":
            return errors.InvoicePaid
        if inv.paid > 0:
            return errors.InvoicePartiallyPaid
        if inv.status != "unpaid":
            return errors.InvoiceNotCancellable
        if actor.customer_id is not None:
            if inv.compound:
                return errors.InvoiceIsCompound
            in_use = {ln.service_id for ln in inv.lines} & {
                s for s, (_, status) in self.model.services.items() if status == "active"
            }
            if in_use:
                return errors.ServiceInUse
        if inv.credited > inv.settled:
            return errors.CreditNotePending
        return None

    def record_cancellation(
        self, inv: MInvoice, view: CreditNoteView, kind: str, *, waits: bool = False
    ) -> None:
        """A cancellation's credit note: issued, or (B11) waiting for an admin."""
        assert view.kind == kind and view.total_minor == inv.total - inv.credited
        note = MNote(view.id, inv.id, kind, "pending_approval", view.total_minor, view.created_by)
        self.model.notes[view.id] = note
        inv.credited += note.total
        if waits:
            assert view.status == "pending_approval" and view.number is None
            return
        self.settle_note(note, view)
        note.self_service, note.undo_until = view.self_service, view.undo_until

    def live_cancellation(self, inv: MInvoice) -> MNote | None:
        return next(
            (
                n
                for n in self.model.notes.values()
                if n.invoice == inv.id and n.kind in ("cancellation", "split")
                if n.status == "issued"
            ),
            None,
        )

    def activate_services(self, inv: MInvoice) -> None:
        for ln in inv.lines:
            if ln.service_id is not None and self.model.services[ln.service_id][1] == "pending":
                self.model.services[ln.service_id][1] = "active"

    def draw_lines(self, data: st.DataObject, customer: int) -> list[NewLine]:
        services = [
            None,
            *(
                s
                for s, (c, status) in sorted(self.model.services.items())
                if c == customer and status != "terminated"
            ),
        ]
        return [
            NewLine(
                name=f"Item {i}",
                quantity=data.draw(st.integers(1, 3), label="qty"),
                unit_price_minor=data.draw(UNITS, label="unit"),
                tax_rate_bp=data.draw(st.sampled_from(RATES_BP), label="rate"),
                service_id=data.draw(st.sampled_from(services), label="service"),
            )
            for i in range(data.draw(st.integers(1, 4), label="lines"))
        ]

    def new_invoice(
        self, customer: int, lines: list[NewLine], *, take_credit: bool = False
    ) -> MInvoice:
        """Issue an invoice; with `take_credit` as billing is set up by default (B6: account
        credit pays it), else with that setting off, for scenes that need an unpaid one."""
        cmd = IssueInvoice(
            customer_id=customer,
            currency="EUR",
            lines=tuple(lines),
            actor=STAFF,
            idempotency_key=self.key(),
        )
        usual = self.settings.billing
        self.settings.billing = usual.model_copy(
            update={"apply_account_credit_on_issue": take_credit}
        )
        try:
            view = self.call(billing.issue_invoice, cmd)
        finally:
            self.settings.billing = usual
        assert view is not None
        self.add_invoice(view, lines)
        inv = self.model.invoices[view.id]
        if take_credit:
            self.pay_from_account_credit_on_issue(inv)
        assert (view.paid_minor, view.status) == (inv.paid, inv.status), view
        return inv

    def pay_from_account_credit_on_issue(self, inv: MInvoice) -> None:
        """B6: a new invoice takes what it can of its customer's account credit."""
        amount = min(self.model.account.get(inv.customer, 0), inv.balance)
        if amount > 0:
            inv.paid += amount
            self.model.account[inv.customer] -= amount
            self.seen("path: account credit paid a new invoice on issue")
            if inv.status == "paid":
                self.activate_services(inv)

    @staticmethod
    def fingerprint(snap: Snapshot) -> tuple[object, ...]:
        return (
            len(snap.journal),
            sorted((n.id, n.status, n.number) for n in snap.notes),
            sorted(
                (i.id, i.status, i.paid_minor, i.credited_minor, i.settled_minor)
                for i in snap.invoices.values()
            ),
            sorted((c.customer_id, c.balance_minor) for c in snap.credits),
            dict(snap.series),
        )
