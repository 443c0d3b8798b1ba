"""Roles: console users (agents and admins) with argon2id password hashes."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

import ticketing
from support_desk.core.tx import Transactor
from tests.services.ticketing.builders import (
    FAST_HASHER,
    PASSWORD,
    SYSTEM,
    make_admin,
    make_agent,
)
from ticketing.commands import CreateUser, SetUserActive
from ticketing.errors import AdminOnly, InvalidCredentials, LoginTaken
from ticketing.models import Role
from ticketing.users import user_by_login


async def test_roles_an_admin_creates_users_and_an_agent_cannot(tx: Transactor) -> None:
    admin, agent = await make_admin(tx), await make_agent(tx)
    digest = await ticketing.hash_password("s3cret", FAST_HASHER)

    made = await tx.run(ticketing.create_user, CreateUser("Zoe", "Zoe", digest, Role.AGENT, admin))

    assert (made.login, made.role, made.active, made.session_version) == ("zoe", "agent", True, 1)
    with pytest.raises(AdminOnly):
        await tx.run(ticketing.create_user, CreateUser("y", "Y", digest, Role.ADMIN, agent))
    with pytest.raises(LoginTaken):
        await tx.run(ticketing.create_user, CreateUser("ZOE", "Z", digest, Role.AGENT, admin))


async def test_roles_a_user_logs_in_with_the_right_password_only(tx: Transactor) -> None:
    digest = await ticketing.hash_password(PASSWORD, FAST_HASHER)
    made = await tx.run(
        ticketing.create_user, CreateUser("ann", "Ann", digest, Role.ADMIN, SYSTEM)
    )

    user = await ticketing.authenticate(tx, " Ann ", PASSWORD, FAST_HASHER)

    assert user == made
    assert ticketing.actor_of(user).kind == "admin"
    with pytest.raises(InvalidCredentials):
        await ticketing.authenticate(tx, "ann", "wrong", FAST_HASHER)
    with pytest.raises(InvalidCredentials):
        await ticketing.authenticate(tx, "nobody", PASSWORD, FAST_HASHER)


async def test_roles_a_hash_with_outdated_parameters_is_replaced_at_login(tx: Transactor) -> None:
    digest = await ticketing.hash_password(PASSWORD, FAST_HASHER)
    await tx.run(ticketing.create_user, CreateUser("old", "Old", digest, Role.AGENT, SYSTEM))
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)

    await ticketing.authenticate(tx, "old", PASSWORD, stronger)

    found = await tx.read(user_by_login, "old")
    assert found is not None
    assert found[1].startswith("$argon2id$") and not stronger.check_needs_rehash(found[1])
    await ticketing.authenticate(tx, "old", PASSWORD, stronger)


async def test_roles_a_deactivated_user_cannot_log_in_and_sessions_are_revoked(
    tx: Transactor,
) -> None:
    digest = await ticketing.hash_password(PASSWORD, FAST_HASHER)
    user = await tx.run(ticketing.create_user, CreateUser("gone", "G", digest, Role.AGENT, SYSTEM))

    off = await tx.run(ticketing.set_user_active, SetUserActive(user.id, False, SYSTEM))

    assert (off.active, off.session_version) == (False, 2)
    with pytest.raises(InvalidCredentials):
        await ticketing.authenticate(tx, "gone", PASSWORD, FAST_HASHER)
