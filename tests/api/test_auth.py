"""W7 for API keys: deny by default, keys stored hashed or encrypted, every call audited; W14."""

from __future__ import annotations

import hashlib
import itertools
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import event, select

import billing
from support_desk.core.audit import AuditRow
from support_desk.core.tx import Transactor
from tests.api.conftest import create, simple_invoice
from web.api.routes import ROUTES
from web.platform.keys import NewApiKey
from web.platform.models import ApiKeyRow

BAD_AUTH = [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer sdk_wrong"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Signature": 'keyid="x", algorithm="HmacSHA256", headers="host", signature="AAAA"'},
]


def _concrete(path: str) -> str:
    return path.replace("{id}", "1")


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
async def test_w7_every_route_refuses_a_missing_or_wrong_key_with_401(
    client: TestClient, tx: Transactor, route: Any, api_key: NewApiKey
) -> None:
    for headers in BAD_AUTH:
        response = await client.request(
            route.method, _concrete(route.path), json={}, headers=headers
        )

        assert response.status == 401, (route.name, headers)
        assert (await response.json())["reason"] == "unauthorized"

    async def calls(uow: Any) -> list[AuditRow]:
        return list(await uow.session.scalars(select(AuditRow)))

    assert [row.action for row in await tx.read(calls)] == ["api_key.created"]


async def test_w7_the_openapi_document_and_page_are_public(client: TestClient) -> None:
    document = await client.get("/api/openapi.json")
    page = await client.get("/api/docs")

    assert document.status == 200
    assert (await document.json())["openapi"].startswith("3.")
    assert page.status == 200
    assert "/invoicing/v2/invoices/{id}/cancelation" in await page.text()


async def test_keys_are_stored_hashed_and_secrets_encrypted(
    tx: Transactor, api_key: NewApiKey, signing_key: NewApiKey
) -> None:
    async def rows(uow: Any) -> list[ApiKeyRow]:
        return list(await uow.session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)))

    bearer, signing = await tx.read(rows)

    assert api_key.key is not None and signing_key.secret is not None
    assert bearer.token_hash == hashlib.sha256(api_key.key.encode()).hexdigest()
    assert api_key.key not in repr(vars(bearer))
    assert signing.secret_encrypted is not None
    assert signing_key.secret not in signing.secret_encrypted
    assert signing.token_hash is None


async def test_t6_every_call_is_audited_with_the_key_name(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    created = await create(client, auth, simple_invoice())
    await client.get(f"/invoicing/v2/invoices/{created['id']}", headers=auth)
    await client.get("/invoicing/v2/invoices/777", headers=auth)

    async def rows(uow: Any) -> list[AuditRow]:
        return list(await uow.session.scalars(select(AuditRow).order_by(AuditRow.id)))

    audit = await tx.read(rows)
    calls = [r for r in audit if r.action == "api.call"]
    assert [(r.actor_kind, r.actor_id, r.after["status"]) for r in calls] == [
        ("api", "acme-billing", 201),
        ("api", "acme-billing", 200),
        ("api", "acme-billing", 404),
    ]
    issued = [r for r in audit if r.action == "invoice.issued"]
    assert [(r.actor_kind, r.actor_id) for r in issued] == [("api", "acme-billing")]


async def test_t6_a_write_and_the_audit_of_its_call_commit_in_one_transaction(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    """Before, the key's lookup and the call's audit row each had a transaction of their own
    beside the effect's: two more commits per call, and a crash between the effect and its
    record lost the record of a change."""
    engine, current, seen = tx.engine.sync_engine, {}, []
    begun = itertools.count()

    def on_begin(conn: Any) -> None:
        current[id(conn)] = next(begun)

    def on_statement(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append((current.get(id(conn)), statement))

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        await create(client, auth, simple_invoice(), **{"Idempotency-Key": "one-commit"})
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "before_cursor_execute", on_statement)

    def transactions(fragment: str) -> set[int | None]:
        return {t for t, sql in seen if fragment in sql}

    key, invoice, audit = (
        transactions(f) for f in ("FROM api_keys", "INSERT INTO invoices", "INSERT INTO audit_log")
    )
    assert len(key) == 1 and key == invoice == audit and None not in key


async def test_w14_an_unexpected_error_is_a_bare_500_logged_with_a_request_id(
    client: TestClient,
    auth: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*_args: object) -> None:
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(billing.queries, "invoice_view", broken)

    with caplog.at_level(logging.ERROR, logger="web.api"):
        response = await client.get("/invoicing/v2/invoices/1", headers=auth)

    text = await response.text()
    request_id = response.headers["X-Request-Id"]
    assert response.status == 500
    assert "SELECT" not in text and "Traceback" not in text
    assert request_id in text
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)
