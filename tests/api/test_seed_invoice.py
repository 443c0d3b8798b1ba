"""Seed 002: the invoice of its example, made consistent, is created and cancelled (B1, B12)."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp.test_utils import TestClient

from tests.api.conftest import create, seed_invoice, seed_response


def shape(value: Any) -> Any:
    """Key names and nesting only; lists by their first element."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


async def test_b1_the_seed_invoice_is_cancelled_with_exactly_the_seed_structure(
    client: TestClient, auth: dict[str, str]
) -> None:
    created = await create(client, auth, seed_invoice())
    invoice_id = created["id"]
    published = await client.post(f"/invoicing/v2/invoices/{invoice_id}/publication", headers=auth)

    response = await client.post(
        f"/invoicing/v2/invoices/{invoice_id}/cancelation", json={}, headers=auth
    )

    assert published.status == 200
    assert response.status == 200
    body = await response.json()
    assert shape(body) == shape(seed_response())
    assert list(body) == list(seed_response())
    assert body["status"] == "CANCELED"
    assert body["_links"]["self"] == {
        "href": f"/invoicing/v2/invoices/{invoice_id}",
        "method": "GET",
    }
    amounts = body["orderInformation"]["amountDetails"]
    assert amounts == {
        "totalAmount": 269.49,
        "currency": "USD",
        "balanceAmount": 0,
        "discountAmount": 12.05,
        "discountPercent": 5,
        "subAmount": 241,
        "minimumPartialAmount": 20,
        "taxDetails": {"type": "State Tax", "amount": 20.54, "rate": 8.25},
        "freight": {"amount": 20, "taxable": True},
    }
    assert body["orderInformation"]["lineItems"] == [
        {
            "productSku": "P653727383",
            "productName": "First line item's name",
            "unitPrice": 12.05,
            "quantity": 20,
            "discountAmount": 12.05,
            "taxAmount": 18.89,
            "taxRate": 8.25,
            "totalAmount": 247.84,
        }
    ]
    assert body["customerInformation"] == seed_response()["customerInformation"]
    assert body["invoiceInformation"]["deliveryMode"] == "None"
    assert body["submitTimeUtc"].endswith("Z")


async def test_b12_the_seed_original_figures_are_refused_naming_the_first_that_disagrees(
    client: TestClient, auth: dict[str, str]
) -> None:
    original = seed_response()
    body = {
        key: copy.deepcopy(original[key])
        for key in ("customerInformation", "processingInformation", "invoiceInformation")
    }
    body["orderInformation"] = copy.deepcopy(original["orderInformation"])
    del body["invoiceInformation"]["invoiceNumber"]  # assigned by us (B10), not by the client

    response = await client.post("/invoicing/v2/invoices", json=body, headers=auth)

    assert response.status == 400
    error = await response.json()
    assert error["status"] == "BADREQUEST"
    assert error["reason"] == "VALIDATION_ERRORS"
    assert error["details"] == [
        {"field": "orderInformation.amountDetails.subAmount", "reason": "INVALID_DATA"}
    ]
    assert "2749.72" in error["message"] and "241.00" in error["message"]
    listed = await (await client.get("/invoicing/v2/invoices", headers=auth)).json()
    assert listed["totalInvoices"] == 0
