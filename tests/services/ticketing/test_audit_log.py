"""T6: admins search the audit log by actor, object, action and period; read-only."""

from __future__ import annotations

from datetime import date

import pytest

from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.services.ticketing.register_data import build_register
from ticketing.audit_log import AuditFilter, audit_page
from ticketing.errors import AdminOnly


async def test_t6_the_log_is_searched_by_actor_object_action_and_period(
    tx: Transactor, clock: FrozenClock
) -> None:
    reg = await build_register(tx, clock)

    async def search(**f: object) -> list[tuple[str, str, str]]:
        page = await tx.read(audit_page, reg.admin, AuditFilter(**f))  # type: ignore[arg-type]
        return [(e.action, e.subject_type, e.subject_id) for e in page.entries]

    mine = await search(actor_kind="admin", actor_id=reg.admin.id)
    assert ("credit_note.issued", "credit_note", str(reg.ticket_approved)) in mine
    assert {a for a, _, _ in mine} <= {"credit_note.issued", "ticket.resolved"}
    of_note = await search(subject_type="credit_note", subject_id=str(reg.ticket_approved))
    assert [a for a, _, _ in of_note] == ["credit_note.issued", "credit_note.requested"]
    issued = await search(action="credit_note.iss")
    assert len(issued) == 6 and {a for a, _, _ in issued} == {"credit_note.issued"}
    assert await search(action="%") == [] and await search(action="credit_note_") == []
    later = await search(start=date(2026, 1, 12))
    assert later[0] == ("credit_note.issued", "credit_note", str(reg.usd))
    assert {s for _, s, _ in later} == {"credit_note", "invoice", "customer"}
    assert await search(end=date(2026, 1, 4)) == []


async def test_t6_staff_actors_are_named_and_the_deactivated_marked(
    tx: Transactor, clock: FrozenClock
) -> None:
    reg = await build_register(tx, clock)

    page = await tx.read(audit_page, reg.admin, AuditFilter(actor_kind="agent"))

    assert page.entries and {e.actor_name for e in page.entries} == {reg.agent.name}
    assert not any(e.actor_deactivated for e in page.entries)
    customer = await tx.read(audit_page, reg.admin, AuditFilter(actor_kind="customer"))
    assert customer.entries and all(e.actor_name is None for e in customer.entries)


async def test_t6_the_log_pages_newest_first_and_only_admins_read_it(
    tx: Transactor, clock: FrozenClock
) -> None:
    reg = await build_register(tx, clock)
    everything = (await tx.read(audit_page, reg.admin, AuditFilter(), limit=200)).entries
    seen: list[int] = []
    before = None
    while True:
        page = await tx.read(audit_page, reg.admin, AuditFilter(), before=before, limit=7)
        seen.extend(e.id for e in page.entries)
        if page.next_before is None:
            break
        before = page.next_before

    assert seen == [e.id for e in everything] == sorted(seen, reverse=True)
    with pytest.raises(AdminOnly):
        await tx.read(audit_page, reg.agent, AuditFilter())
