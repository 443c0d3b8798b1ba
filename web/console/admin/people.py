"""People (admins): add agents and admins, deactivate them, reset their passwords. A new or
reset password is a one-time password shown once, on the answer to the POST itself (never in a
URL); a repeated submit says the password was already shown instead of showing another."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

import ticketing
from support_desk.core.errors import DomainError
from support_desk.core.tx import UnitOfWork
from ticketing.commands import SetUserActive
from ticketing.models import Role
from ticketing.people import (
    AddPerson,
    DeactivatePerson,
    PersonChange,
    ResetPassword,
    Secret,
    add_person,
    deactivate_person,
    one_time_password,
    people,
    reset_password,
)
from ticketing.saved_replies import saved_replies
from web.console.admin._forms import BadForm, act, field, path_id, refused
from web.console.context import console, form_key, user
from web.console.render import render
from web.console.routes import Access, ConsoleRoute

C = TypeVar("C", AddPerson, ResetPassword)
BACK = "/console/people"
ADMIN = Access.ADMIN


async def people_page(request: web.Request) -> web.Response:
    tab = "replies" if request.query.get("tab") == "replies" else "people"
    tx, actor = console(request).tx, user(request).actor
    everyone = await tx.read(people, actor)
    replies = await tx.read(saved_replies, actor)
    return render(request, "console/admin/people.html", tab=tab, people=everyone, replies=replies)


def _shown(request: web.Request, change: PersonChange, password: str) -> web.Response:
    shown = None if change.replayed else password
    return render(request, "console/admin/password.html", change=change, password=shown)


async def add(request: web.Request) -> web.Response:
    try:
        login = await field(request, "login", limit=64)
        name = await field(request, "name", limit=200)
        role = Role(await field(request, "role"))
    except (BadForm, ValueError):
        return refused(BACK)
    actor, key = user(request).actor, form_key(request)
    return await _with_password(
        request, add_person, lambda digest: AddPerson(login, name, role, digest, actor, key)
    )


async def reset(request: web.Request) -> web.Response:
    try:
        user_id = path_id(request)
    except BadForm:
        return refused(BACK)
    actor, key = user(request).actor, form_key(request)
    return await _with_password(
        request, reset_password, lambda digest: ResetPassword(user_id, digest, actor, key)
    )


async def _with_password(
    request: web.Request,
    use_case: Callable[[UnitOfWork, C], Awaitable[PersonChange]],
    command: Callable[[Secret], C],
) -> web.Response:
    """A new one-time password (hashed in a thread, before the write) goes into `command`;
    the answer shows it once, or a refusal lands back on the page."""
    password = one_time_password()
    digest = Secret(await ticketing.hash_password(password))
    try:
        change = await console(request).tx.run(use_case, command(digest))
    except DomainError as refusal:
        return refused(BACK, refusal.code)
    return _shown(request, change, password)


async def confirm_deactivation(request: web.Request) -> web.Response:
    try:
        user_id = path_id(request)
    except BadForm:
        return refused(BACK)
    everyone = await console(request).tx.read(people, user(request).actor)
    person = next((p for p in everyone if p.id == user_id), None)
    if person is None:
        return refused(BACK, "user_not_found")
    return render(request, "console/admin/deactivate.html", person=person)


async def deactivate(request: web.Request) -> web.Response:
    try:
        user_id, confirmed = path_id(request), await field(request, "confirm")
    except BadForm:
        return refused(BACK)
    if confirmed != "yes":
        return refused(f"{BACK}/{user_id}/deactivate", "not_confirmed")
    cmd = DeactivatePerson(user_id, user(request).actor, form_key(request))
    return await act(request, deactivate_person, cmd, back=BACK, done="deactivated")


async def activate(request: web.Request) -> web.Response:
    try:
        user_id = path_id(request)
    except BadForm:
        return refused(BACK)
    cmd = SetUserActive(user_id, True, user(request).actor, form_key(request))
    return await act(request, ticketing.set_user_active, cmd, back=BACK, done="activated")


ROUTES = [
    ConsoleRoute("GET", "/console/people", people_page, Access.ADMIN),
    ConsoleRoute("POST", "/console/people", add, Access.ADMIN),
    ConsoleRoute("POST", "/console/people/{id}/password", reset, Access.ADMIN),
    ConsoleRoute("GET", "/console/people/{id}/deactivate", confirm_deactivation, ADMIN),
    ConsoleRoute("POST", "/console/people/{id}/deactivate", deactivate, Access.ADMIN),
    ConsoleRoute("POST", "/console/people/{id}/activate", activate, Access.ADMIN),
]
