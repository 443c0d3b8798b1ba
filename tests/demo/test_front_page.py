"""The demo's front page offers the three roles; the agent's and admin's buttons go through the
demo-only `/demo/sign-in/{role}`, which the console can take over (web.home.DEMO_SIGN_IN)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from support_desk.core.settings import Settings
from support_desk.core.tx import Transactor
from support_desk.demo.start import enable_demo_roles
from support_desk.wiring import Runtime, build_web_app
from web.home import DEMO_SIGN_IN

CHAT = "http://127.0.0.1:8081/"


def _demo_app(tx: Transactor, settings: Settings) -> web.Application:
    app = build_web_app(Runtime(settings, tx.engine, tx), CHAT)
    enable_demo_roles(app)
    return app


async def test_the_front_page_offers_the_three_roles(
    aiohttp_client: Any, tx: Transactor, settings: Settings
) -> None:
    page = await (await (await aiohttp_client(_demo_app(tx, settings))).get("/")).text()

    assert f'href="{CHAT}"' in page and "Chat as a customer" in page
    assert 'action="/demo/sign-in/agent"' in page and "Work the queue as an agent" in page
    assert 'action="/demo/sign-in/admin"' in page and "Review as an admin" in page
    assert "Login <code>agent</code>, password <code>agent-demo</code>." in page
    assert "<script" not in page and "style=" not in page


async def test_in_russian_too(aiohttp_client: Any, tx: Transactor, settings: Settings) -> None:
    client = await aiohttp_client(_demo_app(tx, settings))
    page = await (await client.get("/?lang=ru")).text()

    assert "Разобрать очередь как агент" in page and "Проверить как администратор" in page


async def test_until_the_console_signs_in_itself_the_role_goes_to_its_login_page(
    aiohttp_client: Any, tx: Transactor, settings: Settings
) -> None:
    app = _demo_app(tx, settings)
    del app[DEMO_SIGN_IN]  # the wiring sets the console's hook in the demo
    client = await aiohttp_client(app)

    answer = await client.post("/demo/sign-in/admin", allow_redirects=False)

    assert answer.status == 303 and answer.headers["Location"] == "/console/login?login=admin"


async def test_the_console_hook_signs_the_demo_user_in(
    aiohttp_client: Any, tx: Transactor, settings: Settings
) -> None:
    app, signed_in = _demo_app(tx, settings), []

    async def sign_in(request: web.Request, login: str) -> web.StreamResponse:
        signed_in.append(login)
        raise web.HTTPSeeOther("/console/queue")

    app[DEMO_SIGN_IN] = sign_in
    client = await aiohttp_client(app)
    answer = await client.post("/demo/sign-in/agent", allow_redirects=False)

    assert answer.status == 303 and answer.headers["Location"] == "/console/queue"
    assert signed_in == ["agent"]


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/demo/sign-in/root", {}, 404),
        ("/demo/sign-in/agent", {"Origin": "http://evil.example"}, 403),
    ],
)
async def test_an_unknown_role_or_another_site_is_refused(
    aiohttp_client: Any,
    tx: Transactor,
    settings: Settings,
    path: str,
    headers: dict[str, str],
    status: int,
) -> None:
    client = await aiohttp_client(_demo_app(tx, settings))

    answer = await client.post(path, headers=headers, allow_redirects=False)

    assert answer.status == status


async def test_outside_the_demo_there_is_no_sign_in_without_a_password(
    aiohttp_client: Any, tx: Transactor, settings: Settings
) -> None:
    client = await aiohttp_client(build_web_app(Runtime(settings, tx.engine, tx)))

    answer = await client.post("/demo/sign-in/agent", allow_redirects=False)

    assert answer.status in (404, 405)
    assert "Work the queue" not in await (await client.get("/")).text()
