"""Server-side console sessions and the login throttle (RELIABILITY W1-W6).

The cookie carries a random token; the database keeps its sha256 with the user, the user's
session version at login, and two times. A session ends at logout, when the user is
deactivated (their session version moves on), after `session_idle_minutes` unused, and
`session_absolute_hours` after login whatever happens. Logging in always starts a new session
(a token planted beforehand is worthless: no fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError

from support_desk.core.actors import Actor
from support_desk.core.settings import ConsoleSettings
from support_desk.core.tx import UnitOfWork
from ticketing.models import Role, User
from web.console.models import ConsoleSessionRow, LoginFailureRow

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """The signed-in user as the console's pages see them."""

    id: int
    login: str
    name: str
    role: str
    locale: str | None
    session_hash: str
    stale: bool = False  # last seen long enough ago to be touched

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def actor(self) -> Actor:
        return (
            Actor.admin(self.id, self.name) if self.is_admin else Actor.agent(self.id, self.name)
        )


@dataclass(frozen=True, slots=True)
class StartSession:
    user_id: int
    address: str
    replaced: str | None  # the token the browser brought, if any: it ends here
    throttle: tuple[tuple[str, str], ...] = ()  # counters a successful login clears


async def start_session(uow: UnitOfWork, cmd: StartSession) -> str:
    """A new session with a new random token; any session the browser came with ends."""
    if cmd.replaced:
        await _delete(uow, token_hash(cmd.replaced))
    await clear_failures(uow, cmd.throttle)
    user = await uow.session.get(User, cmd.user_id)
    assert user is not None
    token = secrets.token_urlsafe(32)
    row = ConsoleSessionRow(
        token_hash=token_hash(token),
        user_id=user.id,
        session_version=user.session_version,
        address=cmd.address[:64],
        created_at=uow.now,
        last_seen_at=uow.now,
    )
    uow.session.add(row)
    actor = Actor.admin(user.id) if user.role == Role.ADMIN else Actor.agent(user.id)
    uow.audit(actor, "console.login", subject=("user", user.id), after={"address": row.address})
    return token


async def current_user(uow: UnitOfWork, token: str) -> ConsoleUser | None:
    """The user of a live session, or None: unknown token, ended, idle or too old, or the user
    deactivated since (their session version moved on)."""
    key = token_hash(token)
    stmt = (
        select(ConsoleSessionRow, User)
        .join(User, User.id == ConsoleSessionRow.user_id)
        .where(ConsoleSessionRow.token_hash == key)
    )
    found = (await uow.session.execute(stmt)).one_or_none()
    if found is None:
        return None
    row, user = found
    limits: ConsoleSettings = uow.settings.console
    idle = uow.now - row.last_seen_at > timedelta(minutes=limits.session_idle_minutes)
    old = uow.now - row.created_at > timedelta(hours=limits.session_absolute_hours)
    if idle or old or not user.active or user.session_version != row.session_version:
        return None
    stale = uow.now - row.last_seen_at > TOUCH_EVERY
    return ConsoleUser(user.id, user.login, user.name, user.role, user.locale, key, stale)


async def touch_session(uow: UnitOfWork, key: str) -> None:
    """Keep an active session from going idle."""
    stmt = update(ConsoleSessionRow).where(ConsoleSessionRow.token_hash == key)
    await uow.session.execute(stmt.values(last_seen_at=uow.now))


async def end_session(uow: UnitOfWork, key: str, actor: Actor) -> None:
    """Logout: the session row goes, so the cookie opens nothing any more."""
    await _delete(uow, key)
    uow.audit(actor, "console.logout", subject=("user", actor.id))


async def _delete(uow: UnitOfWork, key: str) -> None:
    await uow.session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.token_hash == key))


def throttle_keys(login: str, address: str) -> tuple[tuple[str, str], ...]:
    """The counters a login attempt moves: its account name (known or not, so the throttle
    tells nothing about which accounts exist) and its address."""
    return (("account", login.strip().lower()[:150]), ("address", address[:64]))


def _limit(settings: ConsoleSettings, kind: str) -> int:
    if kind == "account":
        return settings.login_failures_per_account
    return settings.login_failures_per_address


async def login_held(uow: UnitOfWork, keys: tuple[tuple[str, str], ...]) -> bool:
    """True while any of the counters is at its limit within the window."""
    limits: ConsoleSettings = uow.settings.console
    since = uow.now - timedelta(minutes=limits.login_window_minutes)
    for kind, value in keys:
        row = await uow.session.get(LoginFailureRow, f"{kind}:{value}")
        if row and row.window_started_at > since and row.failures >= _limit(limits, kind):
            return True
    return False


async def record_failure(uow: UnitOfWork, keys: tuple[tuple[str, str], ...]) -> None:
    """One more failure on each counter; a counter whose window passed starts again. Two
    first failures at once both land (the loser of the insert race counts on the winner's)."""
    since = uow.now - timedelta(minutes=uow.settings.console.login_window_minutes)
    for kind, value in keys:
        key = f"{kind}:{value}"
        if await uow.session.get(LoginFailureRow, key) is None:
            try:
                async with uow.session.begin_nested():
                    uow.session.add(
                        LoginFailureRow(key=key, failures=1, window_started_at=uow.now)
                    )
                continue
            except IntegrityError:
                pass
        expired = LoginFailureRow.window_started_at <= since
        await uow.session.execute(  # one UPDATE: concurrent failures never overwrite each other
            update(LoginFailureRow)
            .where(LoginFailureRow.key == key)
            .values(
                failures=case((expired, 1), else_=LoginFailureRow.failures + 1),
                window_started_at=case(
                    (expired, uow.now), else_=LoginFailureRow.window_started_at
                ),
            )
            .execution_options(synchronize_session=False)
        )


async def clear_failures(uow: UnitOfWork, keys: tuple[tuple[str, str], ...]) -> None:
    """A successful login clears its account's counter (the address keeps its own)."""
    names = [f"{kind}:{value}" for kind, value in keys if kind == "account"]
    await uow.session.execute(delete(LoginFailureRow).where(LoginFailureRow.key.in_(names)))
