"""An issued invoice is never edited (DESIGN): a correction is a credit note plus a new invoice,
offered as one call, `POST /invoicing/v2/invoices/{id}/replacement`, in one transaction."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from support_desk.core.outbox import OutboxRow
from support_desk.core.tx import Transactor, UnitOfWork
from tests.api.conftest import create, simple_invoice

BASE = "/invoicing/v2/invoices"


async def sent_invoice(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    body = simple_invoice(amount="24.00")
    body["invoiceInformation"] = {"sendImmediately": True}
    return await create(client, auth, body)  # type: ignore[no-any-return]


async def outbox(tx: Transactor) -> list[tuple[str, dict[str, Any]]]:
    async def rows(uow: UnitOfWork) -> list[tuple[str, dict[str, Any]]]:
        found = await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        return [(r.kind, dict(r.payload)) for r in found.all()]

    return await tx.read(rows)


async def test_an_issued_invoice_is_not_rewritten_under_its_number(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    invoice = await sent_invoice(client, auth)

    response = await client.put(
        f"{BASE}/{invoice['id']}", json=simple_invoice(amount="119.99"), headers=auth
    )

    body = await response.json()
    assert response.status == 400
    assert (body["status"], body["reason"]) == ("BADREQUEST", "ACTION_NOT_ALLOWED")
    assert "replacement" in body["message"]
    state = await (await client.get(f"{BASE}/{invoice['id']}", headers=auth)).json()
    assert state["orderInformation"]["amountDetails"]["totalAmount"] == 24


async def test_a_replacement_cancels_with_a_credit_note_and_sends_the_new_invoice(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    invoice = await sent_invoice(client, auth)

    response = await client.post(
        f"{BASE}/{invoice['id']}/replacement",
        json=simple_invoice(amount="119.99"),
        headers={**auth, "Idempotency-Key": "fix-1"},
    )

    new = await response.json()
    assert response.status == 201, new
    assert new["id"] != invoice["id"] and new["status"] == "SENT"
    assert new["orderInformation"]["amountDetails"]["totalAmount"] == 119.99
    old = await (await client.get(f"{BASE}/{invoice['id']}", headers=auth)).json()
    assert (old["status"], old["orderInformation"]["amountDetails"]["balanceAmount"]) == (
        "CANCELED",
        0,
    )
    kinds = [k for k, _ in await outbox(tx)]
    assert kinds == ["invoice_delivered", "credit_note_issued", "invoice_delivered"]
    again = await client.post(
        f"{BASE}/{invoice['id']}/replacement",
        json=simple_invoice(amount="119.99"),
        headers={**auth, "Idempotency-Key": "fix-1"},
    )
    assert (again.status, (await again.json())["id"]) == (201, new["id"])
    assert len(await outbox(tx)) == 3


async def test_a_paid_invoice_is_not_replaced_and_nothing_changes(
    client: TestClient, auth: dict[str, str], tx: Transactor
) -> None:
    invoice = await sent_invoice(client, auth)
    paid = await client.post(
        "/api/v1/payments", headers=auth, json={"invoiceId": int(invoice["id"]), "amount": "1.00"}
    )
    assert paid.status == 201

    response = await client.post(
        f"{BASE}/{invoice['id']}/replacement", json=simple_invoice(amount="5.00"), headers=auth
    )

    assert response.status == 400
    assert (await response.json())["reason"] == "ACTION_NOT_ALLOWED"
    listed = await (await client.get(BASE, headers=auth)).json()
    assert listed["totalInvoices"] == 1
