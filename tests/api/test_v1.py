"""/api/v1/: customers, services, payments, credit notes (with PDF) and Telegram link tokens."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.api.conftest import create, simple_invoice


async def test_customers_are_created_read_and_updated(
    client: TestClient, auth: dict[str, str]
) -> None:
    created = await client.post(
        "/api/v1/customers",
        headers=auth,
        json={"externalId": "ext-9", "name": "Ivan", "phone": "+7 900"},
    )
    customer_id = (await created.json())["id"]

    patched = await client.patch(
        f"/api/v1/customers/{customer_id}",
        headers=auth,
        json={"email": "ivan@example.org", "compoundInvoicesAllowed": False},
    )
    read = await client.get(f"/api/v1/customers/{customer_id}", headers=auth)

    assert created.status == 201
    assert patched.status == 200
    body = await read.json()
    assert (body["email"], body["compoundInvoicesAllowed"]) == ("ivan@example.org", False)


async def test_b5_terminating_a_service_cancels_its_invoice_and_lists_the_credit_note(
    client: TestClient, auth: dict[str, str]
) -> None:
    customer = await (
        await client.post(
            "/api/v1/customers", headers=auth, json={"externalId": "c-1", "name": "C"}
        )
    ).json()
    service = await (
        await client.post(
            "/api/v1/services", headers=auth, json={"customerId": customer["id"], "name": "VPS"}
        )
    ).json()
    body = simple_invoice("c-1")
    body["orderInformation"]["lineItems"][0]["serviceId"] = service["id"]
    body["invoiceInformation"] = {"sendImmediately": True}
    invoice = await create(client, auth, body)

    done = await client.post(
        f"/api/v1/services/{service['id']}/termination",
        headers=auth,
        json={"reason": "moved away"},
    )
    notes = await client.get(f"/api/v1/credit-notes?invoiceId={invoice['id']}", headers=auth)

    assert invoice["status"] == "SENT"
    assert done.status == 200, await done.text()
    assert (await done.json())["canceledInvoiceIds"] == [int(invoice["id"])]
    items = (await notes.json())["items"]
    assert [n["totalAmount"] for n in items] == ["100.00"]
    note = await client.get(f"/api/v1/credit-notes/{items[0]['id']}", headers=auth)
    pdf = await client.get(f"/api/v1/credit-notes/{items[0]['id']}/document", headers=auth)
    assert (await note.json())["invoiceId"] == int(invoice["id"])
    assert pdf.status == 200
    assert pdf.content_type == "application/pdf"
    assert (await pdf.read()).startswith(b"%PDF")


async def test_payments_move_the_invoice_to_paid(client: TestClient, auth: dict[str, str]) -> None:
    invoice = await create(client, auth, simple_invoice())
    await client.post(f"/invoicing/v2/invoices/{invoice['id']}/publication", headers=auth)

    paid = await client.post(
        "/api/v1/payments", headers=auth, json={"invoiceId": int(invoice["id"]), "amount": 100}
    )
    too_much = await client.post(
        "/api/v1/payments", headers=auth, json={"invoiceId": int(invoice["id"]), "amount": "0.01"}
    )

    assert paid.status == 201
    assert (await paid.json())["invoiceStatus"] == "paid"
    assert too_much.status == 400
    state = await (
        await client.get(f"/invoicing/v2/invoices/{invoice['id']}", headers=auth)
    ).json()
    assert state["status"] == "PAID"
    assert state["orderInformation"]["amountDetails"]["balanceAmount"] == 0


async def test_a_link_token_answers_the_telegram_deep_link(
    client: TestClient, auth: dict[str, str]
) -> None:
    customer = await (
        await client.post(
            "/api/v1/customers", headers=auth, json={"externalId": "c-2", "name": "C"}
        )
    ).json()

    response = await client.post(f"/api/v1/customers/{customer['id']}/link-tokens", headers=auth)

    assert response.status == 201
    body = await response.json()
    assert body["deepLink"] == f"https://t.me/support_desk_bot?start={body['token']}"


async def test_delivery_sends_the_invoice_through_the_outbox(
    client: TestClient, auth: dict[str, str]
) -> None:
    invoice = await create(client, auth, simple_invoice())
    draft = await client.post(f"/invoicing/v2/invoices/{invoice['id']}/delivery", headers=auth)
    await client.post(f"/invoicing/v2/invoices/{invoice['id']}/publication", headers=auth)

    sent = await client.post(f"/invoicing/v2/invoices/{invoice['id']}/delivery", headers=auth)
    listed = await client.get("/invoicing/v2/invoices?status=SENT", headers=auth)

    assert draft.status == 400
    assert sent.status == 200
    assert (await sent.json())["status"] == "SENT"
    assert (await listed.json())["totalInvoices"] == 1
