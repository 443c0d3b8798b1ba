"""B13, M3, M4: the same key and body replays the first answer byte for byte; another body is
refused with 422 and writes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

import billing
from billing.models import Invoice
from support_desk.core.audit import AuditRow
from support_desk.core.clock import FrozenClock
from support_desk.core.tx import Transactor, UnitOfWork
from tests.api.conftest import create, simple_invoice


async def _count(tx: Transactor, stmt: object) -> int:
    async def run(uow: object) -> int:
        return int(await uow.session.scalar(stmt) or 0)  # type: ignore[attr-defined]

    return await tx.read(run)  # type: ignore[arg-type]


async def test_m3_replays_are_byte_identical_and_make_one_invoice(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    headers = {**auth, "Idempotency-Key": "order-77"}
    first = await client.post("/invoicing/v2/invoices", json=simple_invoice(), headers=headers)
    body = await first.read()

    sequential = [
        await client.post("/invoicing/v2/invoices", json=simple_invoice(), headers=headers)
        for _ in range(10)
    ]
    concurrent = await asyncio.gather(
        *(
            client.post("/invoicing/v2/invoices", json=simple_invoice(), headers=headers)
            for _ in range(5)
        )
    )

    assert first.status == 201
    for response in [*sequential, *concurrent]:
        assert response.status == 201
        assert await response.read() == body
    assert await _count(tx, select(func.count(Invoice.id))) == 1
    issued = select(func.count(AuditRow.id)).where(AuditRow.action == "invoice.issued")
    assert await _count(tx, issued) == 1


async def test_m4_the_same_key_with_another_body_is_refused_with_422(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    headers = {**auth, "Idempotency-Key": "order-78"}
    first = await client.post("/invoicing/v2/invoices", json=simple_invoice(), headers=headers)

    other = await client.post(
        "/invoicing/v2/invoices", json=simple_invoice(amount="99.99"), headers=headers
    )
    elsewhere = await client.post(
        f"/invoicing/v2/invoices/{(await first.json())['id']}/publication", headers=headers
    )

    assert other.status == 422
    assert (await other.json())["reason"] == "DUPLICATE_RECORD"
    assert elsewhere.status == 422
    assert await _count(tx, select(func.count(Invoice.id))) == 1
    again = await client.post("/invoicing/v2/invoices", json=simple_invoice(), headers=headers)
    assert await again.read() == await first.read()


async def test_m4_keys_are_namespaced_by_api_key(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    from support_desk.core.actors import Actor
    from web.platform.keys import CreateApiKey, create_api_key

    other = await tx.run(create_api_key, CreateApiKey("other", Actor.system("test")))
    body = simple_invoice()

    one = await client.post(
        "/invoicing/v2/invoices", json=body, headers={**auth, "Idempotency-Key": "k"}
    )
    two = await client.post(
        "/invoicing/v2/invoices",
        json=body,
        headers={"Authorization": f"Bearer {other.key}", "Idempotency-Key": "k"},
    )

    assert (one.status, two.status) == (201, 201)
    assert (await one.json())["id"] != (await two.json())["id"]


async def test_m3_a_refusal_is_the_keys_answer_too_byte_for_byte(
    client: TestClient, auth: dict[str, str], tx: Transactor, clock: FrozenClock
) -> None:
    created = await create(client, auth, simple_invoice())
    cancel = f"/invoicing/v2/invoices/{created['id']}/cancelation"
    await client.post(f"/invoicing/v2/invoices/{created['id']}/publication", headers=auth)
    payment = {"invoiceId": int(created["id"]), "amount": "10.00"}
    assert (await client.post("/api/v1/payments", headers=auth, json=payment)).status == 201

    keyed = {**auth, "Idempotency-Key": "cancel-1"}
    first = await client.post(cancel, json={}, headers=keyed)
    clock.advance(seconds=90)
    replays = [await client.post(cancel, json={}, headers=keyed) for _ in range(3)]
    unkeyed = await client.post(cancel, json={}, headers=auth)

    body = await first.read()
    assert first.status == 400 and (await first.json())["reason"] == "ACTION_NOT_ALLOWED"
    for replay in replays:
        assert (replay.status, await replay.read()) == (400, body)
    assert unkeyed.status == 400 and await unkeyed.read() != body  # answered afresh: a new time


async def test_m4_a_malformed_request_is_not_the_keys_answer(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    headers = {**auth, "Idempotency-Key": "order-79"}
    broken = simple_invoice()
    broken["orderInformation"]["lineItems"][0]["quantity"] = "many"

    refused = await client.post("/invoicing/v2/invoices", json=broken, headers=headers)
    fixed = await client.post("/invoicing/v2/invoices", json=simple_invoice(), headers=headers)

    assert refused.status == 400 and (await refused.json())["reason"] == "VALIDATION_ERRORS"
    assert fixed.status == 201
    assert await _count(tx, select(func.count(Invoice.id))) == 1


@pytest.mark.parametrize("where", ["same process", "another process"])
async def test_m5_two_requests_with_one_key_in_flight_together_execute_once(
    client: TestClient,
    second_process: TestClient,
    auth: dict[str, str],
    tx: Transactor,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """The first is held inside its transaction while the twin arrives: the twin waits and
    gets the first's answer, or a 409 to retry; the work never runs a second time."""
    held, release, runs = asyncio.Event(), asyncio.Event(), []
    original = billing.issue_invoice

    async def held_issue(*args: Any) -> Any:  # the work, inside the request's transaction
        runs.append(1)
        held.set()
        await release.wait()
        return await original(*args)

    monkeypatch.setattr(billing, "issue_invoice", held_issue)
    headers = {**auth, "Idempotency-Key": "m5"}
    twin_client = client if where == "same process" else second_process
    first = asyncio.ensure_future(
        client.post("/invoicing/v2/invoices", json=simple_invoice(), headers=headers)
    )
    await held.wait()
    twin = asyncio.ensure_future(
        twin_client.post("/invoicing/v2/invoices", json=simple_invoice(), headers=headers)
    )
    await asyncio.sleep(0.3)  # the twin is in flight now, blocked or answered
    release.set()
    answers = [await first, await twin]
    after = await client.post("/invoicing/v2/invoices", json=simple_invoice(), headers=headers)

    assert answers[0].status == 201
    assert answers[1].status in (201, 409)
    if answers[1].status == 201:
        assert await answers[1].read() == await answers[0].read()
    assert await after.read() == await answers[0].read()
    assert runs == [1]
    assert await _count(tx, select(func.count(Invoice.id))) == 1


async def test_b13_a_keyed_request_is_guarded_once_by_its_own_key(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    """The use cases under a keyed request run in its transaction: the request's key is the one
    guard, with no second key per billing step (each cost a fingerprint, a reserve, a remember)."""
    from support_desk.core.idempotency import IdempotencyRow

    headers = {**auth, "Idempotency-Key": "order-79"}
    body = {**simple_invoice(), "invoiceInformation": {"sendImmediately": True}}
    first = await client.post("/invoicing/v2/invoices", json=body, headers=headers)
    again = await client.post("/invoicing/v2/invoices", json=body, headers=headers)

    assert first.status == again.status == 201
    assert await again.read() == await first.read()

    async def kinds(uow: UnitOfWork) -> list[str]:
        return [k.split(":")[0] for k in await uow.session.scalars(select(IdempotencyRow.key))]

    assert await tx.read(kinds) == ["http"]
    assert await _count(tx, select(func.count(Invoice.id))) == 1
