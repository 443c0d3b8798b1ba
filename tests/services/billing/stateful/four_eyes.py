"""B11 on every staff path: the plans of a service termination and of a split (which wait for an
admin above the threshold when staff cause them), and the rule that drives an agent's
cancellation, termination and split above and below the threshold, then decides what waits."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import rule

import billing
from billing import errors
from billing.commands import CreateService, NewLine, SplitInvoice, TerminateService
from billing.read_models import Split, Termination
from support_desk.core.actors import Actor
from support_desk.core.errors import DomainError
from tests.services.billing.stateful.abuse import AbuseAndRetries
from tests.services.billing.stateful.model import (
    ADMIN,
    ADMIN_2,
    AGENT,
    RATES_BP,
    STAFF,
    THRESHOLD,
    MInvoice,
    MLine,
    Plan,
    line_total,
)


class FourEyes(AbuseAndRetries):
    """The termination and split plans, and the staff-path rule of B11."""

    def plan_terminate(self, service: int, actor: Actor) -> Plan:
        """B5: the service's unpaid non-compound invoices are cancelled; B11: those worth more
        than the threshold wait for an admin when a staff member terminates it."""
        _, status = self.model.services[service]
        targets = [
            inv
            for _, inv in sorted(self.model.invoices.items())
            if service in {ln.service_id for ln in inv.lines}
            and inv.status == "unpaid"
            and inv.paid == 0
            and not inv.compound
            and inv.credited == inv.settled  # one awaiting approval is left to its ticket
        ]
        error = errors.ServiceAlreadyTerminated if status == "terminated" else None
        cmd = TerminateService(service, "not needed", actor, idempotency_key=self.key())

        def terminated(result: Termination) -> None:
            self.model.services[service][1] = "terminated"
            assert [c.invoice.id for c in result.cancellations] == [inv.id for inv in targets]
            for inv, cancellation in zip(targets, result.cancellations, strict=True):
                waits = actor.is_staff and inv.total - inv.credited > THRESHOLD
                self.record_cancellation(
                    inv, cancellation.credit_note, "cancellation", waits=waits
                )
                assert not cancellation.credit_note.self_service

        return Plan(billing.terminate_service, cmd, error, terminated)

    def plan_split(self, inv: MInvoice, groups: list[list[MLine]]) -> Plan:
        """B7: cancel and re-invoice the kept groups; B11: when the dropped lines are worth more
        than the threshold, the credit note waits and the new invoices wait as drafts."""
        kept_ids = {ln.id for g in groups for ln in g}
        dropped = sum(line_total(ln) for ln in inv.lines if ln.id not in kept_ids)
        error: type[DomainError] | None = errors.InvoiceNotEditable if inv.credited else None
        error = error or self.cancellation_error(inv, AGENT)
        terminated = {
            s for s, (_, status) in self.model.services.items() if status == "terminated"
        }
        if error is None and any(ln.service_id in terminated for g in groups for ln in g):
            error = errors.InvalidInvoice
        waits = dropped > THRESHOLD
        cmd = SplitInvoice(
            invoice_id=inv.id,
            reason="split",
            keep=tuple(tuple(ln.id for ln in g) for g in groups),
            actor=AGENT,
            idempotency_key=self.key(),
        )

        def split(result: Split) -> None:
            self.record_cancellation(inv, result.credit_note, "split", waits=waits)
            assert len(result.new_invoices) == len(groups)
            for view, group in zip(result.new_invoices, groups, strict=True):
                lines = [
                    NewLine(
                        "copy",
                        ln.quantity,
                        ln.unit,
                        tax_rate_bp=ln.rate_bp,
                        service_id=ln.service_id,
                    )
                    for ln in group
                ]
                assert view.split_from_id == inv.id
                if waits:
                    assert (view.status, view.number) == ("draft", None)
                    self.model.drafts[view.id] = (inv.id, lines)
                else:
                    self.add_invoice(view, lines)
                    new = self.model.invoices[view.id]  # a new invoice takes account credit (B6)
                    self.pay_from_account_credit_on_issue(new)
                    assert (view.paid_minor, view.status) == (new.paid, new.status), view

        return Plan(billing.split_invoice, cmd, error, split)

    # One rule per path, so each gets its own share of the steps.
    @rule(data=st.data(), above=st.booleans(), approve=st.booleans())
    def agent_cancels_above_or_below_the_threshold(
        self, data: st.DataObject, above: bool, approve: bool
    ) -> None:
        self.staff_path(data, "cancel", above, approve)

    @rule(data=st.data(), above=st.booleans(), approve=st.booleans())
    def agent_terminates_above_or_below_the_threshold(
        self, data: st.DataObject, above: bool, approve: bool
    ) -> None:
        self.staff_path(data, "terminate", above, approve)

    @rule(data=st.data(), above=st.booleans(), approve=st.booleans())
    def agent_splits_above_or_below_the_threshold(
        self, data: st.DataObject, above: bool, approve: bool
    ) -> None:
        self.staff_path(data, "split", above, approve)

    def staff_path(self, data: st.DataObject, path: str, above: bool, approve: bool) -> None:
        """B11: an agent's cancellation, service termination or split waits for an admin when
        it is worth more than the threshold and is done at once when not; the approval completes
        it (cancelled, re-invoiced), a rejection leaves the invoice due."""
        customer = data.draw(st.sampled_from(self.customers), label="customer")
        big = st.integers(THRESHOLD + 1, 3 * THRESHOLD)
        unit = data.draw(big if above else st.integers(1, THRESHOLD // 2), label="unit")
        rate = data.draw(st.sampled_from(RATES_BP), label="rate")
        if path == "terminate":
            service = self.new_service(customer)
            item = NewLine("Staff item", 1, unit, tax_rate_bp=rate, service_id=service)
            self.new_invoice(customer, [item])
            result = self.execute(self.plan_terminate(service, AGENT))
            notes = [c.credit_note for c in result.cancellations]
        elif path == "split":
            lines = [NewLine("Kept", 1, 100, tax_rate_bp=rate), NewLine("Dropped", 1, unit)]
            inv = self.new_invoice(customer, lines)
            notes = [self.execute(self.plan_split(inv, [inv.lines[:1]])).credit_note]
        else:
            inv = self.new_invoice(customer, [NewLine("Staff item", 1, unit, tax_rate_bp=rate)])
            notes = [self.execute(self.plan_cancel(inv, "agent")).credit_note]
        assert [n.status for n in notes] == ["pending_approval" if above else "issued"]
        if not above:
            self.seen(f"path: staff {path} below the threshold done at once")
            return
        admin = data.draw(st.sampled_from([ADMIN, ADMIN_2]), label="admin")
        plan = self.plan_decide(self.model.notes[notes[0].id], admin, approve, why="too much")
        if self.execute(plan) is not None:
            decided = "approved" if approve else "rejected"
            self.seen(f"path: staff {path} above the threshold waited, then {decided}")

    def new_service(self, customer: int) -> int:
        cmd = CreateService(customer, "Staff VPS", STAFF, idempotency_key=self.key())
        service = self.call(billing.create_service, cmd)
        assert service is not None
        self.model.services[service.id] = [customer, "pending"]
        return service.id
