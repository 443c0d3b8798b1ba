"""M11, B10: document numbers stay unique and gapless when issuances fail after drawing a number,
however many run at once: a failed transaction gives its number back with its rollback."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy.ext.asyncio import AsyncEngine

import billing
from billing import numbering
from billing.commands import CancelInvoice
from billing.read_models import Cancellation
from support_desk.core.actors import Actor
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import AGENT, line, make_customer, make_invoice, read_invoice
from tests.model_billing import audit, concurrent_tx, numbering_problems, start_clean

SEED = 11


class InjectedFailure(Exception):
    """Raised after a number was drawn and before the commit."""


async def cancel_then_maybe_fail(uow: UnitOfWork, cmd: CancelInvoice, fail: bool) -> Cancellation:
    """A real cancellation (which draws a CN number), failing late when told to."""
    result = await billing.cancel_invoice(uow, cmd)
    assert result.credit_note.number is not None
    if fail:
        raise InjectedFailure(cmd.invoice_id)
    return result


async def draw_then_fail(uow: UnitOfWork, series: str) -> int:
    """Draw a number and die before anything uses it."""
    drawn = await numbering.next_number(uow, series)
    raise InjectedFailure(drawn)


async def test_m11_numbers_stay_gapless_and_unique_when_issuances_fail_after_drawing(
    tx: Transactor, engine: AsyncEngine
) -> None:
    await start_clean(engine)
    rng = random.Random(SEED)
    customer = await make_customer(tx)
    async with concurrent_tx(tx) as burst:
        invoices = await asyncio.gather(
            *(make_invoice(burst, customer, line(1000 + i, rate_bp=2000)) for i in range(60))
        )
    fails = [rng.random() < 0.1 for _ in invoices]
    actors = [AGENT, Actor.customer(customer.id)]
    calls = [
        (
            cancel_then_maybe_fail,
            CancelInvoice(invoice_id=inv.id, reason="m11", actor=actors[i % 2]),
            fail,
        )
        for i, (inv, fail) in enumerate(zip(invoices, fails, strict=True))
    ]
    order = list(range(len(calls) + 10))
    rng.shuffle(order)

    async with concurrent_tx(tx) as burst:
        outcomes = await asyncio.gather(
            *(
                burst.run(calls[i][0], calls[i][1], calls[i][2])
                if i < len(calls)
                else burst.run(draw_then_fail, numbering.CREDIT_NOTES)
                for i in order
            ),
            return_exceptions=True,
        )

    by_call = dict(zip(order, outcomes, strict=True))
    assert all(isinstance(by_call[i], InjectedFailure) for i in range(len(calls), len(order)))
    for i, (inv, fail) in enumerate(zip(invoices, fails, strict=True)):
        outcome = by_call[i]
        if fail:
            assert isinstance(outcome, InjectedFailure)
            assert (await read_invoice(tx, inv.id)).status == "unpaid"
        else:
            assert isinstance(outcome, Cancellation), outcome
    n = sum(not f for f in fails)
    assert 0 < n < len(invoices)
    snap = await audit(tx)
    numbers = [note.number for note in snap.notes if note.number is not None]
    assert len(snap.notes) == n
    assert numbering_problems(numbers, snap.series["CN"], "CN") == []
    assert sorted(numbers) == list(range(1, n + 1)) and snap.series["CN"] == n + 1
    invoice_numbers = [i.number for i in snap.invoices.values() if i.number is not None]
    assert numbering_problems(invoice_numbers, snap.series["INV"], "INV") == []


async def test_b10_a_voided_note_keeps_its_number_and_the_next_note_takes_the_next(
    tx: Transactor, engine: AsyncEngine
) -> None:
    await start_clean(engine)
    customer = await make_customer(tx)
    me = Actor.customer(customer.id)
    invoice = await make_invoice(tx, customer)
    first = await tx.run(
        billing.cancel_invoice, CancelInvoice(invoice_id=invoice.id, reason="x", actor=me)
    )
    await tx.run(
        billing.undo_cancellation,
        billing.commands.UndoCancellation(credit_note_id=first.credit_note.id, actor=me),
    )

    again = await tx.run(
        billing.cancel_invoice, CancelInvoice(invoice_id=invoice.id, reason="y", actor=me)
    )

    assert (first.credit_note.number, again.credit_note.number) == ("CN-000001", "CN-000002")
    snap = await audit(tx)
    assert {n.status for n in snap.notes} == {"void", "issued"}
