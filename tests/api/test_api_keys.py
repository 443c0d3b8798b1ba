"""API keys through /api/v1/api-keys (an admin key only): a revoked key answers 401 at once in
every process, and a signing key works only for the merchant id it was made for."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from support_desk.core.actors import Actor
from support_desk.core.audit import AuditRow
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor
from tests.api.conftest import simple_invoice
from tests.api.test_signing import SignedClient
from web.platform.keys import CreateApiKey, NewApiKey, create_api_key


@pytest.fixture
async def admin(tx: Transactor) -> dict[str, str]:
    key = await tx.run(create_api_key, CreateApiKey("ops", Actor.system("test"), admin=True))
    return {"Authorization": f"Bearer {key.key}"}


async def test_an_admin_key_lists_keys_without_their_secrets(
    client: TestClient, admin: dict[str, str], api_key: NewApiKey, signing_key: NewApiKey
) -> None:
    response = await client.get("/api/v1/api-keys", headers=admin)
    listed = (await response.json())["apiKeys"]

    assert response.status == 200
    assert [(k["name"], k["kind"], k["admin"]) for k in listed] == [
        ("ops", "bearer", True),
        ("acme-billing", "bearer", False),
        ("acme-signed", "signing", False),
    ]
    assert listed[2]["merchantId"] == signing_key.merchant_id
    text = json.dumps(listed)
    assert str(api_key.key) not in text and str(signing_key.secret) not in text


async def test_a_revoked_key_answers_401_at_once_in_every_process(
    client: TestClient,
    second_process: TestClient,
    admin: dict[str, str],
    api_key: NewApiKey,
    auth: dict[str, str],
    tx: Transactor,
) -> None:
    before = [
        (await app.get("/api/v1/credit-notes", headers=auth)).status
        for app in (client, second_process)
    ]
    revoked = await client.post(
        f"/api/v1/api-keys/{api_key.id}/revocation", headers={**admin, "Idempotency-Key": "r1"}
    )
    after = [
        (await app.get("/api/v1/credit-notes", headers=auth)).status
        for app in (second_process, client)
    ]
    again = await second_process.post(f"/api/v1/api-keys/{api_key.id}/revocation", headers=admin)

    assert before == [200, 200]
    assert revoked.status == 200 and (await revoked.json())["revokedAt"] is not None
    assert after == [401, 401]
    assert again.status == 200  # revoking a revoked key changes nothing
    assert await _audits(tx, "api_key.revoked") == 1


async def test_a_key_that_is_not_an_admin_key_cannot_list_or_revoke(
    client: TestClient, auth: dict[str, str], api_key: NewApiKey, tx: Transactor
) -> None:
    listed = await client.get("/api/v1/api-keys", headers=auth)
    revoked = await client.post(f"/api/v1/api-keys/{api_key.id}/revocation", headers=auth)
    unknown = await client.post("/api/v1/api-keys/999/revocation", headers=auth)

    assert (listed.status, revoked.status, unknown.status) == (403, 403, 403)
    assert (await listed.json())["reason"] == "admin_key_needed"
    assert (await client.get("/api/v1/credit-notes", headers=auth)).status == 200
    assert await _audits(tx, "api_key.revoked") == 0
    # the listing and the two revocations, by the key (M13: reads refused are kept as writes are)
    assert await _refused_by(tx) == ["api:acme-billing"] * 3


async def test_revoking_an_unknown_key_is_a_404(client: TestClient, admin: dict[str, str]) -> None:
    for path in ("/api/v1/api-keys/999/revocation", "/api/v1/api-keys/x/revocation"):
        response = await client.post(path, headers=admin)
        assert response.status == 404


async def test_a_revoked_signing_key_is_refused_in_another_process(
    client: TestClient,
    second_process: TestClient,
    admin: dict[str, str],
    signing_key: NewApiKey,
    clock: FrozenClock,
) -> None:
    signed = SignedClient(second_process, signing_key, clock)
    first = await signed.send("GET", "/invoicing/v2/invoices")
    await client.post(f"/api/v1/api-keys/{signing_key.id}/revocation", headers=admin)
    later = await signed.send("GET", "/invoicing/v2/invoices")

    assert (first.status, later.status) == (200, 401)


async def test_a_signing_key_is_refused_for_another_merchant_id(
    client: TestClient, signing_key: NewApiKey, tx: Transactor, clock: FrozenClock
) -> None:
    other = await tx.run(
        create_api_key, CreateApiKey("globex", Actor.system("test"), signing=True)
    )
    # acme's key id and secret, correctly signed, but naming globex's merchant id
    borrowed = NewApiKey(
        signing_key.id, "x", None, other.merchant_id, signing_key.key_id, signing_key.secret
    )
    own = await SignedClient(client, signing_key, clock).send("GET", "/invoicing/v2/invoices")
    forged = await SignedClient(client, borrowed, clock).send(
        "POST", "/invoicing/v2/invoices", simple_invoice()
    )

    assert (own.status, forged.status) == (200, 401)


async def _refused_by(tx: Transactor) -> list[str]:
    async def run(uow: Any) -> list[str]:
        rows = await uow.session.scalars(select(AuditRow).where(AuditRow.action == "refused"))
        return [f"{r.actor_kind}:{r.actor_id}" for r in rows]

    return await tx.read(run)


async def _audits(tx: Transactor, action: str) -> int:
    async def run(uow: Any) -> int:
        stmt = select(func.count(AuditRow.id)).where(AuditRow.action == action)
        return int(await uow.session.scalar(stmt) or 0)

    return await tx.read(run)
