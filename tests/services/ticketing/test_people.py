"""People (admins): adding, deactivating and resetting the password of agents and admins;
deactivation and a reset end the person's sessions, and nobody removes the last admin."""

from __future__ import annotations

import asyncio

import pytest

import ticketing
from support_desk.core.errors import DomainError
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import (
    FAST_HASHER,
    claimed,
    make_admin,
    make_agent,
    paid_invoice_ticket,
)
from tests.services.ticketing.test_resolution import parked
from ticketing.admin_errors import OwnAccount
from ticketing.errors import AdminOnly, InvalidCredentials, UserInactive
from ticketing.models import Role
from ticketing.people import (
    AddPerson,
    DeactivatePerson,
    ResetPassword,
    Secret,
    add_person,
    deactivate_person,
    one_time_password,
    people,
    reset_password,
    session_is_current,
)


async def hashed(password: str) -> Secret:
    return Secret(await ticketing.hash_password(password, FAST_HASHER))


async def test_roles_an_admin_adds_a_person_and_a_double_submit_keeps_the_first_password(
    tx: Transactor,
) -> None:
    admin = await make_admin(tx)
    first, second = one_time_password(), one_time_password()
    assert first != second and len(first) == 19

    made = await tx.run(
        add_person, AddPerson("Nina", "Nina N", Role.AGENT, await hashed(first), admin, "form-1")
    )
    again = await tx.run(
        add_person, AddPerson("Nina", "Nina N", Role.AGENT, await hashed(second), admin, "form-1")
    )

    assert (made.replayed, again.replayed, again.user) == (False, True, made.user)
    assert (await ticketing.authenticate(tx, "nina", first, FAST_HASHER)).id == made.user.id
    with pytest.raises(InvalidCredentials):
        await ticketing.authenticate(tx, "nina", second, FAST_HASHER)
    agent = await make_agent(tx)
    with pytest.raises(AdminOnly):
        await tx.run(add_person, AddPerson("x", "X", Role.ADMIN, await hashed("p"), agent))


async def test_roles_a_password_reset_replaces_the_password_and_ends_the_sessions(
    tx: Transactor,
) -> None:
    admin = await make_admin(tx)
    made = await tx.run(
        add_person, AddPerson("olga", "Olga", Role.AGENT, await hashed("old-pass"), admin)
    )

    done = await tx.run(reset_password, ResetPassword(made.user.id, await hashed("new"), admin))

    assert done.user.session_version == made.user.session_version + 1
    assert not session_is_current(done.user, made.user.session_version)
    assert session_is_current(done.user, done.user.session_version)
    assert (await ticketing.authenticate(tx, "olga", "new", FAST_HASHER)).id == made.user.id
    with pytest.raises(InvalidCredentials):
        await ticketing.authenticate(tx, "olga", "old-pass", FAST_HASHER)


async def test_roles_deactivation_signs_out_releases_held_tickets_and_keeps_parked_ones(
    tx: Transactor,
) -> None:
    admin, agent = await make_admin(tx), await make_agent(tx)
    _, held = await paid_invoice_ticket(tx)
    await claimed(tx, agent, held)
    parked_id, _ = await parked(tx, agent)
    before = next(p for p in await tx.read(people, admin) if p.id == int(agent.id))

    done = await tx.run(deactivate_person, DeactivatePerson(int(agent.id), admin, "d-1"))

    assert done.released_ticket_ids == (held.id,)
    assert (done.user.active, done.user.session_version) == (False, 2)
    assert not session_is_current(done.user, 1)
    assert (await tx.read(ticketing.ticket_view, held.id, admin)).status == "open"
    kept = await tx.read(ticketing.ticket_view, parked_id, admin)
    assert (kept.assignee_id, kept.awaiting_approval) == (int(agent.id), True)
    row = next(p for p in await tx.read(people, admin) if p.id == int(agent.id))
    assert (row.active, row.tickets_held, before.tickets_held) == (False, 1, 2)
    again = await tx.run(deactivate_person, DeactivatePerson(int(agent.id), admin, "d-1"))
    assert again.replayed and again.released_ticket_ids == (held.id,)
    with pytest.raises(UserInactive):
        await tx.run(ticketing.claim_next, ticketing.commands.ClaimNext(agent))


async def test_roles_nobody_deactivates_themselves_or_resets_their_own_password(
    tx: Transactor,
) -> None:
    admin = await make_admin(tx)

    with pytest.raises(OwnAccount):
        await tx.run(deactivate_person, DeactivatePerson(int(admin.id), admin))
    with pytest.raises(OwnAccount):
        await tx.run(reset_password, ResetPassword(int(admin.id), await hashed("x"), admin))


async def test_roles_two_admins_deactivating_each_other_at_once_leave_one_admin(
    tx: Transactor,
) -> None:
    ada, max_ = await make_admin(tx), await make_admin(tx)

    results = await asyncio.gather(
        tx.run(deactivate_person, DeactivatePerson(int(max_.id), ada)),
        tx.run(deactivate_person, DeactivatePerson(int(ada.id), max_)),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and refused[0].code in ("last_admin", "user_inactive")
    everyone = await tx.read(people, ada)  # reading needs the role, not an active account
    assert [p.active for p in everyone].count(True) == 1
