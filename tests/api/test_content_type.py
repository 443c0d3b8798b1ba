"""A body that is not application/json is refused with 415 (the seed's shape under /invoicing,
ours under /api) and changes nothing, whatever it holds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from billing.models import Customer, Invoice
from support_desk.core.tx import Transactor
from tests.api.conftest import simple_invoice
from web.api.openapi import build_openapi

NOT_JSON = ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]


async def _rows(tx: Transactor) -> tuple[int, int]:
    async def run(uow: Any) -> tuple[int, int]:
        return (
            int(await uow.session.scalar(select(func.count(Invoice.id)))),
            int(await uow.session.scalar(select(func.count(Customer.id)))),
        )

    return await tx.read(run)


def _headers(auth: dict[str, str], content_type: str | None) -> dict[str, str]:
    # without a Content-Type aiohttp's client sends application/octet-stream for bytes
    return auth if content_type is None else {**auth, "Content-Type": content_type}


@pytest.mark.parametrize("content_type", NOT_JSON)
async def test_a_seed_body_that_is_not_json_is_a_415_in_the_seed_shape(
    client: TestClient, auth: dict[str, str], tx: Transactor, content_type: str | None
) -> None:
    body = json.dumps(simple_invoice()).encode()
    headers = {**_headers(auth, content_type), "Idempotency-Key": "ct-1"}

    refused = await client.post("/invoicing/v2/invoices", data=body, headers=headers)
    answer = await refused.json()
    retried = await client.post(
        "/invoicing/v2/invoices",
        json=simple_invoice(),
        headers={**auth, "Idempotency-Key": "ct-1"},
    )

    assert refused.status == 415
    assert answer["status"] == "BADREQUEST" and answer["reason"] == "VALIDATION_ERRORS"
    assert answer["details"] == [{"field": "Content-Type", "reason": "INVALID_DATA"}]
    assert retried.status == 201  # the 415 was not kept as the key's answer
    assert await _rows(tx) == (1, 1)


@pytest.mark.parametrize("content_type", NOT_JSON)
async def test_an_api_v1_body_that_is_not_json_is_a_415_in_our_shape(
    client: TestClient, auth: dict[str, str], tx: Transactor, content_type: str | None
) -> None:
    body = json.dumps({"externalId": "x-1", "name": "Ann"}).encode()

    refused = await client.post(
        "/api/v1/customers", data=body, headers=_headers(auth, content_type)
    )

    assert refused.status == 415
    assert (await refused.json())["reason"] == "unsupported_media_type"
    assert await _rows(tx) == (0, 0)


async def test_json_with_a_charset_and_an_empty_body_pass(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = json.dumps({"externalId": "x-2", "name": "Bo"}).encode()
    typed = {**auth, "Content-Type": "application/json; charset=utf-8"}

    created = await client.post("/api/v1/customers", data=body, headers=typed)
    issued = {**simple_invoice(), "invoiceInformation": {"sendImmediately": True}}
    invoice = await client.post("/invoicing/v2/invoices", json=issued, headers=auth)
    invoice_id = (await invoice.json())["id"]
    cancelled = await client.post(f"/invoicing/v2/invoices/{invoice_id}/cancelation", headers=auth)

    assert (created.status, cancelled.status) == (201, 200)


def test_the_415_is_documented_for_every_operation_with_a_body() -> None:
    for path, item in build_openapi()["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation:
                assert "415" in operation["responses"], (method, path)
