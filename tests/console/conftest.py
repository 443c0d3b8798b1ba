"""The console over aiohttp's test client: one server, one browser (cookie jar) per person,
on the parametrised SQLite/PostgreSQL `tx`."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

import ticketing
from support_desk.core.actors import Actor
from support_desk.core.settings import ConsoleSettings, Settings
from support_desk.core.tx import Transactor
from support_desk.wiring import Runtime, build_web_app
from tests.services.ticketing.builders import PASSWORD, password_hash
from ticketing.commands import CreateUser, SetUserActive
from ticketing.models import Role

SYSTEM = Actor.system("tests")
TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Person:
    id: int
    login: str
    actor: Actor


async def add_person(tx: Transactor, login: str, role: Role) -> Person:
    cmd = CreateUser(login, login.title(), password_hash(), role, SYSTEM)
    user = await tx.run(ticketing.create_user, cmd)
    return Person(user.id, login, ticketing.actor_of(user))


async def deactivate(tx: Transactor, person: Person) -> None:
    await tx.run(ticketing.set_user_active, SetUserActive(person.id, False, SYSTEM))


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Fewer failures per address before the throttle holds (argon2 makes each one slow)."""
    return Settings(
        database_url=database_url, console=ConsoleSettings(login_failures_per_address=8)
    )


@pytest.fixture
async def server(aiohttp_server: Any, tx: Transactor, settings: Settings) -> TestServer:
    return await aiohttp_server(build_web_app(Runtime(settings, tx.engine, tx)))  # type: ignore[no-any-return]


Browser = Callable[[], Awaitable[TestClient]]


@pytest.fixture
def new_browser(aiohttp_client: Any, server: TestServer) -> Browser:
    async def make() -> TestClient:
        return await aiohttp_client(server)  # type: ignore[no-any-return]

    return make


@pytest.fixture
async def agent(tx: Transactor) -> Person:
    return await add_person(tx, "anna", Role.AGENT)


@pytest.fixture
async def admin(tx: Transactor) -> Person:
    return await add_person(tx, "olga", Role.ADMIN)


def token_in(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no form token on the page"
    return found.group(1)


async def token_from(client: TestClient, path: str = "/console/") -> str:
    response = await client.get(path)
    return token_in(await response.text())


async def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> Any:
    token = await token_from(client, "/console/login")
    form = {"csrf": token, "login": login, "password": password, "next": ""}
    return await client.post("/console/login", data=form, allow_redirects=False)


async def signed_in(new_browser: Browser, person: Person) -> TestClient:
    client = await new_browser()
    response = await sign_in(client, person.login)
    assert response.status == 303, await response.text()
    return client


async def post_form(
    client: TestClient, path: str, fields: dict[str, Any], *, page: str | None = None, **kw: Any
) -> Any:
    """Submit a form the way a browser does: a token taken from the page it sits on."""
    token = await token_from(client, page or path.rsplit("/", 1)[0] or "/console/")
    return await client.post(path, data={"csrf": token, **fields}, allow_redirects=False, **kw)
