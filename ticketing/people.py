"""People (admins): add agents and admins, deactivate them, reset their passwords.

Passwords are one-time passwords drawn here and shown to the admin once; their argon2id hash
is computed in a thread before the transaction (`users.hash_password`), never inside it. The
hash travels as a `Secret`, which the idempotency fingerprint sees as `***`: a double submit
(each hashing anew, with its own salt) replays the first answer, marked `replayed`, so the
console never shows a password other than the one stored.

Ending sessions: deactivation and a password reset bump `users.session_version`; a console
session is valid only while its user is active and its recorded version is the current one
(`session_is_current`)."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update

from support_desk.core.actors import Actor
from support_desk.core.tx import UnitOfWork
from ticketing import repo, rules
from ticketing.admin_errors import LastAdmin, OwnAccount
from ticketing.commands import CreateUser
from ticketing.models import Role, Ticket, TicketStatus, User
from ticketing.read_models import UserView
from ticketing.services._common import finish, move, snapshot, staff_user
from ticketing.users import create_user

HELD = (TicketStatus.IN_PROGRESS, TicketStatus.WAITING_ON_CUSTOMER)


class Secret:
    """A value that never shows: not in the idempotency fingerprint, not in a log line."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __deepcopy__(self, memo: object) -> Secret:
        return self


def one_time_password() -> str:
    """16 characters from a CSPRNG, without look-alikes, grouped for reading aloud."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True, slots=True)
class AddPerson:
    login: str
    name: str
    role: Role
    password_hash: Secret
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class ResetPassword:
    user_id: int
    password_hash: Secret
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class DeactivatePerson:
    user_id: int
    actor: Actor
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class PersonChange:
    """The person after the change; `replayed` when this answers a repeated submit."""

    user: UserView
    released_ticket_ids: tuple[int, ...] = ()
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Person:
    """One row of the people page."""

    id: int
    login: str
    name: str
    role: str
    active: bool
    tickets_held: int


async def _replayed(uow: UnitOfWork, cmd: object) -> PersonChange | None:
    earlier = await uow.idempotency.replay(cmd, PersonChange)
    return None if earlier is None else dataclasses.replace(earlier, replayed=True)


async def _admin(uow: UnitOfWork, actor: Actor) -> User:
    rules.ensure_admin(actor)
    return await staff_user(uow, actor)


async def add_person(uow: UnitOfWork, cmd: AddPerson) -> PersonChange:
    """Roles: an admin adds an agent or an admin. Refusals: AdminOnly, LoginTaken."""
    if (earlier := await _replayed(uow, cmd)) is not None:
        return earlier
    await _admin(uow, cmd.actor)
    made = CreateUser(cmd.login, cmd.name, cmd.password_hash.value, cmd.role, cmd.actor)
    user = await create_user(uow, made)
    return await uow.idempotency.remember(cmd, PersonChange(user))


async def reset_password(uow: UnitOfWork, cmd: ResetPassword) -> PersonChange:
    """Roles: an admin gives another person a new one-time password; their sessions end.
    Refusals: AdminOnly, OwnAccount, UserNotFound."""
    if (earlier := await _replayed(uow, cmd)) is not None:
        return earlier
    me = await _admin(uow, cmd.actor)
    if me.id == cmd.user_id:
        raise OwnAccount()  # one's own password is changed knowing the old one, not reset
    user = await repo.user(uow.session, cmd.user_id)
    user.password_hash = cmd.password_hash.value
    user.session_version += 1
    after = {"session_version": user.session_version}
    uow.audit(cmd.actor, "user.password_reset", subject=("user", user.id), after=after)
    return await uow.idempotency.remember(cmd, PersonChange(UserView.of(user)))


async def _ensure_not_last_admin(uow: UnitOfWork, user: User) -> None:
    """The active admins' rows are locked before counting, so two admins deactivating each
    other at once cannot leave none: the second sees the first's change (or is inactive)."""
    if user.role != Role.ADMIN or not user.active:
        return
    admins = await uow.session.scalars(
        select(User.id).where(User.role == Role.ADMIN, User.active).with_for_update()
    )
    if len(admins.all()) <= 1:
        raise LastAdmin()


async def _release_held(uow: UnitOfWork, user: User, actor: Actor) -> tuple[int, ...]:
    """T3: the person's tickets go back to the queue, but not those parked for approval: the
    admin's decision still lands on them; a rejected one then waits for reassigning."""
    held = await uow.session.scalars(
        select(Ticket)
        .where(Ticket.assignee_id == user.id, Ticket.status.in_(HELD), ~Ticket.awaiting_approval)
        .order_by(Ticket.id)
        .with_for_update()
    )
    released = []
    for t in held.all():
        before = snapshot(t)
        move(uow, t, TicketStatus.OPEN)
        t.assignee_id, t.claimed_at = None, None
        await finish(uow, actor, t, "ticket.released", before)
        released.append(t.id)
    return tuple(released)


async def deactivate_person(uow: UnitOfWork, cmd: DeactivatePerson) -> PersonChange:
    """Roles: an admin deactivates a person: signed out everywhere, held tickets back in the
    queue. Refusals: AdminOnly, OwnAccount, LastAdmin, UserNotFound."""
    if (earlier := await _replayed(uow, cmd)) is not None:
        return earlier
    me = await _admin(uow, cmd.actor)
    if me.id == cmd.user_id:
        raise OwnAccount()
    user = await repo.user(uow.session, cmd.user_id)
    await _ensure_not_last_admin(uow, user)
    before = {"active": user.active, "session_version": user.session_version}
    await uow.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(active=False, session_version=User.session_version + 1)
    )
    user = await repo.user(uow.session, cmd.user_id)
    released = await _release_held(uow, user, cmd.actor)
    after = {"active": False, "session_version": user.session_version, "released": released}
    uow.audit(cmd.actor, "user.deactivated", subject=("user", user.id), before=before, after=after)
    return await uow.idempotency.remember(cmd, PersonChange(UserView.of(user), released))


async def people(uow: UnitOfWork, actor: Actor) -> tuple[Person, ...]:
    """The people page: everyone, the active first, with the tickets each holds.
    Refusals: AdminOnly."""
    rules.ensure_admin(actor)
    held = (
        select(Ticket.assignee_id, func.count().label("n"))
        .where(Ticket.status.in_(HELD))
        .group_by(Ticket.assignee_id)
        .subquery()
    )
    rows = await uow.session.execute(
        select(User, func.coalesce(held.c.n, 0))
        .outerjoin(held, held.c.assignee_id == User.id)
        .order_by(User.active.desc(), User.role, User.name, User.id)
    )
    return tuple(Person(u.id, u.login, u.name, u.role, u.active, int(n)) for u, n in rows.all())


def session_is_current(user: UserView | None, session_version: int) -> bool:
    """A console session recorded at `session_version` still stands: its user is active and
    neither deactivation nor a password reset has happened since."""
    return user is not None and user.active and user.session_version == session_version
