"""The offline demo's one-click sign-in (web/console/demo_sign_in.py): a real console session
for the demo agent or admin, only in the demo, only from our own origin."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor, UnitOfWork
from support_desk.demo.start import enable_demo_roles
from support_desk.wiring import Runtime, build_web_app
from tests.console.conftest import Person, add_person, deactivate
from ticketing.models import Role
from web.console.guard import COOKIE
from web.console.models import ConsoleSessionRow

CHAT = "http://127.0.0.1:8081/"
SAME = {"Sec-Fetch-Site": "same-origin"}


def _demo_app(tx: Transactor, settings: Settings) -> web.Application:
    app = build_web_app(Runtime(settings, tx.engine, tx), CHAT)
    enable_demo_roles(app)
    return app


@pytest.fixture
async def demo(aiohttp_client: Any, tx: Transactor, settings: Settings) -> TestClient:
    await add_person(tx, "agent", Role.AGENT)
    await add_person(tx, "admin", Role.ADMIN)
    return await aiohttp_client(_demo_app(tx, settings))  # type: ignore[no-any-return]


async def _sessions(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(select(func.count()).select_from(ConsoleSessionRow)))


@pytest.mark.parametrize(
    ("role", "landing", "heading"),
    [
        ("agent", "/console/", "Queue"),
        ("admin", "/console/approvals", "Approvals"),
    ],
)
async def test_one_click_opens_a_real_session_on_the_roles_first_page(
    demo: TestClient, tx: Transactor, role: str, landing: str, heading: str
) -> None:
    answer = await demo.post(f"/demo/sign-in/{role}", headers=SAME, allow_redirects=False)

    assert answer.status == 303 and answer.headers["Location"] == landing
    cookie = answer.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    page = await demo.get(landing)
    assert page.status == 200 and heading in await page.text()
    assert await tx.read(_sessions) == 1


async def test_each_click_starts_a_new_session_and_ends_the_old_one(
    demo: TestClient, tx: Transactor
) -> None:
    first = await demo.post("/demo/sign-in/agent", headers=SAME, allow_redirects=False)
    second = await demo.post("/demo/sign-in/admin", headers=SAME, allow_redirects=False)

    assert first.cookies[COOKIE].value != second.cookies[COOKIE].value
    assert await tx.read(_sessions) == 1  # no fixation: the agent's session ended


async def test_the_front_pages_own_form_is_accepted_by_its_origin(demo: TestClient) -> None:
    origin = f"http://{demo.host}:{demo.port}"
    answer = await demo.post(
        "/demo/sign-in/agent", headers={"Origin": origin}, allow_redirects=False
    )

    assert answer.status == 303 and answer.headers["Location"] == "/console/"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no proof of origin at all: the front page carries no token to fall back on
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://evil.example"},
        {"Origin": "null"},
    ],
)
async def test_a_post_not_proven_ours_is_refused_and_signs_nobody_in(
    demo: TestClient, tx: Transactor, headers: dict[str, str]
) -> None:
    answer = await demo.post("/demo/sign-in/agent", headers=headers, allow_redirects=False)

    assert answer.status == 403 and COOKIE not in answer.cookies
    assert await tx.read(_sessions) == 0


async def test_a_deactivated_demo_user_is_not_signed_in(
    aiohttp_client: Any, tx: Transactor, settings: Settings
) -> None:
    person: Person = await add_person(tx, "agent", Role.AGENT)
    await add_person(tx, "admin", Role.ADMIN)
    await deactivate(tx, person)
    client = await aiohttp_client(_demo_app(tx, settings))

    answer = await client.post("/demo/sign-in/agent", headers=SAME, allow_redirects=False)

    assert answer.status == 404 and await tx.read(_sessions) == 0


async def test_outside_the_demo_the_route_does_not_exist(
    aiohttp_client: Any, tx: Transactor, settings: Settings
) -> None:
    await add_person(tx, "agent", Role.AGENT)
    client = await aiohttp_client(build_web_app(Runtime(settings, tx.engine, tx)))

    answer = await client.post("/demo/sign-in/agent", headers=SAME, allow_redirects=False)

    assert answer.status in (404, 405) and await tx.read(_sessions) == 0


async def test_the_front_page_lets_its_forms_send_their_origin(demo: TestClient) -> None:
    # With no-referrer Chromium posts `Origin: null`, and the buttons would be refused.
    answer = await demo.get("/")

    assert answer.headers["Referrer-Policy"] == "same-origin"
