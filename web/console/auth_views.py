"""Login, logout and the console's language: thin views over web/console/auth.py."""

from __future__ import annotations

from aiohttp import web

import ticketing
from support_desk.core.errors import DomainError
from ticketing.commands import SetUserLocale
from web.console.auth import (
    address_of,
    clear_session_cookie,
    ensure_pre_cookie,
    log_in,
    old_token,
    safe_next,
    set_pre_cookie,
    set_session_cookie,
)
from web.console.context import console, user
from web.console.render import render, see_other
from web.console.routes import Access, ConsoleRoute
from web.console.sessions import end_session


async def login_page(request: web.Request) -> web.Response:
    fresh = ensure_pre_cookie(request)
    target = safe_next(request.query.get("next", ""))
    page = render(request, "console/login.html", next=target, failed="", login="")
    if fresh is not None:
        set_pre_cookie(request, page, fresh)
    return page


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    name, password = str(form.get("login", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    try:
        token = await log_in(
            console(request), name, password, address_of(request), old_token(request)
        )
    except DomainError as refusal:
        page, code = "console/login.html", refusal.code
        return render(
            request, page, status=refusal.http_status, failed=code, next=target, login=name
        )
    response = see_other(target)
    set_session_cookie(request, response, token)
    return response


async def logout(request: web.Request) -> web.Response:
    me = user(request)
    await console(request).tx.run(end_session, me.session_hash, me.actor)
    response = see_other("/console/login", done="signed_out")
    clear_session_cookie(request, response)
    return response


async def language(request: web.Request) -> web.Response:
    form = await request.post()
    command = SetUserLocale(str(form.get("locale", "")), user(request).actor)
    try:
        await console(request).tx.run(ticketing.set_user_locale, command)
    except DomainError as refusal:
        return see_other("/console/", refused=refusal.code)
    return see_other(safe_next(str(form.get("next", ""))))


ROUTES = [
    ConsoleRoute("GET", "/console/login", login_page, Access.ANONYMOUS),
    ConsoleRoute("POST", "/console/login", login, Access.ANONYMOUS),
    ConsoleRoute("POST", "/console/logout", logout, Access.AGENT),
    ConsoleRoute("POST", "/console/language", language, Access.AGENT),
]
