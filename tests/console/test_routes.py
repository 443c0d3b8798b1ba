"""W9, deny by default: every console route, walked as an anonymous visitor, an agent, an
admin and a deactivated user, answers as its declared access says; and nothing is served
under /console/ that the one route table does not list."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from support_desk.core.tx import Transactor
from tests.console.conftest import Browser, Person, add_person, deactivate, signed_in, token_from
from tests.services.ticketing.builders import make_customer, make_invoice, open_about, pay
from ticketing.models import Role
from web.console.routes import Access, ConsoleRoute, console_routes

ARGS = {"{name}": "console.css", "{service_id}": "1"}


def unlisted(app: web.Application) -> list[tuple[str, str]]:
    """Console routes the app serves that the table does not declare."""
    listed = {(r.method, r.path) for r in console_routes()}
    served = {
        (r.method, r.resource.canonical)
        for r in app.router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith("/console")
        and r.method != "HEAD"
    }
    return sorted(served - listed)


def test_every_console_route_the_app_serves_is_in_the_table(server: Any) -> None:
    assert unlisted(server.app) == []


def test_an_unlisted_route_is_caught(server: Any) -> None:
    app = web.Application()
    for route in console_routes():
        app.router.add_route(route.method, route.path, route.handler)
    app.router.add_get("/console/backdoor", console_routes()[0].handler)

    assert unlisted(app) == [("GET", "/console/backdoor")]


def _denied_as_signed_out(response: Any) -> bool:
    location = response.headers.get("Location", "")
    return response.status == 303 and (
        location == "/console/login" or location.startswith("/console/login?next=")
    )


async def _denied_by_role(response: Any) -> bool:
    return response.status == 403 and 'data-denied="role"' in await response.text()


async def _visit(client: TestClient, route: ConsoleRoute, path: str, token: str) -> Any:
    if route.method == "GET":
        return await client.get(path, allow_redirects=False)
    return await client.post(path, data={"csrf": token}, allow_redirects=False)


def _order(routes: tuple[ConsoleRoute, ...]) -> list[ConsoleRoute]:
    """Logout last: it ends the session the other visits need."""
    return sorted(routes, key=lambda r: r.path == "/console/logout")


@pytest.mark.parametrize("who", ["anonymous", "agent", "admin", "deactivated"])
async def test_every_route_answers_as_its_access_says(
    tx: Transactor, new_browser: Browser, who: str
) -> None:
    invoice = await pay(tx, await make_invoice(tx, await make_customer(tx)))
    ticket = await open_about(tx, invoice)
    args = {**ARGS, "{id}": str(ticket.id)}
    client, signed = await _browser_of(tx, new_browser, who)
    token = await token_from(client, "/console/login" if not signed else "/console/")
    for route in _order(console_routes()):
        path = route.path
        for name, value in args.items():
            path = path.replace(name, value)
        response = await _visit(client, route, path, token)
        allowed = route.access is Access.ANONYMOUS or (
            signed and (route.access is Access.AGENT or who == "admin")
        )
        signed_out, by_role = _denied_as_signed_out(response), await _denied_by_role(response)
        assert (signed_out or by_role) != allowed, (who, route.method, route.path)
        if not allowed:
            assert by_role if signed else signed_out, (who, route.method, route.path)
        assert response.status < 500, (who, route.method, route.path)


async def _browser_of(tx: Transactor, new_browser: Browser, who: str) -> tuple[TestClient, bool]:
    if who == "anonymous":
        return await new_browser(), False
    role = Role.ADMIN if who == "admin" else Role.AGENT
    person: Person = await add_person(tx, f"walker-{who}", role)
    client = await signed_in(new_browser, person)
    if who == "deactivated":
        await deactivate(tx, person)
        return client, False
    return client, True


async def test_an_admin_route_refuses_an_agent_and_serves_an_admin(
    monkeypatch: pytest.MonkeyPatch, aiohttp_client: Any, tx: Transactor, settings: Any
) -> None:
    import importlib

    from support_desk.wiring import Runtime, build_web_app
    from tests.console.conftest import sign_in

    async def secret_page(request: web.Request) -> web.Response:
        return web.Response(text="for admins")

    extra = ConsoleRoute("GET", "/console/admin-only", secret_page, Access.ADMIN)
    mounted = importlib.import_module("web.console")
    monkeypatch.setattr(mounted, "console_routes", lambda: (*console_routes(), extra))
    server = await aiohttp_client(build_web_app(Runtime(settings, tx.engine, tx)))
    agent, admin = await add_person(tx, "ag", Role.AGENT), await add_person(tx, "ad", Role.ADMIN)
    answers = []
    for person in (agent, admin):
        server.session.cookie_jar.clear()
        await sign_in(server, person.login)
        answers.append(await server.get("/console/admin-only", allow_redirects=False))

    assert await _denied_by_role(answers[0])
    assert answers[1].status == 200 and await answers[1].text() == "for admins"
