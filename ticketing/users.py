"""Console users: agents and admins (roles in docs/rules.md). Passwords are argon2id hashes; the
slow hashing runs in a thread and outside any write transaction."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select

from support_desk.core.actors import Actor, ActorKind
from support_desk.core.idempotency import idempotent
from support_desk.core.tx import Transactor, UnitOfWork
from ticketing import repo, rules
from ticketing.commands import CreateUser, SetUserActive, SetUserLocale
from ticketing.errors import InvalidCredentials, InvalidTicketRequest, LoginTaken
from ticketing.models import Role, User
from ticketing.read_models import UserView

_HASHER = PasswordHasher()  # argon2id with argon2-cffi's current recommended parameters
# verified against when the login is unknown, so both failures take the same time
_DUMMY = _HASHER.hash("not-a-password")


async def hash_password(password: str, hasher: PasswordHasher = _HASHER) -> str:
    """argon2id hash, computed in a thread so the event loop keeps serving."""
    return await asyncio.to_thread(hasher.hash, password)


@idempotent
async def create_user(uow: UnitOfWork, cmd: CreateUser) -> UserView:
    """Roles: an admin (or the operator's CLI, as system) adds an agent or admin.
    Refusals: AdminOnly, LoginTaken."""
    if cmd.actor.kind is not ActorKind.SYSTEM:
        rules.ensure_admin(cmd.actor)
    login = rules.ensure_text(cmd.login).lower()
    user = User(
        login=login,
        name=rules.ensure_text(cmd.name),
        password_hash=cmd.password_hash,
        role=Role(cmd.role),
        active=True,
        created_at=uow.now,
        session_version=1,
    )
    await repo.save_unique(uow.session, user, LoginTaken(login=login))
    after = {"login": login, "role": user.role, "active": True}
    uow.audit(cmd.actor, "user.created", subject=("user", user.id), after=after)
    return UserView.of(user)


@idempotent
async def set_user_active(uow: UnitOfWork, cmd: SetUserActive) -> UserView:
    """Roles: an admin (de)activates a console user; deactivation ends their sessions."""
    if cmd.actor.kind is not ActorKind.SYSTEM:
        rules.ensure_admin(cmd.actor)
    user = await repo.user(uow.session, cmd.user_id)
    before = {"active": user.active, "session_version": user.session_version}
    user.active = cmd.active
    if not cmd.active:
        user.session_version += 1
    after = {"active": user.active, "session_version": user.session_version}
    uow.audit(cmd.actor, "user.activation", subject=("user", user.id), before=before, after=after)
    return UserView.of(user)


CONSOLE_LOCALES = ("en", "ru")


async def set_user_locale(uow: UnitOfWork, cmd: SetUserLocale) -> UserView:
    """Roles: a staff user sets the language the console speaks to them (their own only).
    Refusals: StaffOnly, InvalidTicketRequest for a language the console has no catalog for."""
    rules.ensure_staff(cmd.actor)
    if cmd.locale not in CONSOLE_LOCALES:
        raise InvalidTicketRequest(problem="unknown language")
    user = await repo.user(uow.session, int(cmd.actor.id))
    user.locale = cmd.locale
    return UserView.of(user)


async def user_by_login(uow: UnitOfWork, login: str) -> tuple[UserView, str] | None:
    """The user and their stored hash, for `authenticate`."""
    stmt = select(User).where(User.login == login.strip().lower())
    user = (await uow.session.execute(stmt)).scalar_one_or_none()
    return None if user is None else (UserView.of(user), user.password_hash)


async def _store_rehash(uow: UnitOfWork, user_id: int, new_hash: str) -> None:
    user = await repo.user(uow.session, user_id)
    user.password_hash = new_hash


async def authenticate(
    tx: Transactor, login: str, password: str, hasher: PasswordHasher = _HASHER
) -> UserView:
    """Check a console login: the hash is verified in a thread outside any transaction; a hash
    made with outdated parameters is replaced. Refusals: InvalidCredentials (also for a
    deactivated user, so a login cannot be probed)."""
    found = await tx.read(user_by_login, login)
    stored = _DUMMY if found is None else found[1]
    try:
        await asyncio.to_thread(hasher.verify, stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError) as exc:
        raise InvalidCredentials() from exc
    if found is None or not found[0].active:
        raise InvalidCredentials()
    if hasher.check_needs_rehash(stored):
        await tx.run(_store_rehash, found[0].id, await hash_password(password, hasher))
    return found[0]


def actor_of(user: UserView) -> Actor:
    """The actor a console user acts as."""
    if user.role == Role.ADMIN:
        return Actor.admin(user.id, user.name)
    return Actor.agent(user.id, user.name)
