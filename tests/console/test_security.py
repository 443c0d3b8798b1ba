"""W1-W8, W13: sign-in, sessions, cookies, the throttle, CSRF and the headers of every page."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import select

from support_desk.core.clock import FrozenClock
from support_desk.core.settings import ConsoleSettings, Settings
from support_desk.core.tx import Transactor, UnitOfWork
from support_desk.wiring import SECURITY_HEADERS, Runtime, build_web_app
from tests.console.conftest import (
    Browser,
    Person,
    deactivate,
    sign_in,
    signed_in,
    token_from,
)
from ticketing.models import User
from web.console.models import LoginFailureRow
from web.console.sessions import record_failure, throttle_keys


def _cookie(response: Any, name: str) -> Any:
    assert name in response.cookies, response.headers.getall("Set-Cookie", [])
    return response.cookies[name]


async def _is_signed_in(client: Any) -> bool:
    response = await client.get("/console/", allow_redirects=False)
    return response.status == 200


async def test_the_session_cookie_is_httponly_and_strict(
    new_browser: Browser, agent: Person
) -> None:
    client = await new_browser()
    response = await sign_in(client, agent.login)

    morsel = _cookie(response, "console_session")
    assert morsel["httponly"] and morsel["samesite"] == "Strict" and morsel["path"] == "/"
    assert not morsel["secure"]  # plain http here; see the next test for TLS


async def test_over_tls_the_cookie_is_secure_and_host_prefixed(
    aiohttp_client: Any, tx: Transactor, settings: Settings, agent: Person
) -> None:
    secure = settings.model_copy(update={"console": ConsoleSettings(secure_cookies=True)})
    client = await aiohttp_client(build_web_app(Runtime(secure, tx.engine, tx)))
    # the login form's own cookie is Secure too, so plain http would not send it back
    client.session.cookie_jar.update_cookies({"console_pre": "binding-of-this-browser"})
    response = await sign_in(client, agent.login)

    morsel = _cookie(response, "__Host-console_session")
    assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Strict"
    assert morsel["path"] == "/" and not morsel["domain"]
    assert (
        "console_session" not in response.cookies or not response.cookies["console_session"].value
    )


async def test_login_starts_a_new_session_whatever_cookie_came_before(
    new_browser: Browser, agent: Person
) -> None:
    client = await new_browser()
    client.session.cookie_jar.update_cookies({"console_session": "planted-by-an-attacker"})
    first = _cookie(await sign_in(client, agent.login), "console_session").value
    second = _cookie(await sign_in(client, agent.login), "console_session").value

    assert first != "planted-by-an-attacker" and first != second
    stale = await new_browser()
    stale.session.cookie_jar.update_cookies({"console_session": first})
    assert not await _is_signed_in(stale)  # the session before the second login ended
    assert await _is_signed_in(client)


def _without_tokens(html: str) -> str:
    return re.sub(r'value="[^"]*\.[0-9a-f]{40}"', "", html)


async def test_unknown_login_and_wrong_password_answer_alike(
    new_browser: Browser, agent: Person
) -> None:
    wrong = await sign_in(await new_browser(), agent.login, "not the password")
    unknown = await sign_in(await new_browser(), "nobody", "not the password")

    assert wrong.status == unknown.status == 401
    wrong_page = _without_tokens(await wrong.text()).replace(agent.login, "X")
    assert wrong_page == _without_tokens(await unknown.text()).replace("nobody", "X")
    assert "Wrong login or password." in wrong_page


async def test_repeated_failures_hold_the_account_even_with_the_right_password(
    new_browser: Browser, agent: Person, clock: FrozenClock
) -> None:
    client = await new_browser()
    for _ in range(5):
        assert (await sign_in(client, agent.login, "guess")).status == 401
    held = await sign_in(client, agent.login)

    assert held.status == 429 and "Too many failed sign-ins" in await held.text()
    clock.advance(minutes=16)
    assert (await sign_in(client, agent.login)).status == 303


async def test_repeated_failures_from_one_address_hold_every_login_from_it(
    new_browser: Browser, agent: Person
) -> None:
    client = await new_browser()
    for n in range(8):  # the limit these tests set (20 by default)
        await sign_in(client, f"guess{n}", "guess")

    assert (await sign_in(client, agent.login)).status == 429


async def test_an_unknown_login_is_throttled_like_a_real_one(new_browser: Browser) -> None:
    client = await new_browser()
    statuses = [(await sign_in(client, "ghost", "guess")).status for _ in range(6)]

    assert statuses == [401] * 5 + [429]


async def test_logout_ends_the_session_for_the_cookie_too(
    new_browser: Browser, agent: Person
) -> None:
    client = await signed_in(new_browser, agent)
    token = client.session.cookie_jar.filter_cookies(client.make_url("/"))["console_session"].value
    response = await client.post(
        "/console/logout", data={"csrf": await token_from(client)}, allow_redirects=False
    )

    assert response.status == 303
    replay = await new_browser()
    replay.session.cookie_jar.update_cookies({"console_session": token})
    assert not await _is_signed_in(replay)


async def test_an_idle_session_ends(
    new_browser: Browser, agent: Person, clock: FrozenClock
) -> None:
    client = await signed_in(new_browser, agent)
    clock.advance(minutes=29)
    assert await _is_signed_in(client)  # use keeps it alive
    clock.advance(minutes=29)
    assert await _is_signed_in(client)
    clock.advance(minutes=31)
    assert not await _is_signed_in(client)


async def test_a_session_ends_after_its_absolute_lifetime_however_busy(
    new_browser: Browser, agent: Person, clock: FrozenClock
) -> None:
    client = await signed_in(new_browser, agent)
    for _ in range(12 * 3):
        clock.advance(minutes=20)
        assert await _is_signed_in(client)
    clock.advance(minutes=20)
    assert not await _is_signed_in(client)


async def test_deactivation_ends_the_users_sessions(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    client = await signed_in(new_browser, agent)
    await deactivate(tx, agent)

    assert not await _is_signed_in(client)
    assert (await sign_in(await new_browser(), agent.login)).status == 401


async def _locale_of(tx: Transactor, person: Person) -> str | None:
    async def read(uow: UnitOfWork) -> str | None:
        return await uow.session.scalar(select(User.locale).where(User.id == person.id))

    return await tx.read(read)


async def test_a_form_posted_from_another_origin_changes_nothing(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    client = await signed_in(new_browser, agent)
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ):
        token = await token_from(client)
        response = await client.post(
            "/console/language",
            data={"csrf": token, "locale": "ru"},
            headers=headers,
            allow_redirects=False,
        )
        assert response.status == 403 and 'data-denied="csrf"' in await response.text()
    assert await _locale_of(tx, agent) is None


async def test_a_post_without_a_token_or_with_another_browsers_changes_nothing(
    tx: Transactor, new_browser: Browser, agent: Person, admin: Person
) -> None:
    client = await signed_in(new_browser, agent)
    other = await signed_in(new_browser, admin)
    foreign = await token_from(other)
    for data in (
        {"locale": "ru"},
        {"locale": "ru", "csrf": foreign},
        {"locale": "ru", "csrf": "forged.0000"},
    ):
        response = await client.post("/console/language", data=data, allow_redirects=False)
        assert response.status == 403
    assert await _locale_of(tx, agent) is None


async def test_a_same_origin_form_with_its_token_works(
    tx: Transactor, new_browser: Browser, agent: Person
) -> None:
    client = await signed_in(new_browser, agent)
    origin = f"http://{client.host}:{client.port}"
    response = await client.post(
        "/console/language",
        data={"csrf": await token_from(client), "locale": "ru", "next": "/console/"},
        headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"},
        allow_redirects=False,
    )

    assert response.status == 303 and await _locale_of(tx, agent) == "ru"
    page = await (await client.get("/console/")).text()
    assert '<html lang="ru">' in page and "Очередь" in page


async def test_a_get_never_changes_state(new_browser: Browser, agent: Person) -> None:
    client = await signed_in(new_browser, agent)

    assert (await client.get("/console/logout", allow_redirects=False)).status == 405
    assert await _is_signed_in(client)


async def test_every_console_page_carries_the_hardening_headers(
    new_browser: Browser, agent: Person
) -> None:
    client = await signed_in(new_browser, agent)
    for path in ("/console/", "/console/login", "/console/static/console.css"):
        response = await client.get(path, allow_redirects=False)
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp, path
        assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
        for name in ("X-Content-Type-Options", "X-Frame-Options", "Cross-Origin-Opener-Policy"):
            assert response.headers[name] == SECURITY_HEADERS[name]
        assert response.headers["Referrer-Policy"] == "same-origin"
    page = await (await client.get("/console/")).text()
    assert "<style" not in page and " style=" not in page and re.search(r"<script>", page) is None
    assert (await client.get("/console/")).headers["Cache-Control"] == "no-store"


async def test_next_after_login_never_leaves_the_console(
    new_browser: Browser, agent: Person
) -> None:
    client = await new_browser()
    token = await token_from(client, "/console/login")
    for target in ("https://evil.example/", "//evil.example/x", "/console//evil", "/\\evil"):
        form = {
            "csrf": token,
            "login": agent.login,
            "password": "correct horse battery staple",
            "next": target,
        }
        response = await client.post("/console/login", data=form, allow_redirects=False)
        assert response.headers["Location"] == "/console/", target


async def test_simultaneous_first_failures_are_both_counted(tx: Transactor) -> None:
    keys = throttle_keys("racer", "203.0.113.9")
    await asyncio.gather(*(tx.run(record_failure, keys) for _ in range(4)))

    async def counts(uow: UnitOfWork) -> list[int]:
        rows = await uow.session.scalars(
            select(LoginFailureRow.failures).order_by(LoginFailureRow.key)
        )
        return list(rows)

    assert await tx.read(counts) == [4, 4]
