"""B6, B7, B9, B11: credit notes chosen by staff, refunds, account credit, approval, splits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import billing
from billing import errors
from billing.commands import (
    ApplyAccountCredit,
    ApproveCreditNote,
    IssueCreditNote,
    LineCredit,
    RejectCreditNote,
    Remainder,
    SplitInvoice,
)
from billing.models import ServiceStatus
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import (
    ADMIN,
    ADMIN_2,
    AGENT,
    STAFF,
    line,
    make_customer,
    make_invoice,
    make_service,
    pay,
    read_invoice,
)


def credit(invoice_id: int, actor: Actor = STAFF, **kw: object) -> IssueCreditNote:
    return IssueCreditNote(invoice_id=invoice_id, reason="goodwill", actor=actor, **kw)  # type: ignore[arg-type]


async def test_b6_a_paid_invoice_is_refunded_as_money_back_with_taxes_in_proportion(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(5000), line(2500))  # 60.00 + 30.00
    await pay(tx, invoice, invoice.total_minor)

    note = await tx.run(
        billing.issue_credit_note,
        credit(invoice.id, amount_minor=3000, remainder=Remainder.REFUND),
    )

    assert (note.status, note.total_minor, note.refund_minor, note.settled_minor) == (
        "issued",
        3000,
        3000,
        0,
    )
    assert note.net_minor == 2500 and note.tax_minor == 500
    after = await read_invoice(tx, invoice.id)
    assert (after.status, after.refunded_minor, after.balance_minor) == ("paid", 3000, 0)
    payments = await tx.read(billing.queries.payments_of, invoice.id)
    assert payments[0].refunded_minor == 3000


async def test_b6_a_refund_can_become_account_credit_that_pays_an_open_invoice(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    first = await make_invoice(tx, customer, line(1000))
    later = await make_invoice(tx, customer, line(2000))  # before the credit: stays unpaid
    await pay(tx, first, 1200)
    await tx.run(billing.issue_credit_note, credit(first.id, remainder=Remainder.ACCOUNT_CREDIT))

    paid = await tx.run(
        billing.apply_account_credit,
        ApplyAccountCredit(invoice_id=later.id, actor=Actor.customer(customer.id)),
    )

    assert paid.payment.amount_minor == 1200 and paid.invoice.balance_minor == 1200
    assert await tx.read(billing.queries.account_credit_of, customer.id) == {"EUR": 0}


async def test_b6_a_partly_paid_invoice_settles_what_is_due_then_refunds_the_rest(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(10000, rate_bp=0))
    await pay(tx, invoice, 4000)

    note = await tx.run(
        billing.issue_credit_note,
        credit(invoice.id, actor=Actor.system(), remainder=Remainder.REFUND),
    )

    assert (note.settled_minor, note.refund_minor) == (6000, 4000)
    assert (await read_invoice(tx, invoice.id)).balance_minor == 0


async def test_b9_a_refund_never_exceeds_what_was_paid_in_money(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(10000, rate_bp=0))
    await pay(tx, invoice, 2000)
    with pytest.raises(errors.RemainderNeedsDestination):
        await tx.run(billing.issue_credit_note, credit(invoice.id, amount_minor=9000))
    first = await make_invoice(tx, customer, line(1000, rate_bp=0))
    await pay(tx, first, 1000)
    await tx.run(billing.issue_credit_note, credit(first.id, remainder=Remainder.ACCOUNT_CREDIT))
    by_credit = await make_invoice(tx, customer, line(1000, rate_bp=0))  # paid from credit (B6)

    with pytest.raises(errors.ExceedsRefundableAmount):
        await tx.run(billing.issue_credit_note, credit(by_credit.id, remainder=Remainder.REFUND))

    after = await read_invoice(tx, by_credit.id)
    assert (after.status, after.credited_minor, after.refunded_minor) == ("paid", 0, 0)


async def test_b9_credit_notes_never_add_up_to_more_than_the_total(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(1000))
    await tx.run(billing.issue_credit_note, credit(invoice.id, amount_minor=1000))

    with pytest.raises(errors.ExceedsCreditableAmount):
        await tx.run(billing.issue_credit_note, credit(invoice.id, amount_minor=201))
    last = await tx.run(billing.issue_credit_note, credit(invoice.id, amount_minor=200))

    assert last.total_minor == 200
    after = await read_invoice(tx, invoice.id)
    assert (after.credited_minor, after.status) == (1200, "canceled")


async def test_b7_dropped_lines_of_a_compound_invoice_get_a_credit_note(tx: Transactor) -> None:
    customer = await make_customer(tx)
    vps, desk = await make_service(tx, customer), await make_service(tx, customer, name="Desk")
    invoice = await make_invoice(tx, customer, line(5000, service=vps), line(700, service=desk))

    note = await tx.run(
        billing.issue_credit_note, credit(invoice.id, lines=(LineCredit(invoice.lines[1].id),))
    )

    assert [ln.name for ln in note.lines] == ["Item"] and note.total_minor == 840
    assert (await read_invoice(tx, invoice.id)).balance_minor == invoice.total_minor - 840


async def test_b7_a_compound_invoice_is_split_into_a_credit_note_and_new_invoices(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE)
    desk = await make_service(tx, customer, name="Desk")
    mail = await make_service(tx, customer, name="Mail")
    invoice = await make_invoice(
        tx, customer, line(5000, service=vps), line(700, service=desk), line(300, service=mail)
    )
    kept = ((invoice.lines[0].id,), (invoice.lines[2].id,))

    split = await tx.run(
        billing.split_invoice,
        SplitInvoice(invoice_id=invoice.id, reason="drop the desk", keep=kept, actor=AGENT),
    )

    assert split.credit_note.total_minor == invoice.total_minor
    assert [v.total_minor for v in split.new_invoices] == [6000, 360]
    assert all(v.split_from_id == invoice.id for v in split.new_invoices)
    assert (await read_invoice(tx, invoice.id)).status == "canceled"


async def test_b8_a_customer_who_turned_compound_invoices_off_gets_none(tx: Transactor) -> None:
    customer = await make_customer(tx)
    vps, desk = await make_service(tx, customer), await make_service(tx, customer, name="Desk")
    await tx.run(
        billing.set_compound_invoices_allowed,
        billing.commands.SetCompoundInvoicesAllowed(
            customer_id=customer.id, allowed=False, actor=Actor.customer(customer.id)
        ),
    )

    with pytest.raises(errors.CompoundInvoicesDisabled):
        await make_invoice(tx, customer, line(500, service=vps), line(700, service=desk))
    single = await make_invoice(tx, customer, line(500, service=vps))
    assert not single.is_compound


async def test_b11_an_agents_credit_note_above_the_threshold_waits_for_an_admin(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(20000))

    pending = await tx.run(
        billing.issue_credit_note, credit(invoice.id, actor=AGENT, amount_minor=15000)
    )
    assert (pending.status, pending.number) == ("pending_approval", None)
    assert (await read_invoice(tx, invoice.id)).balance_minor == 24000

    with pytest.raises(errors.ApprovalNeedsAdmin):
        await tx.run(
            billing.approve_credit_note, ApproveCreditNote(credit_note_id=pending.id, actor=AGENT)
        )
    issued = await tx.run(
        billing.approve_credit_note, ApproveCreditNote(credit_note_id=pending.id, actor=ADMIN)
    )

    assert (issued.status, issued.number, issued.decided_by) == ("issued", "CN-000001", "admin:10")
    assert (await read_invoice(tx, invoice.id)).balance_minor == 9000


async def test_b11_nobody_approves_their_own_credit_note(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(20000))
    pending = await tx.run(billing.issue_credit_note, credit(invoice.id, actor=ADMIN))

    with pytest.raises(errors.OwnCreditNote):
        await tx.run(
            billing.approve_credit_note, ApproveCreditNote(credit_note_id=pending.id, actor=ADMIN)
        )
    approved = await tx.run(
        billing.approve_credit_note, ApproveCreditNote(credit_note_id=pending.id, actor=ADMIN_2)
    )
    assert approved.status == "issued"


async def test_b11_a_rejected_credit_note_frees_what_it_reserved(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(20000))
    pending = await tx.run(billing.issue_credit_note, credit(invoice.id, actor=AGENT))

    rejected = await tx.run(
        billing.reject_credit_note,
        RejectCreditNote(credit_note_id=pending.id, note="too generous", actor=ADMIN),
    )

    assert (rejected.status, rejected.decision_note) == ("rejected", "too generous")
    after = await read_invoice(tx, invoice.id)
    assert after.credited_minor == 0 and all(ln.credited_net_minor == 0 for ln in after.lines)
    with pytest.raises(errors.CreditNoteNotPending):
        await tx.run(
            billing.approve_credit_note, ApproveCreditNote(credit_note_id=pending.id, actor=ADMIN)
        )


async def test_a_preview_shows_exactly_what_would_be_issued(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(6833), line(6833), line(5750))
    cmd = credit(invoice.id, amount_minor=9999)

    preview = await tx.read(billing.preview_credit_note, cmd)
    note = await tx.run(billing.issue_credit_note, cmd)

    assert (preview.net_minor, preview.tax_minor, preview.total_minor) == (
        note.net_minor,
        note.tax_minor,
        note.total_minor,
    )
    assert [ln.total_minor for ln in preview.lines] == [ln.total_minor for ln in note.lines]


async def test_a_customer_cannot_issue_credit_notes(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer)

    with pytest.raises(errors.PermissionDenied):
        await tx.run(
            billing.issue_credit_note, credit(invoice.id, actor=Actor.customer(customer.id))
        )


async def test_m13_a_refused_self_approval_is_kept_in_the_audit_log(tx: Transactor) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(20000))
    pending = await tx.run(billing.issue_credit_note, credit(invoice.id, actor=ADMIN))

    with pytest.raises(errors.OwnCreditNote):
        await tx.run(
            billing.approve_credit_note, ApproveCreditNote(credit_note_id=pending.id, actor=ADMIN)
        )

    async def refusals(uow: UnitOfWork) -> list[tuple[str, str, object]]:
        rows = await uow.session.scalars(select(AuditRow).where(AuditRow.action == "refused"))
        return [(r.actor_id, r.subject_id, r.after["code"]) for r in rows]

    assert await tx.read(refusals) == [("10", "approve_credit_note", "own_credit_note")]


async def test_b11_a_split_that_writes_off_more_than_the_threshold_waits_for_an_admin(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    vps, desk = await make_service(tx, customer), await make_service(tx, customer, name="Desk")
    invoice = await make_invoice(tx, customer, line(100, service=vps), line(900000, service=desk))

    split = await tx.run(
        billing.split_invoice,
        SplitInvoice(
            invoice_id=invoice.id,
            reason="drop the desk",
            keep=((invoice.lines[0].id,),),
            actor=AGENT,
        ),
    )

    assert split.credit_note.status == "pending_approval"
    assert (await read_invoice(tx, invoice.id)).status == "unpaid"


async def test_b11_a_note_approved_after_the_balance_was_paid_becomes_account_credit(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(20000, rate_bp=0))
    pending = await tx.run(billing.issue_credit_note, credit(invoice.id, actor=AGENT))
    await pay(tx, invoice, 20000)

    issued = await tx.run(
        billing.approve_credit_note, ApproveCreditNote(credit_note_id=pending.id, actor=ADMIN)
    )

    assert (issued.settled_minor, issued.account_credit_minor) == (0, 20000)
    assert await tx.read(billing.queries.account_credit_of, customer.id) == {"EUR": 20000}


async def test_b11_an_agent_promoted_to_admin_still_cannot_approve_their_own_note(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    invoice = await make_invoice(tx, customer, line(20000))
    pending = await tx.run(billing.issue_credit_note, credit(invoice.id, actor=AGENT))

    with pytest.raises(errors.OwnCreditNote):
        await tx.run(
            billing.approve_credit_note,
            ApproveCreditNote(credit_note_id=pending.id, actor=Actor.admin(int(AGENT.id))),
        )
