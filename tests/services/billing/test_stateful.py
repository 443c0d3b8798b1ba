"""O1, M7: random sequences of billing use cases against a plain-dict model, with the money
invariants (tests/model_billing.py) and the model checked after every step.

Besides the plain use cases, targeted rules reach the rare paths on purpose (setting up what
they need when the history has not): a paid invoice credited to account credit that then pays
another invoice (B6, B9); staff credit notes above the threshold approved by another admin or
rejected with a note, and self-approval refused (B11, M13); the same command tapped twice at once
on two sessions (M3, M5); customer B acting on customer A's invoice (TG5). Every outcome is
counted with `hypothesis.event` (see `--hypothesis-show-statistics`) and printed per test; a
derandomized run asserts that every important outcome still comes up.

Hypothesis rules cannot be async, so the machine owns one event loop and runs each call with
`loop.run_until_complete`. Each example gets a fresh database: a copy of a migrated SQLite
template, or (slow tier) the PostgreSQL test database truncated. A failure prints the shrunk
step sequence and the seed; re-run with `--hypothesis-seed=<seed>` to reproduce it (O7).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
import shutil
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import billing
from billing import PaymentRecorded, errors
from billing.commands import (
    ApplyAccountCredit,
    ApproveCreditNote,
    CancelInvoice,
    CreateCustomer,
    CreateService,
    IssueCreditNote,
    IssueInvoice,
    LineCredit,
    NewLine,
    RecordPayment,
    RejectCreditNote,
    Remainder,
    SplitInvoice,
    TerminateService,
    UndoCancellation,
)
from billing.money import line_tax
from billing.views import Cancellation, CreditNoteView, InvoiceView, Undo
from support_desk.core.actors import Actor
from support_desk.core.clock import FrozenClock
from support_desk.core.db import make_engine
from support_desk.core.errors import DomainError, IdempotencyKeyReused
from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor, UnitOfWork
from tests import backends
from tests.model_billing import Snapshot, problems, refusals, snapshot

T = TypeVar("T")
RATES_BP = (0, 550, 700, 1000, 1900, 2000, 2100)
THRESHOLD = 10_000  # B11 default: 100.00
UNITS = st.integers(1, 15_000) | st.sampled_from([6833, 5750, 8500, 9999, 12_345])
UNDO_MINUTES = 20
STAFF = Actor.system("stateful")
AGENT = Actor.agent(1, "Alice Agent")
ADMIN = Actor.admin(10, "Ada Admin")
ADMIN_2 = Actor.admin(11, "Max Admin")


@functools.cache
def sqlite_template() -> Path:
    """One migrated template per test session, copied for every example."""
    return backends.prepare_sqlite_template(Path(tempfile.mkdtemp(prefix="sd-stateful-")))


def half_up_tax(net: int, rate_bp: int) -> int:
    return (net * rate_bp + 5_000) // 10_000


def derive(total: int, paid: int, settled: int) -> str:
    if total - paid - settled <= 0:
        return "paid" if paid > 0 else "canceled"
    return "partially_paid" if paid > 0 else "unpaid"


@dataclass
class MLine:
    id: int
    service_id: int | None
    quantity: int
    unit: int
    rate_bp: int


def line_total(ln: MLine) -> int:
    net = ln.quantity * ln.unit
    return net + line_tax(net, ln.rate_bp)


@dataclass
class MInvoice:
    id: int
    customer: int
    total: int
    compound: bool
    lines: list[MLine]
    paid: int = 0
    cash_paid: int = 0
    refunded: int = 0
    credited: int = 0
    settled: int = 0

    @property
    def balance(self) -> int:
        return self.total - self.paid - self.settled

    @property
    def status(self) -> str:
        return derive(self.total, self.paid, self.settled)


@dataclass
class MNote:
    id: int
    invoice: int
    kind: str
    status: str
    total: int
    created_by: str
    remainder: str = "none"
    settled: int = 0
    refund: int = 0
    account_credit: int = 0
    self_service: bool = False
    undo_until: datetime | None = None


@dataclass
class Plan:
    """One command, the refusal it must meet (None: it must succeed), and what its success
    does to the model."""

    use_case: Callable[[UnitOfWork, Any], Awaitable[Any]]
    cmd: Any
    error: type[DomainError] | None
    apply: Callable[[Any], None]


@dataclass
class Model:
    invoices: dict[int, MInvoice] = field(default_factory=dict)
    notes: dict[int, MNote] = field(default_factory=dict)
    services: dict[int, list[Any]] = field(default_factory=dict)  # id -> [customer, status]
    account: dict[int, int] = field(default_factory=dict)


class BillingMachine(RuleBasedStateMachine):
    """The billing service layer on a real database, shadowed by `Model`."""

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

    # --- plumbing ------------------------------------------------------------------------------

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
        assert view.status == "unpaid" and view.number is not None
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

    def record_cancellation(self, inv: MInvoice, view: CreditNoteView, kind: str) -> None:
        assert view.kind == kind and view.total_minor == inv.total - inv.credited
        note = MNote(view.id, inv.id, kind, "pending_approval", view.total_minor, view.created_by)
        self.model.notes[view.id] = note
        inv.credited += note.total
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

    # --- plans: one command, what it must answer, and its effect on the model -----------------

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

    def new_invoice(self, customer: int, lines: list[NewLine]) -> MInvoice:
        cmd = IssueInvoice(
            customer_id=customer,
            currency="EUR",
            lines=tuple(lines),
            actor=STAFF,
            idempotency_key=self.key(),
        )
        view = self.call(billing.issue_invoice, cmd)
        assert view is not None
        self.add_invoice(view, lines)
        return self.model.invoices[view.id]

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

        def cancelled(result: Cancellation) -> None:
            if live is not None:
                assert result.already_cancelled and result.credit_note.id == live.id
                return
            assert not result.already_cancelled
            self.record_cancellation(inv, result.credit_note, "cancellation")
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
        if error is None and approve:
            error = self.expected_split_error(inv, note.total, effective)

        def approved(result: CreditNoteView) -> None:
            note.remainder = effective
            self.settle_note(note, result)
            assert result.decided_by == admin.label

        def rejected(result: CreditNoteView) -> None:
            assert result.status == "rejected" and result.number is None
            assert (result.decided_by, result.decision_note) == (admin.label, why)
            note.status = "rejected"
            inv.credited -= note.total

        if approve:
            cmd: Any = ApproveCreditNote(
                credit_note_id=note.id, actor=admin, idempotency_key=self.key()
            )
            return Plan(billing.approve_credit_note, cmd, error, approved)
        cmd = RejectCreditNote(
            credit_note_id=note.id, note=why, actor=admin, idempotency_key=self.key()
        )
        return Plan(billing.reject_credit_note, cmd, error, rejected)

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

    # --- rules ---------------------------------------------------------------------------------

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
        self.new_invoice(customer, self.draw_lines(data, customer))

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

    def self_cancellable(self, inv: MInvoice) -> bool:
        return inv.status == "unpaid" and self.cancellation_error(inv, self.owner(inv)) is None

    @rule(minutes=st.sampled_from([1, 5, 21]))
    def advance_clock(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    def undoable(self) -> list[MNote]:
        return sorted(
            (n for n in self.model.notes.values() if n.kind in ("cancellation", "split")),
            key=lambda n: n.id,
        )

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

    def refund_to_account_credit(self, data: st.DataObject, customer: int) -> MInvoice:
        """Credit part of a paid invoice of `customer` to their account credit; returns it."""
        paid = self.paid_invoice(data, customer)
        amount = data.draw(st.integers(1, paid.total - paid.credited), label="amount")
        actor = STAFF if amount > THRESHOLD else data.draw(st.sampled_from([STAFF, ADMIN, AGENT]))
        note = self.execute(self.plan_credit(paid, actor, Remainder.ACCOUNT_CREDIT, amount=amount))
        assert note is not None and note.account_credit_minor == amount, note
        return paid

    @rule(
        data=st.data(),
        author=st.sampled_from([AGENT, ADMIN]),
        decision=st.sampled_from(["approve", "reject", "reject without a note, then reject"]),
        remainder=st.sampled_from(list(Remainder)),
    )
    def staff_credit_above_the_threshold_then_an_admin_decides(
        self, data: st.DataObject, author: Actor, decision: str, remainder: Remainder
    ) -> None:
        """B11, M13: above 100.00 a staff credit note waits; its author cannot decide it, another
        admin approves it or rejects it with a note."""
        inv = self.big_invoice(data)
        amount = data.draw(st.integers(THRESHOLD + 1, inv.total - inv.credited), label="amount")
        view = self.execute(self.plan_credit(inv, author, remainder, amount=amount))
        assert view is not None and view.status == "pending_approval"
        note = self.model.notes[view.id]
        if author.kind == "admin":
            self.try_to_decide_own_note(note, author)
        decider = ADMIN_2 if author == ADMIN else data.draw(st.sampled_from([ADMIN, ADMIN_2]))
        if decision == "approve" and self.execute(self.plan_decide(note, decider, True)):
            self.seen("path: above-threshold credit approved by another admin")
            return
        if decision.startswith("reject without"):
            assert self.execute(self.plan_decide(note, decider, False, why="  ")) is None
        if self.execute(self.plan_decide(note, decider, False, why="not covered")) is not None:
            self.seen("path: above-threshold credit rejected with a note")

    def admins_pending_notes(self) -> list[MNote]:
        return sorted(
            (
                n
                for n in self.model.notes.values()
                if n.status == "pending_approval" and n.created_by.startswith("admin:")
            ),
            key=lambda n: n.id,
        )

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

    def try_to_decide_own_note(self, note: MNote, author: Actor) -> None:
        for approve in (True, False):
            plan = self.plan_decide(note, author, approve)
            assert plan.error is errors.OwnCreditNote
            self.refused_without_trace(plan, author)
        self.seen("path: self-approval refused")

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

    def stranger_to(self, inv: MInvoice) -> Actor:
        return Actor.customer(next(c for c in self.customers if c != inv.customer))

    def refused_as_forged(self, plan: Plan, inv: MInvoice, action: str) -> None:
        assert plan.error is errors.NotYourInvoice
        self.refused_without_trace(plan, plan.cmd.actor)
        self.seen(f"path: forged {action} refused")

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data(), kind=st.sampled_from(["pay", "credit", "apply credit"]))
    def double_tap_a_payment_or_credit(self, data: st.DataObject, kind: str) -> None:
        self.double_tap(data, kind)

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data(), kind=st.sampled_from(["cancel", "undo", "decide"]))
    def double_tap_a_cancellation_or_decision(self, data: st.DataObject, kind: str) -> None:
        self.double_tap(data, kind)

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

    @rule(data=st.data())
    def terminate_service(self, data: st.DataObject) -> None:
        live = sorted(
            s for s, (_, status) in self.model.services.items() if status != "terminated"
        )
        every = sorted(self.model.services)
        service = data.draw(st.sampled_from(live or every) | st.sampled_from(every), label="svc")
        customer, status = self.model.services[service]
        targets = [
            inv
            for _, inv in sorted(self.model.invoices.items())
            if service in {ln.service_id for ln in inv.lines}
            and inv.status == "unpaid"
            and inv.paid == 0
            and not inv.compound
            and inv.credited == inv.settled  # one awaiting approval is left to its ticket
        ]
        error: type | None = None
        if status == "terminated":
            error = errors.ServiceAlreadyTerminated
        cmd = TerminateService(
            service_id=service,
            reason="not needed",
            actor=Actor.customer(customer),
            idempotency_key=self.key(),
        )
        result = self.call(billing.terminate_service, cmd, error)
        if result is None:
            return
        self.model.services[service][1] = "terminated"
        assert [c.invoice.id for c in result.cancellations] == [inv.id for inv in targets]
        for inv, cancellation in zip(targets, result.cancellations, strict=True):
            self.record_cancellation(inv, cancellation.credit_note, "cancellation")
            assert not cancellation.credit_note.self_service

    def splittable(self, inv: MInvoice) -> bool:
        return len(inv.lines) > 1 and not inv.credited and not self.cancellation_error(inv, AGENT)

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
        groups = tuple(g for g in (kept[:cut], kept[cut:]) if g)
        kept_ids = {ln.id for g in groups for ln in g}
        dropped = sum(line_total(ln) for ln in inv.lines if ln.id not in kept_ids)
        error: type[DomainError] | None = errors.InvoiceNotEditable if inv.credited else None
        if error is None and dropped > THRESHOLD:  # B11: a large write-off waits for an admin
            error = errors.SplitNeedsApproval
        error = error or self.cancellation_error(inv, AGENT)
        terminated = {
            s for s, (_, status) in self.model.services.items() if status == "terminated"
        }
        if error is None and any(ln.service_id in terminated for g in groups for ln in g):
            error = errors.InvalidInvoice
        cmd = SplitInvoice(
            invoice_id=inv.id,
            reason="split",
            keep=tuple(tuple(ln.id for ln in g) for g in groups),
            actor=AGENT,
            idempotency_key=self.key(),
        )
        result = self.call(billing.split_invoice, cmd, error)
        if result is None:
            return
        self.record_cancellation(inv, result.credit_note, "split")
        assert len(result.new_invoices) == len(groups)
        for view, group in zip(result.new_invoices, groups, strict=True):
            lines = [
                NewLine(
                    name="copy",
                    quantity=ln.quantity,
                    unit_price_minor=ln.unit,
                    tax_rate_bp=ln.rate_bp,
                    service_id=ln.service_id,
                )
                for ln in group
            ]
            assert view.split_from_id == inv.id
            self.add_invoice(view, lines)

    @precondition(lambda self: any(v > 0 for v in self.model.account.values()))
    @rule(data=st.data())
    def apply_account_credit(self, data: st.DataObject) -> None:
        inv = self.pick(
            data, lambda i: self.model.account.get(i.customer, 0) > 0 and i.status == "unpaid"
        )
        self.execute(self.plan_apply_credit(inv, self.owner(inv)))

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

    # --- invariants ----------------------------------------------------------------------------

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

    @invariant()
    def the_books_balance(self) -> None:
        """M7: ledger, counters, numbering and account credit, straight from the tables."""
        snap = self.run(snapshot(self.tx))
        found = problems(snap)
        assert not found, "\n".join(found)
        self.compare(snap)

    def compare(self, snap: Snapshot) -> None:
        """The database says what the model says."""
        assert set(snap.invoices) == set(self.model.invoices)
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

    @invariant()
    def the_model_is_sane(self) -> None:
        for inv in self.model.invoices.values():
            assert 0 <= inv.balance <= inv.total
            assert 0 <= inv.settled <= inv.credited <= inv.total
            assert inv.refunded <= inv.cash_paid <= inv.paid


IMPORTANT = (
    "issue_invoice: done",
    "record_payment: done",
    "cancel_invoice: done",
    "cancel_invoice: refused with NotYourInvoice",
    "undo_cancellation: done",
    "issue_credit_note: done",
    "approve_credit_note: done",
    "approve_credit_note: refused with OwnCreditNote",
    "reject_credit_note: done",
    "reject_credit_note: refused with InvalidInvoice",
    "apply_account_credit: done",
    "split_invoice: done",
    "terminate_service: done",
    "path: refund to account credit, then paid another invoice with it",
    "path: above-threshold credit approved by another admin",
    "path: above-threshold credit rejected with a note",
    "path: self-approval refused",
    "path: forged cancel refused",
    "path: forged undo refused",
    "path: forged apply credit refused",
    "path: double tap on pay, one effect",
    "path: double tap on cancel, one effect",
    "path: double tap on credit, one effect",
    "path: double tap on decide, one effect",
    "path: double tap on apply credit, one effect",
    "path: replay answered as the first time, nothing changed",
    "path: key reused for another request refused",
)


def _run(machine: type[BillingMachine], **options: Any) -> Counter[str]:
    """Run `machine` as a test; returns (and prints) how often each rule outcome came up."""
    coverage: Counter[str] = Counter()
    counted = type(machine.__name__, (machine,), {"coverage": coverage})
    run_state_machine_as_test(
        counted,
        settings=settings(
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            **options,
        ),
    )
    print("\n".join(f"{n:6d}  {label}" for label, n in sorted(coverage.items())))
    return coverage


def test_o1_random_billing_histories_keep_the_books_straight_sqlite() -> None:
    _run(BillingMachine, max_examples=8, stateful_step_count=15)


def test_o1_m3_m5_m13_a_seeded_run_reaches_every_important_rule() -> None:
    """The targeted rules keep doing their job: one derandomized run (same draws every time)
    reaches every important outcome at least once, so coverage cannot silently rot."""
    seen = _run(BillingMachine, max_examples=20, stateful_step_count=25, derandomize=True)
    for _ in range(6):  # the draws also depend on what else the process imported: top up
        if all(seen[label] for label in IMPORTANT):
            break
        seen += _run(BillingMachine, max_examples=20, stateful_step_count=25)

    missing = [label for label in IMPORTANT if not seen[label]]
    assert not missing, f"never reached: {missing}\nreached: {dict(seen)}"


@pytest.mark.slow
def test_o1_random_billing_histories_keep_the_books_straight_sqlite_ci_profile() -> None:
    _run(BillingMachine, max_examples=60, stateful_step_count=30)


@pytest.mark.postgres
@pytest.mark.slow
def test_o1_random_billing_histories_keep_the_books_straight_postgresql() -> None:
    class PostgresMachine(BillingMachine):
        database_url = backends.prepare_postgres()

    _run(PostgresMachine, max_examples=25, stateful_step_count=25)
