"""Signing in and out (W1-W6): argon2id verified off the event loop (ticketing.authenticate),
the throttle checked first, one answer for an unknown login and a wrong password, a new
session at every login, cookies HttpOnly + SameSite=Strict (+ Secure and `__Host-` over TLS)."""

from __future__ import annotations

import secrets

from aiohttp import web

import ticketing
from support_desk.core.errors import DomainError
from ticketing.errors import InvalidCredentials
from web.console import csrf
from web.console.context import PRE_BINDING, Console, console
from web.console.guard import COOKIE, SECURE_COOKIE, secure, session_token
from web.console.sessions import (
    StartSession,
    login_held,
    record_failure,
    start_session,
    throttle_keys,
)


class LoginHeld(DomainError, code="login_held", status=429):
    message = "Too many failed logins: wait a few minutes."


async def log_in(c: Console, login: str, password: str, address: str, old: str | None) -> str:
    """The new session's token. Refusals: LoginHeld, InvalidCredentials (for an unknown login,
    a wrong password and a deactivated user alike)."""
    keys = throttle_keys(login, address)
    if await c.tx.read(login_held, keys):
        raise LoginHeld()
    try:
        found = await ticketing.authenticate(c.tx, login, password)
    except InvalidCredentials:
        await c.tx.run(record_failure, keys)
        raise
    return await c.tx.run(start_session, StartSession(found.id, address, old, keys))


def address_of(request: web.Request) -> str:
    return request.remote or "unknown"


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.del_cookie(COOKIE, path="/")
    if secure(request, console(request).settings):
        response.set_cookie(
            SECURE_COOKIE, token, path="/", secure=True, httponly=True, samesite="Strict"
        )
    else:
        response.set_cookie(COOKIE, token, path="/", httponly=True, samesite="Strict")


def clear_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")
    if request.cookies.get(SECURE_COOKIE):
        response.del_cookie(SECURE_COOKIE, path="/", secure=True, samesite="Strict")


def old_token(request: web.Request) -> str | None:
    return session_token(request)


def ensure_pre_cookie(request: web.Request) -> str | None:
    """The login form's binding before there is a session: a random cookie of its own, made
    on the first visit (the value to set, or None when the browser already has one)."""
    if request.cookies.get(csrf.PRE_COOKIE):
        return None
    value = secrets.token_urlsafe(24)
    request[PRE_BINDING] = value
    return value


def set_pre_cookie(request: web.Request, response: web.StreamResponse, value: str) -> None:
    response.set_cookie(
        csrf.PRE_COOKIE,
        value,
        path="/console/",
        httponly=True,
        samesite="Strict",
        secure=secure(request, console(request).settings),
    )


def safe_next(target: str) -> str:
    """Only a console page of ours, never another site (`//evil`, `/\\evil`)."""
    if target.startswith("/console/") and "//" not in target and "\\" not in target:
        return target
    return "/console/"
