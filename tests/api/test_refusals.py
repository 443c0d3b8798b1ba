"""Every refusal is a 4xx with the documented body, never a 500, and nothing is written."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from billing.models import Customer, Invoice
from support_desk.core.tx import Transactor
from tests.api.conftest import create, simple_invoice


async def _rows(tx: Transactor) -> tuple[int, int]:
    async def run(uow: Any) -> tuple[int, int]:
        return (
            int(await uow.session.scalar(select(func.count(Invoice.id)))),
            int(await uow.session.scalar(select(func.count(Customer.id)))),
        )

    return await tx.read(run)


def _with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(simple_invoice())
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value
    return body


BAD_BODIES = {
    "negative amount": _with("orderInformation.lineItems.0.unitPrice", "-1.00"),
    "three decimals": _with("orderInformation.lineItems.0.unitPrice", "1.005"),
    "absurd amount": _with("orderInformation.lineItems.0.unitPrice", 1e13),
    "exponent": _with("orderInformation.lineItems.0.unitPrice", "1e1"),
    "arabic-indic digits": _with("orderInformation.lineItems.0.unitPrice", "\u0661\u0662"),
    "underscore": _with("orderInformation.lineItems.0.unitPrice", "1_0"),
    "minus zero": _with("orderInformation.lineItems.0.unitPrice", "-0"),
    "rate with exponent": _with("orderInformation.amountDetails.taxDetails", {"rate": "1e1"}),
    "not a number": _with("orderInformation.lineItems.0.unitPrice", "ten"),
    "money as bool": _with("orderInformation.lineItems.0.unitPrice", True),
    "quantity as text": _with("orderInformation.lineItems.0.quantity", "many"),
    "unknown field": _with("orderInformation.lineItems.0.colour", "red"),
    "unknown top field": _with("invoiceNumber", "2675"),
    "bad currency": _with("orderInformation.amountDetails.currency", "usd"),
    "unknown currency": _with("orderInformation.amountDetails.currency", "XYZ"),
    "bad delivery mode": _with("invoiceInformation", {"deliveryMode": "pigeon"}),
    "NUL in a name": _with("orderInformation.lineItems.0.productName", "a\x00b"),
    "no customer name": _with("customerInformation", {"merchantCustomerId": "new"}),
    "lines disagree": _with("orderInformation.amountDetails.totalAmount", "100.01"),
    "no lines, no amounts": _with("orderInformation.lineItems", None),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_bad_invoices_are_refused_with_400_and_nothing_written(
    client: TestClient, auth: dict[str, str], tx: Transactor, case: str
) -> None:
    response = await client.post("/invoicing/v2/invoices", json=BAD_BODIES[case], headers=auth)

    assert response.status == 400, await response.text()
    body = await response.json()
    assert body["status"] == "BADREQUEST"
    assert body["reason"] in ("VALIDATION_ERRORS", "ACTION_NOT_ALLOWED")
    assert await _rows(tx) == (0, 0)


@pytest.mark.parametrize("raw", [b"{", b"[]", b"null", b'{"a":"\\ud800"}', b"\xff\xfe"])
async def test_malformed_json_is_a_400(
    client: TestClient, auth: dict[str, str], tx: Transactor, raw: bytes
) -> None:
    response = await client.post(
        "/invoicing/v2/invoices", data=raw, headers={**auth, "Content-Type": "application/json"}
    )

    assert response.status == 400
    assert await _rows(tx) == (0, 0)


async def test_quirks_are_accepted(client: TestClient, auth: dict[str, str]) -> None:
    body = simple_invoice()
    body["invoiceInformation"] = {"deliveryMode": "EMAIL", "dueDate": None}
    body["orderInformation"]["lineItems"][0].update(productSKU="S-1", unitPrice=100)

    created = await create(client, auth, body)

    assert created["invoiceInformation"]["deliveryMode"] == "Email"
    assert created["orderInformation"]["lineItems"][0]["productSku"] == "S-1"


async def test_no_lines_gives_one_line_for_the_stated_amounts(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = simple_invoice()
    body["orderInformation"] = {
        "amountDetails": {
            "currency": "EUR",
            "subAmount": "50.00",
            "totalAmount": "60.50",
            "taxDetails": {"rate": 21},
        }
    }

    created = await create(client, auth, body)

    assert created["orderInformation"]["amountDetails"]["totalAmount"] == 60.5
    assert len(created["orderInformation"]["lineItems"]) == 1


async def test_unknown_invoice_is_the_seed_404(client: TestClient, auth: dict[str, str]) -> None:
    for path in (
        "/invoicing/v2/invoices/999",
        "/invoicing/v2/invoices/abc",
        "/invoicing/v2/invoices/99999999999999999999",
    ):
        response = await client.get(path, headers=auth)

        assert response.status == 404
        assert await response.json() == {
            "status": "NOTFOUND",
            "reason": "NOTFOUND",
            "message": "No such invoice.",
        }


async def test_b1_a_partly_paid_invoice_cannot_be_cancelled(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    created = await create(client, auth, simple_invoice())
    invoice_id = created["id"]
    await client.post(f"/invoicing/v2/invoices/{invoice_id}/publication", headers=auth)
    paid = await client.post(
        "/api/v1/payments", headers=auth, json={"invoiceId": int(invoice_id), "amount": "10.00"}
    )

    response = await client.post(
        f"/invoicing/v2/invoices/{invoice_id}/cancelation", json={}, headers=auth
    )
    update = await client.put(
        f"/invoicing/v2/invoices/{invoice_id}", json=simple_invoice(), headers=auth
    )

    assert paid.status == 201, await paid.text()
    assert response.status == 400
    body = await response.json()
    assert body["reason"] == "ACTION_NOT_ALLOWED"
    assert "refund" in body["message"]
    assert update.status == 400
    state = await (await client.get(f"/invoicing/v2/invoices/{invoice_id}", headers=auth)).json()
    assert state["status"] == "PARTIAL"


async def test_ids_of_another_customer_are_refused(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    created = await create(client, auth, simple_invoice("alice"))
    await create(client, auth, simple_invoice("bob"))
    bob = await (await client.get("/api/v1/customers/2", headers=auth)).json()
    service = await client.post(
        "/api/v1/services", headers=auth, json={"customerId": 1, "name": "VPS alice"}
    )
    body = simple_invoice("bob")
    body["orderInformation"]["lineItems"][0]["serviceId"] = (await service.json())["id"]

    stolen_line = await client.post("/invoicing/v2/invoices", json=body, headers=auth)
    stolen_payment = await client.post(
        "/api/v1/payments",
        headers=auth,
        json={"invoiceId": int(created["id"]), "amount": "1.00", "customerId": bob["id"]},
    )

    assert bob["externalId"] == "bob"
    assert stolen_line.status in (400, 404)
    assert stolen_payment.status == 404
    assert (await stolen_payment.json())["reason"] == "not_your_invoice"
    assert (await _rows(tx))[0] == 2


async def test_v1_errors_have_one_shape(client: TestClient, auth: dict[str, str]) -> None:
    bad = await client.post(
        "/api/v1/payments", headers=auth, json={"invoiceId": 1, "amount": "-5"}
    )
    missing = await client.get("/api/v1/credit-notes/12345", headers=auth)
    no_route = await client.get("/api/v1/nothing-here", headers=auth)

    assert bad.status == 400
    assert set(await bad.json()) == {"status", "reason", "message", "details"}
    assert (await bad.json())["details"][0]["field"] == "amount"
    assert missing.status == 404
    assert (await missing.json())["reason"] == "credit_note_not_found"
    assert no_route.status == 404
