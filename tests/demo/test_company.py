"""The demo company, seeded through the use cases: every state a newcomer should meet is there,
the printed logins work, and it goes only into an empty database (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

import billing
import ticketing
from billing.commands import CreateCustomer
from billing.models import CreditNote, Customer, Invoice, Service
from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.tx import Transactor, UnitOfWork
from support_desk.demo.company import ACCOUNTS
from support_desk.demo.marker import DatabaseKind, database_kind
from support_desk.demo.start import NotADemoDatabase, prepare
from ticketing.models import Ticket, TicketMessage, TicketStatus


async def _counts(uow: UnitOfWork, column: object) -> Counter[str]:
    rows = await uow.session.execute(select(column, func.count()).group_by(column))  # type: ignore[call-overload]
    return Counter({str(value): int(n) for value, n in rows})


async def test_the_demo_company_has_every_state_a_newcomer_should_meet(tx: Transactor) -> None:
    assert await tx.read(database_kind) is DatabaseKind.EMPTY

    assert await prepare(tx) is True

    invoices = await tx.read(_counts, Invoice.status)
    assert {"unpaid", "partially_paid", "paid", "canceled"} <= set(invoices)
    compound = await tx.read(
        lambda uow: uow.session.scalar(select(func.count()).where(Invoice.is_compound))
    )
    assert compound >= 2
    assert {"active", "terminated"} <= set(await tx.read(_counts, Service.status))
    notes = await tx.read(_counts, CreditNote.status)
    assert notes["issued"] >= 2 and notes["pending_approval"] == 1
    statuses = await tx.read(_counts, Ticket.status)
    assert set(statuses) == {s.value for s in TicketStatus}
    assert await tx.read(_counts, Customer.id) and len(await tx.read(_counts, Customer.id)) >= 5
    assert await tx.read(database_kind) is DatabaseKind.DEMO


async def test_its_credit_notes_come_from_a_customer_a_ticket_and_one_awaits_an_admin(
    tx: Transactor,
) -> None:
    await prepare(tx)

    async def facts(uow: UnitOfWork) -> tuple[list[str], int, int, int]:
        issuers = select(AuditRow.actor_kind).where(AuditRow.action == "invoice.cancelled")
        by_ticket = select(func.count()).where(Ticket.credit_note_id.is_not(None))
        waiting = select(func.count()).where(Ticket.awaiting_approval)
        threads = select(func.count(func.distinct(TicketMessage.ticket_id)))
        return (
            list((await uow.session.execute(issuers)).scalars()),
            int(await uow.session.scalar(by_ticket) or 0),
            int(await uow.session.scalar(waiting) or 0),
            int(await uow.session.scalar(threads) or 0),
        )

    cancelled_by, from_tickets, awaiting, with_thread = await tx.read(facts)
    tickets = await tx.read(lambda uow: uow.session.scalar(select(func.count(Ticket.id))))
    assert "customer" in cancelled_by
    assert from_tickets >= 2 and awaiting == 1
    assert with_thread == tickets  # every ticket has a thread


async def test_the_printed_logins_sign_in_as_agent_and_admin(tx: Transactor) -> None:
    await prepare(tx)

    for account in ACCOUNTS:
        user = await ticketing.authenticate(tx, account.login, account.password)
        assert user.role == account.role


async def test_seeding_twice_adds_nothing(tx: Transactor) -> None:
    assert await prepare(tx) is True
    before = await tx.read(_counts, Invoice.status)

    assert await prepare(tx) is False
    assert await tx.read(_counts, Invoice.status) == before


async def test_a_database_with_someone_elses_customer_is_refused_and_left_alone(
    tx: Transactor,
) -> None:
    cmd = CreateCustomer(external_id="real-1", name="A real customer", actor=Actor.system("t"))
    await tx.run(billing.create_customer, cmd)

    with pytest.raises(NotADemoDatabase):
        await prepare(tx)

    assert await tx.read(database_kind) is DatabaseKind.OTHER
    customers = await tx.read(lambda uow: uow.session.scalar(select(func.count(Customer.id))))
    assert customers == 1


async def test_a_seed_stopped_half_way_leaves_nothing_behind(
    tx: Transactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or any failure) during the first start: one transaction, so all or nothing."""
    from support_desk.demo import threads

    tell = threads.tell

    async def interrupted(*args: Any) -> None:
        if args[-1] is threads.REFUND_REJECTED:  # the last customer's story
            raise KeyboardInterrupt
        await tell(*args)

    monkeypatch.setattr(threads, "tell", interrupted)

    with pytest.raises(KeyboardInterrupt):
        await prepare(tx)

    assert await tx.read(database_kind) is DatabaseKind.EMPTY
    monkeypatch.undo()
    assert await prepare(tx) is True  # the next start seeds the whole company


async def test_b5_its_services_in_use_have_a_period_running_that_ends_within_a_month(
    tx: Transactor,
) -> None:
    await prepare(tx)
    today = tx.clock.now().date()

    async def periods(uow: UnitOfWork) -> list[tuple[str, object, object]]:
        rows = await uow.session.execute(select(Service.name, Service.status, Service.period_end))
        return [tuple(r) for r in rows]

    found = await tx.read(periods)
    live = [(name, end) for name, status, end in found if status != "terminated"]
    assert live and all(end is not None for _, end in live)
    running = [end for _, end in live if end >= today]  # type: ignore[operator]
    assert running and all((end - today).days <= 31 for end in running)  # type: ignore[operator]
