"""B3, T8: what billing writes to the outbox reads back as its message type and renders through
that type's own template (strictly: a template that fails raises here instead of falling back)."""

from __future__ import annotations

from sqlalchemy import select

import billing
from billing.commands import (
    CancelInvoice,
    DeliverInvoice,
    SplitInvoice,
    TerminateService,
    UndoCancellation,
)
from billing.models import ServiceStatus
from bot.transport.render import Renderer
from support_desk.core.actors import Actor
from support_desk.core.messages import read_message
from support_desk.core.outbox import OutboxRow
from support_desk.core.texts import Texts
from support_desk.core.tx import Transactor, UnitOfWork
from tests.factories import AGENT, STAFF, line, make_customer, make_invoice, make_service, pay

GENERIC = "You have a new message from Support Desk."


async def messages(tx: Transactor, locale: str = "en") -> dict[str, str]:
    async def rows(uow: UnitOfWork) -> list[OutboxRow]:
        return list((await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())

    renderer, texts = Renderer(Texts()), dict[str, str]()
    for row in await tx.read(rows):
        message = read_message(row.kind, row.payload)
        assert message is not None, f"{row.kind} has no message type"
        texts[row.kind] = renderer.text(message, locale)
    return texts


async def test_b3_every_billing_message_renders_with_its_numbers(tx: Transactor) -> None:
    customer = await make_customer(tx)
    me = Actor.customer(customer.id)
    vps = await make_service(tx, customer, ServiceStatus.ACTIVE, name="VPS Large")
    desk = await make_service(tx, customer, name="Desk")
    cancelled = await make_invoice(tx, customer, line(1000))
    await tx.run(billing.deliver_invoice, DeliverInvoice(cancelled.id, STAFF))
    note = await tx.run(billing.cancel_invoice, CancelInvoice(cancelled.id, "no", me))
    await tx.run(billing.undo_cancellation, UndoCancellation(note.credit_note.id, me))
    await pay(tx, await make_invoice(tx, customer, line(500)), 200)
    compound = await make_invoice(tx, customer, line(300, service=vps), line(400, service=desk))
    await tx.run(
        billing.split_invoice,
        SplitInvoice(compound.id, "drop desk", ((compound.lines[0].id,),), AGENT),
    )
    await make_invoice(tx, customer, line(700, service=vps))
    await tx.run(billing.terminate_service, TerminateService(vps.id, "moving", me))

    texts = await messages(tx)

    assert set(texts) == {
        "invoice_delivered",
        "credit_note_issued",
        "cancellation_undone",
        "payment_received",
        "invoice_split",
        "service_terminated",
    }
    assert all(GENERIC not in text for text in texts.values())
    assert cancelled.number in texts["invoice_delivered"]
    assert "CN-000001" in texts["cancellation_undone"]
    assert "Still to pay" in texts["payment_received"]
    assert compound.number in texts["invoice_split"]
    assert "VPS Large" in texts["service_terminated"]


async def test_b3_a_split_sends_the_customer_one_message_with_its_credit_note(
    tx: Transactor,
) -> None:
    customer = await make_customer(tx)
    vps = await make_service(tx, customer, name="VPS Large")
    desk = await make_service(tx, customer, name="Desk")
    compound = await make_invoice(tx, customer, line(300, service=vps), line(400, service=desk))

    split = await tx.run(
        billing.split_invoice,
        SplitInvoice(compound.id, "drop desk", ((compound.lines[0].id,),), AGENT),
    )

    async def rows(uow: UnitOfWork) -> list[tuple[str, object]]:
        found = await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        return [(r.kind, r.payload.get("credit_note_id")) for r in found.all()]

    assert await tx.read(rows) == [("invoice_split", split.credit_note.id)]
